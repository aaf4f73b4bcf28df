namespace RunsStream.Protocol.SocketIO;

/// <summary>
/// Thrown by a namespace middleware to refuse a CONNECT; the client receives CONNECT_ERROR
/// <c>{"message": Message, "data": ErrorData}</c> (its connect_error event).
/// </summary>
/// <param name="message">The reason the client's connect_error carries as <c>message</c>.</param>
/// <param name="data">Serialized as the error's <c>data</c>; left out when null.</param>
public sealed class ConnectionRefusedException(string message, object? data = null) : Exception(message)
{
    /// <summary>
    /// The error's <c>data</c> for the client. (Not <c>Data</c>: that name is
    /// <see cref="Exception.Data"/>, the exception's own dictionary.)
    /// </summary>
    public object? ErrorData { get; } = data;
}
