using System.Buffers;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.EngineIO.WebSockets;

namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// One outbound Engine.IO packet, encoded once as a complete WebSocket frame. The same
/// immutable bytes serve every recipient: a WebSocket writes <see cref="WebSocketFrame"/> as
/// is, a long-polling response takes <see cref="Packet"/> (the frame minus its header).
/// </summary>
/// <remarks>
/// A binary message is the one packet whose WebSocket frame differs for an Engine.IO v3 client
/// (<see cref="WebSocketFrameFor"/>); those frames are made from the same bytes when first needed.
/// </remarks>
public sealed class EngineFrame
{
    private readonly byte[] _buffer;
    private readonly int _headerLength;

    private EngineFrame(byte[] buffer, int headerLength, bool isBinary)
    {
        _buffer = buffer;
        _headerLength = headerLength;
        IsBinary = isBinary;
    }

    /// <summary>A binary Engine.IO message (its raw bytes, no type prefix in v4).</summary>
    public bool IsBinary { get; }

    /// <summary>The complete, unmasked WebSocket frame.</summary>
    public ReadOnlyMemory<byte> WebSocketFrame => _buffer;

    /// <summary>The Engine.IO packet as text ("4hello", "2") or the raw binary message.</summary>
    public ReadOnlyMemory<byte> Packet => _buffer.AsMemory(_headerLength);

    // A binary message's frames for Engine.IO v3 clients, made on first use: most servers
    // never have one, and a broadcast to mixed clients still encodes each form once.
    private byte[]? _v3Binary;
    private byte[]? _v3Base64;

    /// <summary>
    /// The complete WebSocket frame in <paramref name="encoding"/>. A text packet is the same
    /// in every revision; a binary message is its raw bytes in v4, the type byte 4 then the
    /// bytes in v3 (engine.io-parser 2.x encodeBuffer), or the text "b4" + base64 for a v3
    /// client that asked for base64 (b64 query).
    /// </summary>
    internal ReadOnlyMemory<byte> WebSocketFrameFor(FrameEncoding encoding)
    {
        if (!IsBinary || encoding == FrameEncoding.V4)
        {
            return _buffer;
        }
        if (encoding == FrameEncoding.V3)
        {
            return _v3Binary ??= V3WebSocketFrame(WebSocketOpcode.Binary, Packet.Span, base64: false);
        }
        return _v3Base64 ??= V3WebSocketFrame(WebSocketOpcode.Text, Packet.Span, base64: true);
    }

    private static byte[] V3WebSocketFrame(WebSocketOpcode opcode, ReadOnlySpan<byte> data, bool base64)
    {
        var body = new ArrayBufferWriter<byte>(2 + (data.Length + 2) / 3 * 4);
        EnginePacketWriterV3.WriteMessage(body, data, isBinary: true, base64);
        var headerLength = WebSocketFrameWriter.GetHeaderLength(body.WrittenCount);
        var buffer = AllocateFrame(headerLength + body.WrittenCount);
        WebSocketFrameWriter.WriteHeader(buffer, opcode, body.WrittenCount);
        body.WrittenSpan.CopyTo(buffer.AsSpan(headerLength));
        return buffer;
    }

    /// <summary>What this frame counts against a connection's outbound buffer.</summary>
    public int Size => _buffer.Length;

    /// <summary>A text packet of type <paramref name="type"/> followed by <paramref name="utf8Data"/>.</summary>
    public static EngineFrame Text(EnginePacketType type, ReadOnlySpan<byte> utf8Data)
    {
        var packetLength = 1 + utf8Data.Length;
        var headerLength = WebSocketFrameWriter.GetHeaderLength(packetLength);
        var buffer = AllocateFrame(headerLength + packetLength);
        WebSocketFrameWriter.WriteHeader(buffer, WebSocketOpcode.Text, packetLength);
        buffer[headerLength] = EnginePacketTypes.ToDigit(type);
        utf8Data.CopyTo(buffer.AsSpan(headerLength + 1));
        return new EngineFrame(buffer, headerLength, isBinary: false);
    }

    /// <summary>A message packet whose text is <paramref name="utf8Message"/> ("4" + text).</summary>
    public static EngineFrame Message(ReadOnlySpan<byte> utf8Message) => Text(EnginePacketType.Message, utf8Message);

    /// <summary>
    /// A message packet whose text is produced by <paramref name="writeMessage"/>; written to a
    /// scratch buffer, then copied once into the frame.
    /// </summary>
    public static EngineFrame Message<TState>(TState state, Action<IBufferWriter<byte>, TState> writeMessage)
    {
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(4096);
        scratch.ResetWrittenCount();
        writeMessage(scratch, state);
        var frame = Text(EnginePacketType.Message, scratch.WrittenSpan);
        if (scratch.Capacity > MaxRetainedScratch)
        {
            t_scratch = null;
        }
        return frame;
    }

    /// <summary>A binary message carrying <paramref name="data"/> (base64 with a "b" prefix over long-polling).</summary>
    public static EngineFrame Binary(ReadOnlySpan<byte> data)
    {
        var headerLength = WebSocketFrameWriter.GetHeaderLength(data.Length);
        var buffer = AllocateFrame(headerLength + data.Length);
        WebSocketFrameWriter.WriteHeader(buffer, WebSocketOpcode.Binary, data.Length);
        data.CopyTo(buffer.AsSpan(headerLength));
        return new EngineFrame(buffer, headerLength, isBinary: true);
    }

    /// <summary>
    /// A frame's own array, exactly its size, not zeroed: the header and the payload overwrite
    /// every byte at once, and clearing each event's frame (up to 64 KiB) was a visible part of
    /// the send path's CPU. Exact size rather than pooled, because subscribers' sockets send from
    /// it for as long as they hold the frame, and the garbage collector is what knows when that ends.
    /// </summary>
    private static byte[] AllocateFrame(int length) => GC.AllocateUninitializedArray<byte>(length);

    /// <summary>The server's PING ("2").</summary>
    public static readonly EngineFrame Ping = Text(EnginePacketType.Ping, default);
    /// <summary>PONG ("3"), the answer to a v3 client's ping.</summary>
    public static readonly EngineFrame Pong = Text(EnginePacketType.Pong, default);
    /// <summary>NOOP ("6"): ends a held poll with nothing in it (upgrade, or a poll of a closed session).</summary>
    public static readonly EngineFrame Noop = Text(EnginePacketType.Noop, default);
    /// <summary>CLOSE ("1").</summary>
    public static readonly EngineFrame Close = Text(EnginePacketType.Close, default);
    /// <summary>"3probe", the answer to the upgrade probe "2probe".</summary>
    public static readonly EngineFrame ProbePong = Text(EnginePacketType.Pong, "probe"u8);

    /// <summary>"1:6", NOOP in a v3 polling payload.</summary>
    internal static readonly byte[] NoopPayloadV3 = "1:6"u8.ToArray();

    private const int MaxRetainedScratch = 1 << 20;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;
}
