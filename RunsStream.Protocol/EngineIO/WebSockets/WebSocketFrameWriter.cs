using System.Buffers.Binary;

namespace RunsStream.Protocol.EngineIO.WebSockets;

/// <summary>
/// Encodes server-to-client frames (RFC 6455 section 5.2): never masked, always final, so the
/// same bytes can be sent to every client.
/// </summary>
internal static class WebSocketFrameWriter
{
    public const int MaxHeaderLength = 10;

    public static int GetHeaderLength(int payloadLength) => payloadLength switch
    {
        <= 125 => 2,
        <= ushort.MaxValue => 4,
        _ => 10,
    };

    /// <summary>Writes the header of a final, unmasked frame and returns its length.</summary>
    public static int WriteHeader(Span<byte> destination, WebSocketOpcode opcode, int payloadLength)
    {
        destination[0] = (byte)(0x80 | (byte)opcode);
        if (payloadLength <= 125)
        {
            destination[1] = (byte)payloadLength;
            return 2;
        }
        if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            return 4;
        }
        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
        return 10;
    }

    /// <summary>Allocates one complete frame holding <paramref name="payload"/>.</summary>
    public static byte[] CreateFrame(WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var headerLength = GetHeaderLength(payload.Length);
        var frame = new byte[headerLength + payload.Length];
        WriteHeader(frame, opcode, payload.Length);
        payload.CopyTo(frame.AsSpan(headerLength));
        return frame;
    }

    /// <summary>A close frame with a status code and a UTF-8 reason (section 5.5.1).</summary>
    public static byte[] CreateCloseFrame(ushort code, string reason)
    {
        var reasonBytes = System.Text.Encoding.UTF8.GetBytes(reason);
        if (reasonBytes.Length > 123)
        {
            // A control frame holds 125 bytes: cut the reason at a character boundary so it stays valid UTF-8.
            var length = 123;
            while (length > 0 && (reasonBytes[length] & 0xC0) == 0x80)
            {
                length--;
            }
            Array.Resize(ref reasonBytes, length);
        }
        var payload = new byte[2 + reasonBytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        reasonBytes.CopyTo(payload, 2);
        return CreateFrame(WebSocketOpcode.Close, payload);
    }
}
