using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Storage;

/// <summary>Issue 4: nothing lost across restarts, with the server as its own process.</summary>
[TestFixture]
[NonParallelizable]
public sealed class DurabilityTests
{
    private string _dataDirectory = null!;

    [SetUp]
    public void CreateDataDirectory()
    {
        _dataDirectory = Path.Combine(Path.GetTempPath(), "runsstream-durability", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dataDirectory);
    }

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
    public async Task After_kill_9_the_interrupted_run_fails_server_restarted_and_finished_runs_are_intact()
    {
        string finished, interrupted;
        JsonElement before;
        var pgid = 0;
        await using (var server = await ServerProcess.StartAsync(_dataDirectory))
        {
            finished = await server.StartRunAsync("seq 1 50000; echo done >&2");
            await server.WaitForRunAsync(finished, r => r.GetProperty("status").GetString() == "succeeded");
            before = await server.WatchAsync(finished, transports: "websocket");
            Assert.That(before.GetProperty("ok").GetBoolean(), Is.True, before.GetRawText());

            interrupted = await server.StartRunAsync("echo pid $$; i=0; while true; do i=$((i+1)); echo line $i; sleep 0.01; done");
            var log = await server.WaitForLogAsync(interrupted, "line 100\n");
            pgid = int.Parse(log.Split('\n')[0][4..]);
            // GET /runs makes every queued write durable before it answers.
            (await server.Http.GetAsync("/runs")).EnsureSuccessStatusCode();
            await server.CrashAsync();
        }
        try
        {
            await using var restarted = await ServerProcess.StartAsync(_dataDirectory);
            var run = await restarted.GetRunAsync(interrupted);
            Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("failed"));
            Assert.That(run.GetProperty("reason").GetString(), Is.EqualTo("server restarted"));

            var log = await restarted.Http.GetStringAsync($"/runs/{interrupted}/log");
            var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray();
            Assert.That(lines.Length, Is.GreaterThanOrEqualTo(100), "the output up to the crash is there");
            Assert.That(lines, Is.EqualTo(Enumerable.Range(1, lines.Length).Select(i => $"line {i}")), "a contiguous prefix, nothing doubled");

            var replay = await restarted.WatchAsync(interrupted, transports: "websocket");
            Assert.That(replay.GetProperty("ok").GetBoolean(), Is.True, replay.GetRawText());
            Assert.That(replay.GetProperty("gaps").GetArrayLength(), Is.EqualTo(0));
            Assert.That(replay.GetProperty("terminal").GetProperty("reason").GetString(), Is.EqualTo("server restarted"));
            Assert.That(replay.GetProperty("statuses").EnumerateArray().Count(s => s.GetString() is "failed"), Is.EqualTo(1), "one terminal event appended");

            var after = await restarted.WatchAsync(finished, transports: "websocket");
            Assert.That(after.GetProperty("lastSeq").GetInt64(), Is.EqualTo(before.GetProperty("lastSeq").GetInt64()), "same seqs");
            Assert.That(after.GetProperty("events").GetInt32(), Is.EqualTo(before.GetProperty("events").GetInt32()));
            Assert.That(after.GetProperty("stdoutSha256").GetString(), Is.EqualTo(before.GetProperty("stdoutSha256").GetString()), "same bytes");
            Assert.That(after.GetProperty("stderrSha256").GetString(), Is.EqualTo(before.GetProperty("stderrSha256").GetString()));
        }
        finally
        {
            ServerProcess.KillGroup(pgid); // the crashed server could not stop its run
        }
    }

    [Test]
    public async Task A_graceful_stop_loses_nothing()
    {
        string runId, running;
        var expected = string.Concat(Enumerable.Range(1, 300000).Select(i => i + "\n"));
        await using (var server = await ServerProcess.StartAsync(_dataDirectory))
        {
            runId = await server.StartRunAsync("seq 1 300000");
            running = await server.StartRunAsync("echo started; sleep 600");
            await server.WaitForRunAsync(runId, r => r.GetProperty("status").GetString() == "succeeded");
            await server.WaitForLogAsync(running, "started\n");
            Assert.That(await server.StopAsync(), Is.EqualTo(0));
        }
        await using var restarted = await ServerProcess.StartAsync(_dataDirectory);
        Assert.That(await restarted.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo(expected));
        var stopped = await restarted.GetRunAsync(running);
        Assert.That(stopped.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(stopped.GetProperty("reason").GetString(), Is.EqualTo("Server shutting down"));
        Assert.That(await restarted.Http.GetStringAsync($"/runs/{running}/log"), Is.EqualTo("started\n"));
    }

    [Test]
    public async Task A_late_subscriber_to_a_200_MB_run_gets_it_all_while_memory_stays_bounded()
    {
        const long size = 200L * 1024 * 1024;
        var environment = new Dictionary<string, string> { ["RUN_LOG_MAX_BYTES"] = (300L * 1024 * 1024).ToString() };
        await using var server = await ServerProcess.StartAsync(_dataDirectory, environment);
        var runId = await server.StartRunAsync($"head -c {size} /dev/zero | tr '\\0' 'x'");
        var run = await server.WaitForRunAsync(runId, r => r.GetProperty("status").GetString() == "succeeded");
        (await server.Http.GetAsync("/runs")).EnsureSuccessStatusCode();

        var baseline = server.ResidentBytes();
        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, server.ResidentBytes());
                await Task.Delay(20);
            }
        });
        var watch = await server.WatchAsync(runId, transports: "websocket");
        sampling.Cancel();
        await sampler;

        Assert.That(watch.GetProperty("ok").GetBoolean(), Is.True, watch.GetRawText());
        Assert.That(watch.GetProperty("stdoutBytes").GetInt64(), Is.EqualTo(size));
        Assert.That(watch.GetProperty("gaps").GetArrayLength(), Is.EqualTo(0));
        TestContext.Out.WriteLine($"RSS before replay {baseline / 1048576} MB, peak during replay {peak / 1048576} MB");
        Assert.That(peak - baseline, Is.LessThan(100L * 1024 * 1024), "replay streams from the store: memory grows by far less than the 200 MB log");
    }
}
