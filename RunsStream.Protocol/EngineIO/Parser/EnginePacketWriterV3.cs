using System.Buffers;
using System.Buffers.Text;

namespace RunsStream.Protocol.EngineIO.Parser;

/// <summary>
/// Encodes Engine.IO v3 packets and polling payloads (engine.io-protocol v3, "Encoding"; the
/// reference is engine.io-parser 2.x). Pure. A v3 payload frames each packet with its length
/// instead of v4's 0x1E separator, in one of two forms: text (<c>&lt;length&gt;:&lt;packet&gt;</c>,
/// the length in UTF-16 code units as JavaScript counts a string, binary packets as "b4" +
/// base64) or, for a client that takes binary (XHR2, no <c>b64</c> query) when the batch holds a
/// binary packet, binary (<c>&lt;0|1&gt;&lt;length digits as bytes&gt;0xFF&lt;packet&gt;</c>).
/// </summary>
internal static class EnginePacketWriterV3
{
    private const byte MessageDigit = (byte)'4';
    private const byte MessageType = 4;

    /// <summary>
    /// A binary message as a WebSocket carries it: the type byte 4 then the bytes, or with
    /// <paramref name="base64"/> the text "b4" + base64. A text packet is written as is.
    /// </summary>
    public static void WriteMessage(IBufferWriter<byte> writer, ReadOnlySpan<byte> packet, bool isBinary, bool base64)
    {
        if (!isBinary)
        {
            writer.Write(packet);
        }
        else if (base64)
        {
            WriteBase64Packet(writer, packet);
        }
        else
        {
            writer.GetSpan(1)[0] = MessageType;
            writer.Advance(1);
            writer.Write(packet);
        }
    }

    /// <summary>One element of a text payload: <c>&lt;length&gt;:&lt;packet&gt;</c>.</summary>
    public static void WriteTextPayloadElement(IBufferWriter<byte> writer, ReadOnlySpan<byte> packet, bool isBinary)
    {
        if (isBinary)
        {
            WriteDecimal(writer, 2 + Base64.GetMaxEncodedToUtf8Length(packet.Length));
            WriteByte(writer, (byte)':');
            WriteBase64Packet(writer, packet);
            return;
        }
        WriteDecimal(writer, Utf16Length(packet));
        WriteByte(writer, (byte)':');
        writer.Write(packet);
    }

    /// <summary>
    /// One element of a binary payload: 0 (text) or 1 (binary), the length's decimal digits
    /// each as a byte of value 0-9, 0xFF, then the packet (UTF-8 text, or the type byte and the
    /// bytes). The length counts bytes here.
    /// </summary>
    public static void WriteBinaryPayloadElement(IBufferWriter<byte> writer, ReadOnlySpan<byte> packet, bool isBinary)
    {
        WriteByte(writer, isBinary ? (byte)1 : (byte)0);
        Span<byte> digits = stackalloc byte[11];
        (isBinary ? packet.Length + 1 : packet.Length).TryFormat(digits, out var count);
        foreach (var digit in digits[..count])
        {
            WriteByte(writer, (byte)(digit - '0'));
        }
        WriteByte(writer, 0xFF);
        if (isBinary)
        {
            WriteByte(writer, MessageType);
        }
        writer.Write(packet);
    }

    /// <summary>The length of valid UTF-8 <paramref name="utf8"/> in UTF-16 code units (JavaScript's string length).</summary>
    public static int Utf16Length(ReadOnlySpan<byte> utf8)
    {
        var units = 0;
        foreach (var b in utf8)
        {
            if ((b & 0xC0) != 0x80)
            {
                units += b >= 0xF0 ? 2 : 1; // a four-byte sequence is a surrogate pair
            }
        }
        return units;
    }

    private static void WriteBase64Packet(IBufferWriter<byte> writer, ReadOnlySpan<byte> data)
    {
        var length = 2 + Base64.GetMaxEncodedToUtf8Length(data.Length);
        var span = writer.GetSpan(length);
        span[0] = EnginePacketTypes.BinaryPrefix;
        span[1] = MessageDigit;
        Base64.EncodeToUtf8(data, span[2..], out _, out var written);
        writer.Advance(2 + written);
    }

    private static void WriteDecimal(IBufferWriter<byte> writer, int value)
    {
        var span = writer.GetSpan(11);
        value.TryFormat(span, out var written);
        writer.Advance(written);
    }

    private static void WriteByte(IBufferWriter<byte> writer, byte value)
    {
        writer.GetSpan(1)[0] = value;
        writer.Advance(1);
    }
}
