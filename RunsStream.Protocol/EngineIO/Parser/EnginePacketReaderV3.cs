using System.Buffers;
using System.Buffers.Text;
using System.Text.Unicode;

namespace RunsStream.Protocol.EngineIO.Parser;

/// <summary>
/// Decodes Engine.IO v3 packets and polling payloads (engine.io-protocol v3, "Encoding"; the
/// forms are described on <see cref="EnginePacketWriterV3"/>). Pure: malformed input throws
/// <see cref="EngineProtocolException"/>, which ends the session as the reference's "parser error".
/// </summary>
internal static class EnginePacketReaderV3
{
    // Longer than any length a payload bounded by maxPayload can announce.
    private const int MaxLengthDigits = 10;
    private const byte MessageType = 4;

    /// <summary>A WebSocket text frame: a text packet, or "b4" + base64 for a binary message.</summary>
    public static EnginePacket ReadText(ReadOnlyMemory<byte> utf8) =>
        !utf8.IsEmpty && utf8.Span[0] == EnginePacketTypes.BinaryPrefix ? ReadBase64(utf8.Span[1..]) : EnginePacketReader.ReadText(utf8);

    /// <summary>A WebSocket binary frame: the type byte (only 4, message, carries binary), then the bytes.</summary>
    public static EnginePacket ReadBinary(ReadOnlyMemory<byte> data)
    {
        if (data.IsEmpty || data.Span[0] != MessageType)
        {
            throw new EngineProtocolException("binary packet that is not a message");
        }
        return EnginePacket.Binary(data[1..]);
    }

    /// <summary>
    /// Reads the next packet of a text payload from <paramref name="offset"/>:
    /// <c>&lt;length&gt;:&lt;packet&gt;</c>, the length in UTF-16 code units. Empty packets
    /// ("0:") are skipped, as the reference does. False when the payload is exhausted.
    /// </summary>
    public static bool TryReadTextPayloadPacket(ReadOnlyMemory<byte> payload, ref int offset, out EnginePacket packet)
    {
        var span = payload.Span;
        while (offset < span.Length)
        {
            var colon = span[offset..].IndexOf((byte)':');
            if (colon <= 0 || colon > MaxLengthDigits || !Utf8Parser.TryParse(span.Slice(offset, colon), out int units, out var consumed) || consumed != colon)
            {
                throw new EngineProtocolException("invalid length in payload");
            }
            var start = offset + colon + 1;
            var end = SkipUtf16Units(span, start, units);
            offset = end;
            if (end == start)
            {
                continue;
            }
            var bytes = payload[start..end];
            if (!Utf8.IsValid(bytes.Span))
            {
                throw new EngineProtocolException("invalid UTF-8 in a text packet");
            }
            packet = ReadText(bytes);
            return true;
        }
        packet = default;
        return false;
    }

    /// <summary>
    /// Reads the next packet of a binary payload (XHR2 clients: <c>application/octet-stream</c>)
    /// from <paramref name="offset"/>. False when the payload is exhausted.
    /// </summary>
    public static bool TryReadBinaryPayloadPacket(ReadOnlyMemory<byte> payload, ref int offset, out EnginePacket packet)
    {
        var span = payload.Span;
        if (offset >= span.Length)
        {
            packet = default;
            return false;
        }
        var kind = span[offset];
        if (kind > 1)
        {
            throw new EngineProtocolException("invalid element in binary payload");
        }
        var i = offset + 1;
        long length = 0;
        var digits = 0;
        while (i < span.Length && span[i] != 0xFF)
        {
            if (span[i] > 9 || ++digits > MaxLengthDigits)
            {
                throw new EngineProtocolException("invalid length in binary payload");
            }
            length = length * 10 + span[i];
            i++;
        }
        if (digits == 0 || i >= span.Length || length > span.Length - i - 1)
        {
            throw new EngineProtocolException("invalid length in binary payload");
        }
        var body = payload.Slice(i + 1, (int)length);
        offset = i + 1 + (int)length;
        if (kind == 1)
        {
            packet = ReadBinary(body);
            return true;
        }
        if (!Utf8.IsValid(body.Span))
        {
            throw new EngineProtocolException("invalid UTF-8 in a text packet");
        }
        packet = ReadText(body);
        return true;
    }

    private static EnginePacket ReadBase64(ReadOnlySpan<byte> typeAndBase64)
    {
        if (typeAndBase64.IsEmpty || typeAndBase64[0] != (byte)'4')
        {
            throw new EngineProtocolException("base64 packet that is not a message");
        }
        var base64 = typeAndBase64[1..];
        var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(base64.Length)];
        if (Base64.DecodeFromUtf8(base64, decoded, out _, out var written) != OperationStatus.Done)
        {
            throw new EngineProtocolException("invalid base64 in binary packet");
        }
        return EnginePacket.Binary(written == decoded.Length ? decoded : decoded[..written]);
    }

    /// <summary>The offset just past <paramref name="units"/> UTF-16 code units of UTF-8 from <paramref name="start"/>.</summary>
    private static int SkipUtf16Units(ReadOnlySpan<byte> utf8, int start, int units)
    {
        var i = start;
        var counted = 0;
        while (counted < units)
        {
            if (i >= utf8.Length)
            {
                throw new EngineProtocolException("payload shorter than its length");
            }
            var b = utf8[i];
            var (size, width) = b switch
            {
                < 0x80 => (1, 1),
                >= 0xF0 => (4, 2),
                >= 0xE0 => (3, 1),
                >= 0xC0 => (2, 1),
                _ => throw new EngineProtocolException("invalid UTF-8 in a text packet"),
            };
            i += size;
            counted += width;
        }
        if (counted != units || i > utf8.Length)
        {
            throw new EngineProtocolException("length splits a character");
        }
        return i;
    }
}
