using System.Buffers;
using System.Buffers.Text;
using System.Text.Unicode;

namespace RunsStream.Protocol.EngineIO.Parser;

/// <summary>
/// Decodes Engine.IO v4 packets. Pure: bytes in, packets out; malformed input throws
/// <see cref="EngineProtocolException"/>.
/// </summary>
internal static class EnginePacketReader
{
    /// <summary>
    /// Decodes one text packet as carried by a WebSocket text frame: the type digit, then data.
    /// </summary>
    public static EnginePacket ReadText(ReadOnlyMemory<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            throw new EngineProtocolException("empty packet");
        }
        if (!EnginePacketTypes.TryFromDigit(utf8.Span[0], out var type))
        {
            throw new EngineProtocolException("unknown packet type");
        }
        return EnginePacket.Text(type, utf8[1..]);
    }

    /// <summary>A WebSocket binary frame is always a binary message (v4 drops the type byte).</summary>
    public static EnginePacket ReadBinary(ReadOnlyMemory<byte> data) => EnginePacket.Binary(data);

    /// <summary>
    /// Reads the next packet of an HTTP long-polling payload: packets separated by 0x1E, a binary
    /// packet as 'b' + base64 (engine.io-protocol v4, "HTTP long-polling"). Returns false when
    /// the payload is exhausted. A text packet must be valid UTF-8.
    /// </summary>
    public static bool TryReadPayloadPacket(ref ReadOnlySequence<byte> payload, out EnginePacket packet)
    {
        if (payload.IsEmpty)
        {
            packet = default;
            return false;
        }

        ReadOnlySequence<byte> record;
        var separator = payload.PositionOf(EnginePacketTypes.RecordSeparator);
        if (separator is { } position)
        {
            record = payload.Slice(0, position);
            payload = payload.Slice(payload.GetPosition(1, position));
            if (payload.IsEmpty)
            {
                throw new EngineProtocolException("payload ends with a separator");
            }
        }
        else
        {
            record = payload;
            payload = ReadOnlySequence<byte>.Empty;
        }

        var bytes = record.ToArray();
        if (bytes.Length > 0 && bytes[0] == EnginePacketTypes.BinaryPrefix)
        {
            packet = EnginePacket.Binary(DecodeBase64(bytes.AsSpan(1)));
            return true;
        }
        // A WebSocket text frame is checked by its transport (RFC 6455 section 8.1); a polling
        // body has no such framing, so the same rule is applied here, per text packet.
        if (!Utf8.IsValid(bytes))
        {
            throw new EngineProtocolException("invalid UTF-8 in a text packet");
        }
        packet = ReadText(bytes);
        return true;
    }

    private static byte[] DecodeBase64(ReadOnlySpan<byte> base64)
    {
        var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(base64.Length)];
        var status = Base64.DecodeFromUtf8(base64, decoded, out _, out var written);
        if (status != OperationStatus.Done)
        {
            throw new EngineProtocolException("invalid base64 in binary packet");
        }
        return written == decoded.Length ? decoded : decoded[..written];
    }
}
