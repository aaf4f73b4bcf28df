namespace RunsStream.Protocol.SocketIO.Parser;

/// <summary>A malformed Socket.IO packet; the connection that sent it is closed.</summary>
internal sealed class SocketIOProtocolException(string message) : Exception(message);
