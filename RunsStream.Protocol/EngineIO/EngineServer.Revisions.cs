using RunsStream.Protocol.EngineIO.Parser;

namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// Which Engine.IO revision a request speaks, and what that changes at the server's level:
/// v4 always, v3 (socket.io-client 2.x) only with <see cref="EngineIOOptions.AllowEIO3"/>, as
/// the reference's <c>allowEIO3</c>. A session keeps the revision of its handshake; the
/// transports frame by it (<see cref="FrameEncoding"/>, <see cref="EnginePacketWriterV3"/>).
/// </summary>
public sealed partial class EngineServer
{
    /// <summary>
    /// The revision an <c>EIO</c> query value asks for: 4, 3 when allowed, else 0 (refused with
    /// "Unsupported protocol version"). Unlike the reference, a missing EIO is not taken for 3.
    /// </summary>
    private int ProtocolVersionOf(string eio) => eio switch
    {
        "4" => 4,
        "3" when _options.AllowEIO3 => 3,
        _ => 0,
    };

    /// <summary>How a WebSocket for <paramref name="session"/> frames binary messages; <paramref name="base64"/>: the request's b64 query.</summary>
    private static FrameEncoding EncodingFor(EngineSession session, bool base64) =>
        session.ProtocolVersion == 4 ? FrameEncoding.V4 : base64 ? FrameEncoding.V3Base64 : FrameEncoding.V3;

    /// <summary>One packet as a whole polling body: as is in v4, "&lt;length&gt;:&lt;packet&gt;" in v3.</summary>
    private static ReadOnlyMemory<byte> PollingBody(EngineSession session, EngineFrame frame)
    {
        if (session.ProtocolVersion == 4)
        {
            return frame.Packet;
        }
        var payload = new System.Buffers.ArrayBufferWriter<byte>(frame.Packet.Length + 12);
        EnginePacketWriterV3.WriteTextPayloadElement(payload, frame.Packet.Span, frame.IsBinary);
        return payload.WrittenMemory;
    }
}
