using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// Issue 13 item 5: POST /runs with stages runs them in order in one workspace; `stage` events
/// in the run's log (with seqs shared with run-event) mark each start and end; GET lists them.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PipelineTests
{
    private RunsServerHost _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await RunsServerHost.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    internal static async Task<string> StartPipelineAsync(IRunsServer server, params (string Name, string Command)[] stages)
    {
        var response = await server.Http.PostAsJsonAsync("/runs", new { stages = stages.Select(s => new { name = s.Name, command = s.Command }), workspaceId = "pipe-" + Guid.NewGuid().ToString("N")[..8] });
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body);
        return JsonDocument.Parse(body).RootElement.GetProperty("runId").GetString()!;
    }

    internal static (string Name, int Index, string Status, long Seq)[] StagesOf(JsonElement watch) =>
        watch.GetProperty("stages").EnumerateArray()
            .Select(s => (s.GetProperty("name").GetString()!, s.GetProperty("index").GetInt32(), s.GetProperty("status").GetString()!, s.GetProperty("seq").GetInt64()))
            .ToArray();

    internal static void AssertNoGaps(JsonElement watch)
    {
        Assert.That(watch.GetProperty("ok").GetBoolean(), Is.True, watch.GetRawText());
        Assert.That(watch.GetProperty("gaps").GetArrayLength(), Is.Zero, "stage and run events together have every seq: " + watch.GetProperty("gaps").GetRawText());
        Assert.That(watch.GetProperty("duplicates").GetInt32(), Is.Zero);
        Assert.That(watch.GetProperty("outOfOrder").GetInt32(), Is.Zero);
        Assert.That(watch.GetProperty("badTimestamps").GetInt32(), Is.Zero, "`at` is Date.toISOString()");
    }

    private static string[] StageStatuses(JsonElement run) =>
        run.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("status").GetString()!).ToArray();

    [Test]
    public async Task Three_stages_run_in_order_in_one_workspace_with_a_stage_event_at_each_start_and_end()
    {
        var runId = await StartPipelineAsync(_server, ("build", "echo A; echo built > artifact"), ("test", "echo B; cat artifact"), ("lint", "echo C >&2"));
        var watch = await _server.WatchAsync(runId, transports: "websocket");
        AssertNoGaps(watch);

        Assert.That(StagesOf(watch).Select(s => (s.Name, s.Index, s.Status)), Is.EqualTo(new[]
        {
            ("build", 0, "running"), ("build", 0, "succeeded"),
            ("test", 1, "running"), ("test", 1, "succeeded"),
            ("lint", 2, "running"), ("lint", 2, "succeeded"),
        }));
        Assert.That(watch.GetProperty("statuses").EnumerateArray().Select(s => s.GetString()), Is.EqualTo(new[] { "queued", "running", "succeeded" }));
        Assert.That(watch.GetProperty("stdoutText").GetString(), Is.EqualTo("A\nB\nbuilt\n"), "the second stage read the first one's file: one workspace");
        Assert.That(watch.GetProperty("stderrText").GetString(), Is.EqualTo("C\n"));

        // Each stage's output lies between its start and its end.
        var stages = watch.GetProperty("stages").EnumerateArray().ToArray();
        var text = watch.GetProperty("text").GetString()!;
        string Between(int start, int end) => text[stages[start].GetProperty("textAt").GetInt32()..stages[end].GetProperty("textAt").GetInt32()];
        Assert.That(Between(0, 1), Is.EqualTo("A\n"));
        Assert.That(Between(2, 3), Is.EqualTo("B\nbuilt\n"));
        Assert.That(Between(4, 5), Is.EqualTo("C\n"));
        Assert.That(stages[0].GetProperty("seq").GetInt64(), Is.EqualTo(3), "queued, running, then the first stage");
        Assert.That(stages[1].GetProperty("exitCode").GetInt32(), Is.Zero);
        Assert.That(stages[1].GetProperty("durationMs").GetInt64(), Is.GreaterThanOrEqualTo(0));
        Assert.That(stages[0].GetProperty("durationMs").ValueKind, Is.EqualTo(JsonValueKind.Null), "a start has no duration yet");

        var run = await _server.GetRunAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        Assert.That(run.GetProperty("exitCode").GetInt32(), Is.Zero);
        Assert.That(run.GetProperty("executor").GetString(), Is.EqualTo("process"));
        Assert.That(run.GetProperty("command").ValueKind, Is.EqualTo(JsonValueKind.Null), "a pipeline has stages instead");
        Assert.That(StageStatuses(run), Is.EqualTo(new[] { "succeeded", "succeeded", "succeeded" }));
        var listed = run.GetProperty("stages").EnumerateArray().ToArray();
        Assert.That(listed.Select(s => s.GetProperty("name").GetString()), Is.EqualTo(new[] { "build", "test", "lint" }));
        Assert.That(listed[1].GetProperty("command").GetString(), Is.EqualTo("echo B; cat artifact"));
        for (var i = 0; i < listed.Length; i++)
        {
            var started = DateTimeOffset.Parse(listed[i].GetProperty("startedAt").GetString()!);
            var ended = DateTimeOffset.Parse(listed[i].GetProperty("endedAt").GetString()!);
            Assert.That(ended, Is.GreaterThanOrEqualTo(started));
            Assert.That(listed[i].GetProperty("exitCode").GetInt32(), Is.Zero);
            if (i > 0)
            {
                Assert.That(started, Is.GreaterThanOrEqualTo(DateTimeOffset.Parse(listed[i - 1].GetProperty("endedAt").GetString()!)), "in order");
            }
        }
        Assert.That(await _server.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("A\nB\nbuilt\nC\n"), "stage events are not output");
    }

    [Test]
    public async Task A_failing_middle_stage_fails_the_run_with_its_exit_code_and_skips_the_rest()
    {
        var runId = await StartPipelineAsync(_server, ("one", "echo first"), ("two", "echo second; exit 7"), ("three", "echo never"));
        var watch = await _server.WatchAsync(runId, transports: "websocket");
        AssertNoGaps(watch);
        Assert.That(StagesOf(watch).Select(s => (s.Name, s.Status)), Is.EqualTo(new[]
        {
            ("one", "running"), ("one", "succeeded"), ("two", "running"), ("two", "failed"), ("three", "skipped"),
        }));
        Assert.That(watch.GetProperty("stages")[3].GetProperty("exitCode").GetInt32(), Is.EqualTo(7));
        Assert.That(watch.GetProperty("stdoutText").GetString(), Is.EqualTo("first\nsecond\n"));
        var terminal = watch.GetProperty("terminal");
        Assert.That(terminal.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(terminal.GetProperty("exitCode").GetInt32(), Is.EqualTo(7));
        Assert.That(terminal.GetProperty("reason").GetString(), Does.Contain("'two'"));

        var run = await _server.GetRunAsync(runId);
        Assert.That(run.GetProperty("exitCode").GetInt32(), Is.EqualTo(7));
        Assert.That(StageStatuses(run), Is.EqualTo(new[] { "succeeded", "failed", "skipped" }));
        var skipped = run.GetProperty("stages")[2];
        Assert.That(skipped.GetProperty("startedAt").ValueKind, Is.EqualTo(JsonValueKind.Null), "a skipped stage never started");
        Assert.That(skipped.GetProperty("exitCode").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Cancel_during_a_stage_stops_it_and_skips_the_later_ones()
    {
        var runId = await StartPipelineAsync(_server, ("setup", "echo ready"), ("long", "echo waiting; sleep 600"), ("after", "echo never"));
        await _server.WaitForLogAsync(runId, "waiting\n");
        var cancel = await _server.Http.PostAsync($"/runs/{runId}/cancel", null);
        Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.OK), await cancel.Content.ReadAsStringAsync());

        var run = await _server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
        Assert.That(StageStatuses(run), Is.EqualTo(new[] { "succeeded", "cancelled", "skipped" }));
        var watch = await _server.WatchAsync(runId, transports: "websocket");
        AssertNoGaps(watch);
        Assert.That(StagesOf(watch).Select(s => (s.Name, s.Status)).TakeLast(2), Is.EqualTo(new[] { ("long", "cancelled"), ("after", "skipped") }));
        Assert.That(watch.GetProperty("stdoutText").GetString(), Does.Not.Contain("never"));
    }

    [Test]
    public async Task Replay_since_a_stage_event_continues_after_it_with_stage_and_run_events()
    {
        var runId = await StartPipelineAsync(_server, ("a", "echo one"), ("b", "echo two"));
        var full = await _server.WatchAsync(runId, transports: "websocket");
        AssertNoGaps(full);
        var stages = StagesOf(full);
        var since = stages.Single(s => s.Name == "a" && s.Status == "succeeded").Seq;

        var replay = await _server.WatchAsync(runId, since: since, transports: "polling");
        AssertNoGaps(replay);
        Assert.That(replay.GetProperty("firstSeq").GetInt64(), Is.EqualTo(since + 1));
        Assert.That(StagesOf(replay), Is.EqualTo(stages.Where(s => s.Seq > since).ToArray()), "the same stage events, same seqs");
        Assert.That(replay.GetProperty("stdoutText").GetString(), Is.EqualTo("two\n"));
        Assert.That(replay.GetProperty("lastSeq").GetInt64(), Is.EqualTo(full.GetProperty("lastSeq").GetInt64()));
    }

    [Test]
    public async Task A_client_that_knows_only_run_event_still_gets_the_output_and_the_terminal_status()
    {
        // runs-client listens for `stage` too; what a stage-unaware client gets is its run-events,
        // which are the same: stage events go out under their own event name.
        var runId = await StartPipelineAsync(_server, ("a", "echo one"), ("b", "echo two"));
        var watch = await _server.WatchAsync(runId, transports: "websocket");
        Assert.That(watch.GetProperty("events").GetInt32(), Is.EqualTo(5), "queued, running, two outputs, succeeded");
        Assert.That(watch.GetProperty("stages").GetArrayLength(), Is.EqualTo(4));
        Assert.That(watch.GetProperty("terminal").GetProperty("seq").GetInt64(), Is.EqualTo(watch.GetProperty("lastSeq").GetInt64()), "the terminal status is still the last event");
    }
}
