using System.Text.Json;

namespace RunsStream.Protocol.SocketIO.Parser;

/// <summary>
/// The stand-in for a binary attachment inside a JSON payload:
/// <c>{"_placeholder":true,"num":n}</c> (socket.io-protocol v5, "Binary attachments").
/// </summary>
internal static class BinaryPlaceholder
{
    public static void Write(Utf8JsonWriter writer, int num)
    {
        writer.WriteStartObject();
        writer.WriteBoolean("_placeholder"u8, true);
        writer.WriteNumber("num"u8, num);
        writer.WriteEndObject();
    }

    public static bool TryGetIndex(JsonElement element, out int num)
    {
        num = -1;
        return element.ValueKind == JsonValueKind.Object
            && element.TryGetProperty("_placeholder"u8, out var flag) && flag.ValueKind == JsonValueKind.True
            && element.TryGetProperty("num"u8, out var n) && n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out num);
    }

    /// <summary>Checks that every placeholder in <paramref name="data"/> names an attachment that exists.</summary>
    public static void Validate(JsonElement data, int attachments, int depth = 0)
    {
        if (depth > 64)
        {
            throw new SocketIOProtocolException("payload too deep");
        }
        switch (data.ValueKind)
        {
            case JsonValueKind.Object when data.TryGetProperty("_placeholder"u8, out _):
                if (!TryGetIndex(data, out var num) || num < 0 || num >= attachments)
                {
                    throw new SocketIOProtocolException("illegal attachments");
                }
                break;
            case JsonValueKind.Object:
                foreach (var property in data.EnumerateObject())
                {
                    Validate(property.Value, attachments, depth + 1);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in data.EnumerateArray())
                {
                    Validate(item, attachments, depth + 1);
                }
                break;
        }
    }
}
