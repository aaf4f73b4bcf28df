using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace RunsStream.Protocol.SocketIO.Parser;

/// <summary>
/// Encodes the header of a Socket.IO v5 packet (socket.io-protocol v5, "Packet encoding"):
/// type digit, attachment count and '-' for binary packets, namespace and ',' unless it is the
/// main namespace, then the ack id. The JSON payload follows. Pure.
/// </summary>
internal static class SocketIOPacketWriter
{
    public static void WriteHeader(IBufferWriter<byte> writer, SocketIOPacketType type, string ns, long? id, int attachments)
    {
        var span = writer.GetSpan(1 + 11 + 1 + Encoding.UTF8.GetMaxByteCount(ns.Length) + 1 + 20);
        var n = 0;
        span[n++] = (byte)('0' + (byte)type);
        if (type is SocketIOPacketType.BinaryEvent or SocketIOPacketType.BinaryAck)
        {
            Utf8Formatter.TryFormat(attachments, span[n..], out var written);
            n += written;
            span[n++] = (byte)'-';
        }
        if (ns != SocketIOPacket.RootNamespace)
        {
            n += Encoding.UTF8.GetBytes(ns, span[n..]);
            span[n++] = (byte)',';
        }
        if (id is { } ackId)
        {
            Utf8Formatter.TryFormat(ackId, span[n..], out var written);
            n += written;
        }
        writer.Advance(n);
    }
}
