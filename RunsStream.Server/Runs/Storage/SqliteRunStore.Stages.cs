using System.Text.Json;
using RunsStream.Server.Runs.Execution;

namespace RunsStream.Server.Runs.Storage;

internal sealed partial class SqliteRunStore
{
    private const string ProcessExecutorName = ProcessExecutor.ExecutorName;

    /// <summary>
    /// A pipeline's stages in runs.stages: a JSON array, one object per stage, times in Unix
    /// milliseconds. Small (at most 50 stages) and rewritten whole on each stage event.
    /// PostgreSQL keeps the same JSON in runs.stages (jsonb).
    /// </summary>
    internal static class StagesJson
    {
        public static string Write(IReadOnlyList<RunStage> stages)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartArray();
                foreach (var stage in stages)
                {
                    json.WriteStartObject();
                    json.WriteString("name", stage.Name);
                    json.WriteString("command", stage.Command);
                    json.WriteString("status", stage.Status.ToWire());
                    WriteOptional(json, "startedAt", stage.StartedAt is { } started ? ToMillis(started) : null);
                    WriteOptional(json, "endedAt", stage.EndedAt is { } ended ? ToMillis(ended) : null);
                    WriteOptional(json, "exitCode", stage.ExitCode);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        }

        public static IReadOnlyList<RunStage> Read(string text)
        {
            using var document = JsonDocument.Parse(text);
            var stages = new List<RunStage>();
            foreach (var item in document.RootElement.EnumerateArray())
            {
                StageStatuses.TryParse(item.GetProperty("status").GetString(), out var status);
                stages.Add(new RunStage(
                    item.GetProperty("name").GetString()!,
                    item.GetProperty("command").GetString()!,
                    status,
                    item.TryGetProperty("startedAt", out var started) ? FromMillis(started.GetInt64()) : null,
                    item.TryGetProperty("endedAt", out var ended) ? FromMillis(ended.GetInt64()) : null,
                    item.TryGetProperty("exitCode", out var exit) ? exit.GetInt32() : null));
            }
            return stages;
        }

        private static void WriteOptional(Utf8JsonWriter json, string name, long? value)
        {
            if (value is { } v)
            {
                json.WriteNumber(name, v);
            }
        }
    }
}
