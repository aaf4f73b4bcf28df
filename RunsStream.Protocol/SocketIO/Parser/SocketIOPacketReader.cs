using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace RunsStream.Protocol.SocketIO.Parser;

/// <summary>
/// Decodes the text part of a Socket.IO v5 packet:
/// <c>&lt;type&gt;[&lt;attachments&gt;-][&lt;namespace&gt;,][&lt;id&gt;][&lt;JSON payload&gt;]</c>
/// (socket.io-protocol v5, "Packet encoding"). Pure; malformed input throws
/// <see cref="SocketIOProtocolException"/>. Validation of the payload follows the reference parser.
/// </summary>
internal static class SocketIOPacketReader
{
    private const int MaxIdDigits = 16;

    /// <summary>
    /// The most attachments a binary packet may announce unless the caller says otherwise; the
    /// reference parser's <c>maxAttachments</c> default. The announcement is what the receiver
    /// commits to wait for, so it is bounded before any attachment arrives.
    /// </summary>
    public const int DefaultMaxAttachments = 10;

    private static readonly string[] ReservedEvents =
        ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];

    /// <param name="utf8">The text of one Engine.IO message.</param>
    /// <param name="maxAttachments">
    /// The most attachments a binary packet may announce; more is "too many attachments".
    /// </param>
    public static SocketIOPacket Read(ReadOnlySpan<byte> utf8, int maxAttachments = DefaultMaxAttachments)
    {
        if (utf8.IsEmpty || utf8[0] < '0' || utf8[0] > '6')
        {
            throw new SocketIOProtocolException("unknown packet type");
        }
        if (!Utf8.IsValid(utf8))
        {
            // A packet is a JavaScript string; the JSON reader does not check the bytes inside
            // strings, so without this a bad name failed later, outside the protocol's error type.
            throw new SocketIOProtocolException("invalid UTF-8");
        }
        var type = (SocketIOPacketType)(utf8[0] - '0');
        var i = 1;

        var attachments = 0;
        if (type is SocketIOPacketType.BinaryEvent or SocketIOPacketType.BinaryAck)
        {
            var dash = utf8[i..].IndexOf((byte)'-');
            // A binary packet has at least one attachment: without one the sender uses EVENT/ACK.
            if (dash <= 0 || !Utf8Parser.TryParse(utf8.Slice(i, dash), out attachments, out var consumed) || consumed != dash
                || attachments < 1)
            {
                throw new SocketIOProtocolException("illegal attachments");
            }
            if (attachments > maxAttachments)
            {
                throw new SocketIOProtocolException("too many attachments");
            }
            i += dash + 1;
        }

        var ns = SocketIOPacket.RootNamespace;
        if (i < utf8.Length && utf8[i] == '/')
        {
            var comma = utf8[i..].IndexOf((byte)',');
            var end = comma < 0 ? utf8.Length : i + comma;
            ns = Encoding.UTF8.GetString(utf8[i..end]);
            i = comma < 0 ? end : end + 1;
        }

        long? id = null;
        var digits = 0;
        while (i + digits < utf8.Length && char.IsAsciiDigit((char)utf8[i + digits]))
        {
            digits++;
        }
        if (digits > 0)
        {
            if (digits > MaxIdDigits || !Utf8Parser.TryParse(utf8.Slice(i, digits), out long parsed, out _))
            {
                throw new SocketIOProtocolException("invalid ack id");
            }
            id = parsed;
            i += digits;
        }

        var data = default(JsonElement);
        if (i < utf8.Length)
        {
            try
            {
                var reader = new Utf8JsonReader(utf8[i..], new JsonReaderOptions { MaxDepth = 64 });
                data = JsonElement.ParseValue(ref reader);
                if (reader.BytesConsumed != utf8.Length - i)
                {
                    throw new SocketIOProtocolException("invalid payload");
                }
            }
            catch (JsonException)
            {
                throw new SocketIOProtocolException("invalid payload");
            }
        }

        if (!IsPayloadValid(type, data))
        {
            throw new SocketIOProtocolException("invalid payload");
        }
        if (id is not null && type is not (SocketIOPacketType.Event or SocketIOPacketType.BinaryEvent or SocketIOPacketType.Ack or SocketIOPacketType.BinaryAck))
        {
            throw new SocketIOProtocolException("invalid ack id");
        }
        if (id is null && type is SocketIOPacketType.Ack or SocketIOPacketType.BinaryAck)
        {
            throw new SocketIOProtocolException("invalid ack id");
        }
        return new SocketIOPacket(type, ns, id, data, attachments);
    }

    private static bool IsPayloadValid(SocketIOPacketType type, JsonElement data) => type switch
    {
        SocketIOPacketType.Connect => data.ValueKind is JsonValueKind.Undefined or JsonValueKind.Object,
        SocketIOPacketType.Disconnect => data.ValueKind is JsonValueKind.Undefined,
        SocketIOPacketType.ConnectError => data.ValueKind is JsonValueKind.Object or JsonValueKind.String,
        SocketIOPacketType.Event or SocketIOPacketType.BinaryEvent => IsValidEventArray(data),
        SocketIOPacketType.Ack or SocketIOPacketType.BinaryAck => data.ValueKind is JsonValueKind.Array,
        _ => false,
    };

    private static bool IsValidEventArray(JsonElement data)
    {
        if (data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0)
        {
            return false;
        }
        var name = data[0];
        return name.ValueKind == JsonValueKind.Number
            || (name.ValueKind == JsonValueKind.String && Array.IndexOf(ReservedEvents, name.GetString()) < 0);
    }
}
