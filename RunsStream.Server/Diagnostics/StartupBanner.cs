using System.Text;
using System.Text.Json;

namespace RunsStream.Server.Diagnostics;

/// <summary>
/// The lines the server prints at start (address, token, link): plain text, or with
/// LOG_FORMAT=json one JSON object each, shaped like the console's JSON formatter, so that
/// every line of stdout parses for a log collector. Printed whatever the log level.
/// </summary>
internal static class StartupBanner
{
    public static void Write(TextWriter output, bool json, string message)
    {
        if (!json)
        {
            output.WriteLine(message);
            return;
        }
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("Timestamp", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteNumber("EventId", 0);
            writer.WriteString("LogLevel", "Information");
            writer.WriteString("Category", "RunsStream.Server");
            writer.WriteString("Message", message);
            writer.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
