using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.Protocol.Redis;

/// <summary>
/// One broadcast as it travels between servers: who sent it (to skip its own echo), the rooms
/// and the except set, and the packet's Engine.IO messages as they were encoded once on the
/// sending server. A pure codec: bytes in, message out.
/// </summary>
/// <remarks>
/// Layout (all lengths and counts unsigned 32-bit big-endian): version byte 1; server id;
/// room count, rooms; except count, excepts; frame count, then per frame a kind byte (0 text
/// message, 1 binary) and its bytes. Strings are UTF-8 with a length before them. The text
/// frames carry the Socket.IO packet (the Engine.IO message without its "4"), so the receiver
/// builds the same frames the sender did, with no JSON re-encoding.
/// </remarks>
internal sealed record RedisBroadcastMessage(string ServerId, IReadOnlyList<string> Rooms, IReadOnlyList<string> Except, SocketIOEncodedPacket Packet)
{
    private const byte Version = 1;
    private const byte TextFrame = 0;
    private const byte BinaryFrame = 1;

    public static byte[] Encode(string serverId, IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except, SocketIOEncodedPacket packet)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.GetSpan(1)[0] = Version;
        buffer.Advance(1);
        WriteString(buffer, serverId);
        WriteStrings(buffer, rooms);
        WriteStrings(buffer, except);
        WriteUInt32(buffer, packet.Frames.Count);
        foreach (var frame in packet.Frames)
        {
            buffer.GetSpan(1)[0] = frame.IsBinary ? BinaryFrame : TextFrame;
            buffer.Advance(1);
            // A text frame's packet starts with the Engine.IO type digit ("4"): it is not sent.
            var bytes = frame.IsBinary ? frame.Packet.Span : frame.Packet.Span[1..];
            WriteUInt32(buffer, bytes.Length);
            buffer.Write(bytes);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a message; throws <see cref="FormatException"/> when the bytes are not one.</summary>
    public static RedisBroadcastMessage Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new Reader(bytes);
        if (reader.Byte() != Version)
        {
            throw new FormatException("Unknown broadcast message version.");
        }
        var serverId = reader.String();
        var rooms = reader.Strings();
        var except = reader.Strings();
        var count = reader.Count();
        if (count == 0)
        {
            throw new FormatException("A broadcast message carries no frame.");
        }
        var frames = new EngineFrame[count];
        for (var i = 0; i < count; i++)
        {
            var kind = reader.Byte();
            var data = reader.Bytes();
            frames[i] = kind switch
            {
                TextFrame => EngineFrame.Message(data),
                BinaryFrame when i > 0 => EngineFrame.Binary(data),
                _ => throw new FormatException($"Frame {i} has kind {kind}: the first is text, the others text or binary."),
            };
        }
        if (!reader.AtEnd)
        {
            throw new FormatException("Trailing bytes after the broadcast message.");
        }
        return new RedisBroadcastMessage(serverId, rooms, except, SocketIOEncodedPacket.FromFrames(frames));
    }

    private static void WriteStrings(ArrayBufferWriter<byte> buffer, IReadOnlyCollection<string> values)
    {
        WriteUInt32(buffer, values.Count);
        foreach (var value in values)
        {
            WriteString(buffer, value);
        }
    }

    private static void WriteString(ArrayBufferWriter<byte> buffer, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteUInt32(buffer, length);
        Encoding.UTF8.GetBytes(value, buffer.GetSpan(length));
        buffer.Advance(length);
    }

    private static void WriteUInt32(ArrayBufferWriter<byte> buffer, int value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(buffer.GetSpan(4), (uint)value);
        buffer.Advance(4);
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private ReadOnlySpan<byte> _rest = bytes;

        public readonly bool AtEnd => _rest.IsEmpty;

        public byte Byte()
        {
            var value = Take(1)[0];
            return value;
        }

        public int Count()
        {
            var value = BinaryPrimitives.ReadUInt32BigEndian(Take(4));
            // Each item takes at least four bytes: a count beyond what is left is malformed.
            return value <= (uint)_rest.Length ? (int)value : throw new FormatException("A length runs past the end of the broadcast message.");
        }

        public ReadOnlySpan<byte> Bytes() => Take(Count());

        public string String() => Encoding.UTF8.GetString(Bytes());

        public string[] Strings()
        {
            var values = new string[Count()];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = String();
            }
            return values;
        }

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length > _rest.Length)
            {
                throw new FormatException("The broadcast message ends early.");
            }
            var taken = _rest[..length];
            _rest = _rest[length..];
            return taken;
        }
    }
}
