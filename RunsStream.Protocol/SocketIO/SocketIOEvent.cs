namespace RunsStream.Protocol.SocketIO;

/// <summary>An event received from a client, with its arguments and, if asked for, an ack.</summary>
public sealed class SocketIOEvent
{
    private int _acked;

    internal SocketIOEvent(SocketIOSocket socket, string name, SocketIOArguments args, long? ackId)
    {
        Socket = socket;
        Name = name;
        Args = args;
        AckId = ackId;
    }

    /// <summary>The socket the event came from.</summary>
    public SocketIOSocket Socket { get; }

    /// <summary>The event name.</summary>
    public string Name { get; }

    /// <summary>The event's arguments.</summary>
    public SocketIOArguments Args { get; }

    internal long? AckId { get; }

    /// <summary>True when the client passed a callback and waits for an ack.</summary>
    public bool WantsAck => AckId is not null;

    /// <summary>Answers the client's callback once; later calls are ignored.</summary>
    public bool Ack(params object?[] args)
    {
        if (AckId is not { } id || Interlocked.Exchange(ref _acked, 1) == 1)
        {
            return false;
        }
        return Socket.Send(SocketIOEncodedPacket.Ack(Socket.Namespace.Name, id, args, Socket.Namespace.Server.Options.JsonOptions));
    }

    /// <summary>Answers with received arguments unchanged (binary included).</summary>
    public bool Ack(SocketIOArguments args)
    {
        if (AckId is not { } id || Interlocked.Exchange(ref _acked, 1) == 1)
        {
            return false;
        }
        return Socket.Send(SocketIOEncodedPacket.Ack(Socket.Namespace.Name, id, args));
    }
}
