using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// Issue 13 item 5: a pipeline interrupted by a crash of the server ends as runs do today
/// (failed, "server restarted"), its current stage failed and the later ones skipped, with
/// stage events that replay without a gap.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PipelineRestartTests
{
    private string _dataDirectory = null!;

    [SetUp]
    public void CreateDataDirectory() => _dataDirectory = Directory.CreateTempSubdirectory("runsstream-pipeline-restart-").FullName;

    [TearDown]
    public void DeleteDataDirectory()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Test]
    public async Task After_a_crash_the_running_stage_fails_and_the_later_ones_are_skipped()
    {
        string runId;
        var pgid = 0;
        await using (var server = await ServerProcess.StartAsync(_dataDirectory))
        {
            runId = await PipelineTests.StartPipelineAsync(server, ("prepare", "echo prepared"), ("serve", "echo pid $$; sleep 600"), ("report", "echo never"));
            var log = await server.WaitForLogAsync(runId, "pid ");
            pgid = int.Parse(log.Split('\n')[1][4..]);
            // GET /runs makes every queued write durable before it answers.
            (await server.Http.GetAsync("/runs")).EnsureSuccessStatusCode();
            await server.CrashAsync();
        }
        try
        {
            await using var restarted = await ServerProcess.StartAsync(_dataDirectory);
            var run = await restarted.GetRunAsync(runId);
            Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("failed"));
            Assert.That(run.GetProperty("reason").GetString(), Is.EqualTo("server restarted"));
            Assert.That(run.GetProperty("executor").GetString(), Is.EqualTo("process"));
            var stages = run.GetProperty("stages").EnumerateArray().ToArray();
            Assert.That(stages.Select(s => s.GetProperty("status").GetString()), Is.EqualTo(new[] { "succeeded", "failed", "skipped" }));
            Assert.That(stages[1].GetProperty("endedAt").ValueKind, Is.EqualTo(JsonValueKind.String));

            var replay = await restarted.WatchAsync(runId, transports: "websocket");
            PipelineTests.AssertNoGaps(replay);
            Assert.That(PipelineTests.StagesOf(replay).Select(s => (s.Name, s.Status)), Is.EqualTo(new[]
            {
                ("prepare", "running"), ("prepare", "succeeded"), ("serve", "running"), ("serve", "failed"), ("report", "skipped"),
            }));
            Assert.That(replay.GetProperty("terminal").GetProperty("reason").GetString(), Is.EqualTo("server restarted"));
            Assert.That(replay.GetProperty("lastSeq").GetInt64(), Is.EqualTo(replay.GetProperty("terminal").GetProperty("seq").GetInt64()));
        }
        finally
        {
            ServerProcess.KillGroup(pgid); // in case recovery did not
        }
    }
}
