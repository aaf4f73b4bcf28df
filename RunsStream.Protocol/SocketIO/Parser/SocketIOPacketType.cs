namespace RunsStream.Protocol.SocketIO.Parser;

/// <summary>The Socket.IO v5 packet vocabulary (socket.io-protocol v5, "Packet format").</summary>
public enum SocketIOPacketType : byte
{
    /// <summary>CONNECT (0): join a namespace, or the server's answer.</summary>
    Connect = 0,
    /// <summary>DISCONNECT (1): leave a namespace.</summary>
    Disconnect = 1,
    /// <summary>EVENT (2): an event with JSON arguments.</summary>
    Event = 2,
    /// <summary>ACK (3): the answer to an event that asked for one.</summary>
    Ack = 3,
    /// <summary>CONNECT_ERROR (4): a refused namespace connection.</summary>
    ConnectError = 4,
    /// <summary>BINARY_EVENT (5): an event with binary attachments.</summary>
    BinaryEvent = 5,
    /// <summary>BINARY_ACK (6): an ack with binary attachments.</summary>
    BinaryAck = 6,
}
