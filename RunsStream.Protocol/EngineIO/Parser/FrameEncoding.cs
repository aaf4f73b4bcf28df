namespace RunsStream.Protocol.EngineIO.Parser;

/// <summary>
/// How a transport puts a binary message on the wire: the one thing that differs between the
/// Engine.IO revisions on a WebSocket (text packets are the same in v3 and v4).
/// </summary>
internal enum FrameEncoding
{
    /// <summary>Engine.IO v4: a binary frame is the message's raw bytes.</summary>
    V4,

    /// <summary>Engine.IO v3: a binary frame is the type byte 4, then the bytes.</summary>
    V3,

    /// <summary>Engine.IO v3 for a client that asked for base64 (<c>b64</c> query): a text frame "b4" + base64.</summary>
    V3Base64,
}
