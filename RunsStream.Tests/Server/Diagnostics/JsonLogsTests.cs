using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Diagnostics;

/// <summary>LOG_FORMAT=json: every line the server process writes to stdout is one JSON object.</summary>
[NonParallelizable]
public sealed class JsonLogsTests
{
    [Test]
    public async Task Every_stdout_line_of_the_server_is_a_json_object_the_banner_and_the_runs_log_included()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("runsstream-jsonlogs-").FullName;
        try
        {
            await using var server = await ServerProcess.StartAsync(dataDirectory, new Dictionary<string, string>
            {
                ["LOG_FORMAT"] = "json",
                ["Logging__LogLevel__Default"] = "Information",
            });
            var runId = await server.StartRunAsync("echo json-logs");
            await server.WaitForTerminalAsync(runId);
            Assert.That(await server.StopAsync(), Is.Zero);

            var lines = server.OutputLines.ToList();
            var entries = new List<JsonElement>();
            foreach (var line in lines)
            {
                try
                {
                    entries.Add(JsonDocument.Parse(line).RootElement.Clone());
                }
                catch (JsonException ex)
                {
                    Assert.Fail($"not a JSON line ({ex.Message}): {line}");
                }
            }
            Assert.That(entries.All(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("LogLevel", out _) && e.TryGetProperty("Timestamp", out _)), string.Join('\n', lines));
            Assert.That(entries.Any(e => e.GetProperty("Message").GetString()!.StartsWith($"RunsStream listening on {server.Url}")), string.Join('\n', lines));
            // The runs' own log lines, with their structured fields.
            var started = entries.Where(e => e.GetProperty("Category").GetString() == "RunsStream.Server.Runs.RunsService"
                && e.TryGetProperty("State", out var state) && state.TryGetProperty("RunId", out var id) && id.GetString() == runId).ToList();
            Assert.That(started, Is.Not.Empty, string.Join('\n', lines));
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
