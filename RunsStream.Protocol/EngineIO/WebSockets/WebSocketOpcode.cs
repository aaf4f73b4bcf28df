namespace RunsStream.Protocol.EngineIO.WebSockets;

/// <summary>RFC 6455 section 5.2 opcodes.</summary>
public enum WebSocketOpcode : byte
{
    /// <summary>A continuation of a fragmented message.</summary>
    Continuation = 0x0,
    /// <summary>A text data frame.</summary>
    Text = 0x1,
    /// <summary>A binary data frame.</summary>
    Binary = 0x2,
    /// <summary>A close frame.</summary>
    Close = 0x8,
    /// <summary>A ping control frame.</summary>
    Ping = 0x9,
    /// <summary>A pong control frame.</summary>
    Pong = 0xA,
}

/// <summary>RFC 6455 section 7.4.1 close codes that this server sends.</summary>
public static class WebSocketCloseCodes
{
    /// <summary>1000: normal closure.</summary>
    public const ushort Normal = 1000;
    /// <summary>1001: the endpoint is going away (server shutdown).</summary>
    public const ushort GoingAway = 1001;
    /// <summary>1002: protocol error.</summary>
    public const ushort ProtocolError = 1002;
    /// <summary>1007: invalid payload data (bad UTF-8 in a text frame).</summary>
    public const ushort InvalidPayload = 1007;
    /// <summary>1008: policy violation (e.g. upgrade timeout).</summary>
    public const ushort PolicyViolation = 1008;
    /// <summary>1009: message too big (over maxPayload).</summary>
    public const ushort MessageTooBig = 1009;
    /// <summary>1011: internal server error.</summary>
    public const ushort InternalError = 1011;
}

/// <summary>A violation of RFC 6455 by the peer; carries the close code to answer with.</summary>
public sealed class WebSocketProtocolException(ushort closeCode, string message) : Exception(message)
{
    /// <summary>The close code the connection is closed with.</summary>
    public ushort CloseCode { get; } = closeCode;
}
