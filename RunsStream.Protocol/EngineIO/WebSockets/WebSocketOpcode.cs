namespace RunsStream.Protocol.EngineIO.WebSockets;

/// <summary>RFC 6455 section 5.2 opcodes.</summary>
public enum WebSocketOpcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

/// <summary>RFC 6455 section 7.4.1 close codes that this server sends.</summary>
public static class WebSocketCloseCodes
{
    public const ushort Normal = 1000;
    public const ushort GoingAway = 1001;
    public const ushort ProtocolError = 1002;
    public const ushort InvalidPayload = 1007;
    public const ushort PolicyViolation = 1008;
    public const ushort MessageTooBig = 1009;
    public const ushort InternalError = 1011;
}

/// <summary>A violation of RFC 6455 by the peer; carries the close code to answer with.</summary>
public sealed class WebSocketProtocolException(ushort closeCode, string message) : Exception(message)
{
    public ushort CloseCode { get; } = closeCode;
}
