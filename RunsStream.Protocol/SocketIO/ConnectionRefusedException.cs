namespace RunsStream.Protocol.SocketIO;

/// <summary>
/// Thrown by a namespace middleware to refuse a CONNECT; the client receives CONNECT_ERROR
/// <c>{"message": Message, "data": Data}</c> (its connect_error event).
/// </summary>
public sealed class ConnectionRefusedException(string message, object? data = null) : Exception(message)
{
    public object? Data { get; } = data;
}
