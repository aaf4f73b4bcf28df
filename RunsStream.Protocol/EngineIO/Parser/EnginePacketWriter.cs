using System.Buffers;
using System.Buffers.Text;

namespace RunsStream.Protocol.EngineIO.Parser;

/// <summary>
/// Encodes Engine.IO v4 packets into an <see cref="IBufferWriter{T}"/>. Pure.
/// </summary>
internal static class EnginePacketWriter
{
    /// <summary>Writes a text packet: its type digit, then its UTF-8 data.</summary>
    public static void WriteText(IBufferWriter<byte> writer, EnginePacketType type, ReadOnlySpan<byte> utf8Data)
    {
        var span = writer.GetSpan(1 + utf8Data.Length);
        span[0] = EnginePacketTypes.ToDigit(type);
        utf8Data.CopyTo(span[1..]);
        writer.Advance(1 + utf8Data.Length);
    }

    /// <summary>
    /// Writes one packet as an element of a long-polling payload: text as is, binary as
    /// 'b' + base64, preceded by the 0x1E separator unless it is the first.
    /// </summary>
    public static void WritePayloadElement(IBufferWriter<byte> writer, ReadOnlySpan<byte> packet, bool isBinary, bool first)
    {
        if (!first)
        {
            writer.GetSpan(1)[0] = EnginePacketTypes.RecordSeparator;
            writer.Advance(1);
        }
        if (!isBinary)
        {
            writer.Write(packet);
            return;
        }
        var length = 1 + Base64.GetMaxEncodedToUtf8Length(packet.Length);
        var span = writer.GetSpan(length);
        span[0] = EnginePacketTypes.BinaryPrefix;
        Base64.EncodeToUtf8(packet, span[1..], out _, out var written);
        writer.Advance(1 + written);
    }
}
