namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// The reference server's error table (engine.io Server.errors): each refused request is
/// answered with HTTP 400 (403 for <see cref="Forbidden"/>) and <c>{"code": n, "message": ...}</c>.
/// </summary>
internal enum EngineErrorCode
{
    UnknownTransport = 0,
    UnknownSid = 1,
    BadHandshakeMethod = 2,
    BadRequest = 3,
    Forbidden = 4,
    UnsupportedProtocolVersion = 5,
}

internal static class EngineErrors
{
    public static string Message(EngineErrorCode code) => code switch
    {
        EngineErrorCode.UnknownTransport => "Transport unknown",
        EngineErrorCode.UnknownSid => "Session ID unknown",
        EngineErrorCode.BadHandshakeMethod => "Bad handshake method",
        EngineErrorCode.BadRequest => "Bad request",
        EngineErrorCode.Forbidden => "Forbidden",
        EngineErrorCode.UnsupportedProtocolVersion => "Unsupported protocol version",
        _ => "Unknown error",
    };

    public static int StatusCode(EngineErrorCode code) => code == EngineErrorCode.Forbidden ? 403 : 400;
}
