using System.Buffers;
using System.Text.Json;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.SocketIO.Parser;

namespace RunsStream.Protocol.SocketIO;

/// <summary>
/// A Socket.IO packet encoded once into Engine.IO frames (the text packet, then one binary
/// frame per attachment). Immutable: a broadcast hands the same instance to every recipient.
/// </summary>
public sealed class SocketIOEncodedPacket
{
    private readonly EngineFrame[] _frames;

    private SocketIOEncodedPacket(EngineFrame[] frames)
    {
        _frames = frames;
        foreach (var frame in frames)
        {
            Size += frame.Size;
        }
    }

    /// <summary>Bytes of all the frames as Engine.IO frames them (counted once, sent to many).</summary>
    internal long Size { get; }

    /// <summary>The text packet, then one binary frame per attachment.</summary>
    public IReadOnlyList<EngineFrame> Frames => _frames;

    /// <summary>
    /// A packet from frames already encoded: the text packet, then its binary attachments (as
    /// <see cref="Frames"/> gives them). For an adapter that receives another server's
    /// broadcast; the frames are not checked against each other.
    /// </summary>
    public static SocketIOEncodedPacket FromFrames(IReadOnlyList<EngineFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0 || frames[0].IsBinary)
        {
            throw new ArgumentException("A Socket.IO packet starts with one text frame.", nameof(frames));
        }
        return new SocketIOEncodedPacket(frames.ToArray());
    }

    /// <summary>The frames as the session's send path takes them.</summary>
    internal ReadOnlySpan<EngineFrame> FrameSpan => _frames;

    /// <summary>An EVENT: <c>["name", ...args]</c>; byte arrays become attachments.</summary>
    public static SocketIOEncodedPacket Event(string ns, string eventName, ReadOnlySpan<object?> args, long? ackId = null, JsonSerializerOptions? options = null)
    {
        var state = new ArgsState(eventName, args.ToArray(), null, options ?? SocketIOJson.DefaultOptions);
        return Encode(SocketIOPacketType.Event, ns, ackId, state);
    }

    /// <summary>An EVENT re-sending received arguments unchanged (binary included).</summary>
    public static SocketIOEncodedPacket Event(string ns, string eventName, SocketIOArguments args, long? ackId = null)
    {
        var state = new ArgsState(eventName, [], args, SocketIOJson.DefaultOptions);
        return Encode(SocketIOPacketType.Event, ns, ackId, state);
    }

    /// <summary>
    /// An EVENT with one argument written by <paramref name="writeArgument"/> straight into the
    /// frame: <c>["name",&lt;argument&gt;]</c> (no serializer, no attachments, one copy).
    /// </summary>
    public static SocketIOEncodedPacket Event<TState>(string ns, string eventName, TState state, Action<Utf8JsonWriter, TState> writeArgument)
    {
        var frame = EngineFrame.Message((ns, eventName, state, writeArgument), static (buffer, s) =>
        {
            SocketIOPacketWriter.WriteHeader(buffer, SocketIOPacketType.Event, s.ns, null, 0);
            using var json = new Utf8JsonWriter(buffer, SocketIOJson.WriterOptions);
            json.WriteStartArray();
            json.WriteStringValue(s.eventName);
            s.writeArgument(json, s.state);
            json.WriteEndArray();
        });
        return new SocketIOEncodedPacket([frame]);
    }

    /// <summary>An ACK for <paramref name="ackId"/> in <paramref name="ns"/> carrying <paramref name="args"/>, encoded once.</summary>
    public static SocketIOEncodedPacket Ack(string ns, long ackId, ReadOnlySpan<object?> args, JsonSerializerOptions? options = null)
    {
        var state = new ArgsState(null, args.ToArray(), null, options ?? SocketIOJson.DefaultOptions);
        return Encode(SocketIOPacketType.Ack, ns, ackId, state);
    }

    /// <summary>An ACK for <paramref name="ackId"/> in <paramref name="ns"/> sending back received arguments as they came, binary included.</summary>
    public static SocketIOEncodedPacket Ack(string ns, long ackId, SocketIOArguments args)
    {
        var state = new ArgsState(null, [], args, SocketIOJson.DefaultOptions);
        return Encode(SocketIOPacketType.Ack, ns, ackId, state);
    }

    /// <summary>CONNECT answer: <c>40/ns,{"sid":"..."}</c>.</summary>
    public static SocketIOEncodedPacket Connect(string ns, string sid) =>
        Single(SocketIOPacketType.Connect, ns, json =>
        {
            json.WriteStartObject();
            json.WriteString("sid"u8, sid);
            json.WriteEndObject();
        });

    /// <summary>CONNECT_ERROR: <c>44/ns,{"message":"...","data":...}</c>.</summary>
    public static SocketIOEncodedPacket ConnectError(string ns, string message, object? data = null) =>
        Single(SocketIOPacketType.ConnectError, ns, json =>
        {
            json.WriteStartObject();
            json.WriteString("message"u8, message);
            if (data is not null)
            {
                json.WritePropertyName("data"u8);
                JsonSerializer.Serialize(json, data, data.GetType(), SocketIOJson.DefaultOptions);
            }
            json.WriteEndObject();
        });

    /// <summary>
    /// CONNECT answer to a Socket.IO v4 client (socket.io-client 2.x over Engine.IO v3):
    /// <c>40</c> or <c>40/ns,</c>, no payload (socket.io-protocol v4 has no session id in it).
    /// </summary>
    public static SocketIOEncodedPacket ConnectV4Protocol(string ns) => Single(SocketIOPacketType.Connect, ns, null);

    /// <summary>
    /// ERROR to a Socket.IO v4 client: <c>44/ns,"message"</c>, or the refusal's data in place
    /// of the message when it has some (as the reference's <c>err.data || err.message</c>).
    /// </summary>
    public static SocketIOEncodedPacket ConnectErrorV4Protocol(string ns, string message, object? data = null) =>
        Single(SocketIOPacketType.ConnectError, ns, json =>
        {
            if (data is null)
            {
                json.WriteStringValue(message);
            }
            else
            {
                JsonSerializer.Serialize(json, data, data.GetType(), SocketIOJson.DefaultOptions);
            }
        });

    /// <summary>A DISCONNECT of <paramref name="ns"/>.</summary>
    public static SocketIOEncodedPacket Disconnect(string ns) => Single(SocketIOPacketType.Disconnect, ns, null);

    private static SocketIOEncodedPacket Single(SocketIOPacketType type, string ns, Action<Utf8JsonWriter>? writeData)
    {
        var frame = EngineFrame.Message((type, ns, writeData), static (buffer, s) =>
        {
            SocketIOPacketWriter.WriteHeader(buffer, s.type, s.ns, null, 0);
            if (s.writeData is not null)
            {
                using var json = new Utf8JsonWriter(buffer, SocketIOJson.WriterOptions);
                s.writeData(json);
            }
        });
        return new SocketIOEncodedPacket([frame]);
    }

    private static SocketIOEncodedPacket Encode(SocketIOPacketType type, string ns, long? id, ArgsState state)
    {
        var payload = t_payload ??= new ArrayBufferWriter<byte>(1024);
        payload.ResetWrittenCount();
        var attachments = new List<ReadOnlyMemory<byte>>();
        var previous = SocketIOJson.t_attachments;
        SocketIOJson.t_attachments = attachments;
        try
        {
            using var json = new Utf8JsonWriter(payload, SocketIOJson.WriterOptions);
            json.WriteStartArray();
            if (state.EventName is not null)
            {
                json.WriteStringValue(state.EventName);
            }
            if (state.Raw is not null)
            {
                state.Raw.WriteTo(json);
                foreach (var attachment in state.Raw.Attachments)
                {
                    attachments.Add(attachment);
                }
            }
            else
            {
                foreach (var arg in state.Args)
                {
                    WriteValue(json, arg, state.Options);
                }
            }
            json.WriteEndArray();
        }
        finally
        {
            SocketIOJson.t_attachments = previous;
        }

        if (attachments.Count > 0)
        {
            type = type == SocketIOPacketType.Event ? SocketIOPacketType.BinaryEvent : SocketIOPacketType.BinaryAck;
        }
        var frames = new EngineFrame[1 + attachments.Count];
        frames[0] = EngineFrame.Message((type, ns, id, attachments.Count, payload), static (buffer, s) =>
        {
            SocketIOPacketWriter.WriteHeader(buffer, s.type, s.ns, s.id, s.Count);
            buffer.Write(s.payload.WrittenSpan);
        });
        for (var i = 0; i < attachments.Count; i++)
        {
            frames[i + 1] = EngineFrame.Binary(attachments[i].Span);
        }
        if (payload.Capacity > 1 << 20)
        {
            t_payload = null;
        }
        return new SocketIOEncodedPacket(frames);
    }

    private static void WriteValue(Utf8JsonWriter json, object? value, JsonSerializerOptions options)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case JsonElement element:
                element.WriteTo(json);
                break;
            case byte[] bytes:
                SocketIOJson.WriteBinary(json, bytes);
                break;
            case ReadOnlyMemory<byte> memory:
                SocketIOJson.WriteBinary(json, memory);
                break;
            case string text:
                json.WriteStringValue(text);
                break;
            default:
                JsonSerializer.Serialize(json, value, value.GetType(), options);
                break;
        }
    }

    private readonly record struct ArgsState(string? EventName, object?[] Args, SocketIOArguments? Raw, JsonSerializerOptions Options);

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_payload;
}
