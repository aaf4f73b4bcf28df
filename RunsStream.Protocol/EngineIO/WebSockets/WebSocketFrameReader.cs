using System.Buffers;
using System.Buffers.Binary;

namespace RunsStream.Protocol.EngineIO.WebSockets;

/// <summary>
/// Decodes client-to-server WebSocket frames (RFC 6455 section 5.2). Pure: returns false when
/// more bytes are needed, throws <see cref="WebSocketProtocolException"/> on malformed frames.
/// </summary>
internal static class WebSocketFrameReader
{
    private const int MaxHeaderLength = 14; // 2 + 8 (length) + 4 (mask)
    private const int MaxControlPayload = 125;

    public static bool TryRead(ref ReadOnlySequence<byte> buffer, long maxPayload, out WebSocketFrame frame)
    {
        frame = default;
        if (buffer.Length < 2)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[MaxHeaderLength];
        var available = (int)Math.Min(buffer.Length, MaxHeaderLength);
        buffer.Slice(0, available).CopyTo(header);

        var first = header[0];
        var second = header[1];
        var fin = (first & 0x80) != 0;
        if ((first & 0x70) != 0)
        {
            // No extension is negotiated, so every RSV bit must be clear (section 5.2).
            throw new WebSocketProtocolException(WebSocketCloseCodes.ProtocolError, "reserved bits set");
        }
        var opcode = (WebSocketOpcode)(first & 0x0F);
        if (opcode is not (WebSocketOpcode.Continuation or WebSocketOpcode.Text or WebSocketOpcode.Binary
            or WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong))
        {
            throw new WebSocketProtocolException(WebSocketCloseCodes.ProtocolError, "unknown opcode");
        }
        if ((second & 0x80) == 0)
        {
            // A client must mask every frame it sends (section 5.1).
            throw new WebSocketProtocolException(WebSocketCloseCodes.ProtocolError, "unmasked client frame");
        }

        long length = second & 0x7F;
        var offset = 2;
        if (length == 126)
        {
            if (available < 4) return false;
            length = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
            offset = 4;
        }
        else if (length == 127)
        {
            if (available < 10) return false;
            var wide = BinaryPrimitives.ReadUInt64BigEndian(header[2..]);
            if (wide > long.MaxValue)
            {
                throw new WebSocketProtocolException(WebSocketCloseCodes.ProtocolError, "invalid payload length");
            }
            length = (long)wide;
            offset = 10;
        }

        var isControl = (byte)opcode >= 0x8;
        if (isControl && (length > MaxControlPayload || !fin))
        {
            throw new WebSocketProtocolException(WebSocketCloseCodes.ProtocolError, "invalid control frame");
        }
        if (length > maxPayload)
        {
            throw new WebSocketProtocolException(WebSocketCloseCodes.MessageTooBig, "frame exceeds the maximum payload");
        }
        if (available < offset + 4)
        {
            return false;
        }
        uint maskKey = BinaryPrimitives.ReadUInt32LittleEndian(header[offset..]);
        offset += 4;

        if (buffer.Length < offset + length)
        {
            return false;
        }

        var payload = new byte[length];
        buffer.Slice(offset, length).CopyTo(payload);
        Unmask(payload, maskKey);
        buffer = buffer.Slice(offset + length);
        frame = new WebSocketFrame(fin, opcode, payload);
        return true;
    }

    /// <summary>XORs the payload with the 4-byte mask (section 5.3), a word at a time.</summary>
    internal static void Unmask(Span<byte> payload, uint maskKey)
    {
        var mask = ((ulong)maskKey << 32) | maskKey;
        var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(payload);
        for (var i = 0; i < words.Length; i++)
        {
            words[i] ^= mask;
        }
        Span<byte> maskBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(maskBytes, maskKey);
        for (var i = words.Length * 8; i < payload.Length; i++)
        {
            payload[i] ^= maskBytes[i & 3];
        }
    }
}
