using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using RunsStream.Protocol.SocketIO.Parser;

namespace RunsStream.Protocol.SocketIO;

/// <summary>
/// JSON settings of the Socket.IO layer. Byte arrays inside emitted values become binary
/// attachments (with placeholders), as the reference server does with Buffers.
/// </summary>
public static class SocketIOJson
{
    /// <summary>Writer settings matching JSON.stringify: no escaping of HTML-sensitive or non-ASCII characters.</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        // Like JSON.stringify: no escaping of HTML-sensitive or non-ASCII characters.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The serializer settings used when <see cref="SocketIOOptions.JsonOptions"/> is not set.</summary>
    public static JsonSerializerOptions DefaultOptions { get; } = CreateOptions();

    /// <summary>New serializer settings with the attachment converters, to customize and pass as <see cref="SocketIOOptions.JsonOptions"/>.</summary>
    public static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        options.Converters.Add(new ByteArrayAttachmentConverter());
        options.Converters.Add(new MemoryAttachmentConverter());
        if (JsonSerializer.IsReflectionEnabledByDefault)
        {
            options.MakeReadOnly(populateMissingResolver: true);
        }
        else
        {
            // A Native AOT build has no reflection-based serializer: the protocol's own values
            // (JSON elements, strings, numbers, binary) are known here; an application that
            // emits its own types passes SocketIOOptions.JsonOptions with its source-generated
            // context.
            options.TypeInfoResolver = SocketIOJsonContext.Default;
            options.MakeReadOnly();
        }
        return options;
    }

    /// <summary>Collects the attachments of the payload being encoded on this thread.</summary>
    [ThreadStatic]
    internal static List<ReadOnlyMemory<byte>>? t_attachments;

    internal static void WriteBinary(Utf8JsonWriter writer, ReadOnlyMemory<byte> value)
    {
        var attachments = t_attachments;
        if (attachments is null)
        {
            writer.WriteBase64StringValue(value.Span);
            return;
        }
        BinaryPlaceholder.Write(writer, attachments.Count);
        attachments.Add(value);
    }

    private sealed class ByteArrayAttachmentConverter : JsonConverter<byte[]>
    {
        public override byte[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? null : reader.GetBytesFromBase64();

        public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options) => WriteBinary(writer, value);
    }

    private sealed class MemoryAttachmentConverter : JsonConverter<ReadOnlyMemory<byte>>
    {
        public override ReadOnlyMemory<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetBytesFromBase64();

        public override void Write(Utf8JsonWriter writer, ReadOnlyMemory<byte> value, JsonSerializerOptions options) => WriteBinary(writer, value);
    }
}

/// <summary>Metadata of the values the protocol itself serializes, for builds without reflection.</summary>
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(byte[]))]
[JsonSerializable(typeof(ReadOnlyMemory<byte>))]
[JsonSerializable(typeof(object[]))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
internal sealed partial class SocketIOJsonContext : JsonSerializerContext;
