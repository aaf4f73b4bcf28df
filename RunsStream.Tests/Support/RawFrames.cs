using System.Buffers;
using System.Buffers.Binary;

namespace RunsStream.Tests.Support;

/// <summary>
/// Builds RFC 6455 frames byte by byte, independently of the library's writer, so that tests
/// can send exactly the (valid or broken) frames they mean.
/// </summary>
public static class RawFrames
{
    public const byte Fin = 0x80;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    /// <summary>A client frame: <paramref name="firstByte"/> is FIN | RSV | opcode; masked unless told otherwise.</summary>
    public static byte[] Client(byte firstByte, ReadOnlySpan<byte> payload, bool masked = true, uint maskKey = 0x37FA213D)
    {
        var header = new List<byte> { firstByte };
        var maskBit = masked ? (byte)0x80 : (byte)0;
        if (payload.Length <= 125)
        {
            header.Add((byte)(maskBit | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header.Add((byte)(maskBit | 126));
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }
        else
        {
            header.Add((byte)(maskBit | 127));
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
            header.AddRange(length);
        }

        var mask = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(mask, maskKey);
        if (masked)
        {
            header.AddRange(mask);
        }
        var frame = new byte[header.Count + payload.Length];
        header.CopyTo(frame);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[header.Count + i] = masked ? (byte)(payload[i] ^ mask[i & 3]) : payload[i];
        }
        return frame;
    }

    public static byte[] ClientText(string text) => Client(Fin | Text, System.Text.Encoding.UTF8.GetBytes(text));

    public static byte[] ClientBinary(ReadOnlySpan<byte> data) => Client(Fin | Binary, data);

    /// <summary>A client close frame with a status code.</summary>
    public static byte[] ClientClose(ushort code)
    {
        var payload = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        return Client(Fin | Close, payload);
    }

    /// <summary>One server frame as parsed by <see cref="TryParseServerFrame"/>.</summary>
    public readonly record struct ServerFrame(bool Fin, byte Rsv, byte Opcode, bool Masked, byte[] Payload)
    {
        public string Text => System.Text.Encoding.UTF8.GetString(Payload);

        public ushort? CloseCode => Opcode == Close && Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;
    }

    /// <summary>
    /// Parses one frame as a client would (no masking expected); returns the number of bytes it
    /// took, or 0 when <paramref name="bytes"/> does not hold a whole frame yet.
    /// </summary>
    public static int TryParseServerFrame(ReadOnlySpan<byte> bytes, out ServerFrame frame)
    {
        frame = default;
        if (bytes.Length < 2)
        {
            return 0;
        }
        var masked = (bytes[1] & 0x80) != 0;
        long length = bytes[1] & 0x7F;
        var offset = 2;
        if (length == 126)
        {
            if (bytes.Length < 4) return 0;
            length = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
            offset = 4;
        }
        else if (length == 127)
        {
            if (bytes.Length < 10) return 0;
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]);
            offset = 10;
        }
        var maskOffset = offset;
        if (masked)
        {
            offset += 4;
        }
        if (bytes.Length < offset + length)
        {
            return 0;
        }
        var payload = bytes.Slice(offset, (int)length).ToArray();
        if (masked)
        {
            for (var i = 0; i < payload.Length; i++)
            {
                payload[i] ^= bytes[maskOffset + (i & 3)];
            }
        }
        frame = new ServerFrame((bytes[0] & 0x80) != 0, (byte)((bytes[0] >> 4) & 0x7), (byte)(bytes[0] & 0x0F), masked, payload);
        return offset + (int)length;
    }

    /// <summary>A sequence made of one segment per part, to exercise parsers across segment boundaries.</summary>
    public static ReadOnlySequence<byte> Segmented(params byte[][] parts)
    {
        if (parts.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        var first = new Segment(parts[0], 0);
        var last = first;
        for (var i = 1; i < parts.Length; i++)
        {
            last = last.Append(parts[i]);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
