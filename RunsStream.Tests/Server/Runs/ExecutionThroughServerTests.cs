using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs;

/// <summary>The execution pipeline as a user sees it through the server: cancel, queue, timeout, shutdown.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ExecutionThroughServerTests
{
    private static bool ProcessExists(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");

    private static int[] PidsIn(string log) => log.Split('\n').Where(l => l.StartsWith("pid ")).Select(l => int.Parse(l[4..])).ToArray();

    private static async Task<int[]> WaitForPidsAsync(RunsServerHost server, string runId, int count) =>
        PidsIn(await server.WaitForLogAsync(runId, log => PidsIn(log).Length >= count, $"{count} pids", TimeSpan.FromSeconds(60)));

    private static Task WaitUntilGoneAsync(IEnumerable<int> pids) =>
        Eventually.ValueAsync(
            () => Task.FromResult(pids.Where(ProcessExists).ToArray()),
            alive => alive.Length == 0,
            alive => "processes of the run survived: " + string.Join(",", alive),
            TimeSpan.FromSeconds(30));

    [Test]
    public async Task Cancel_stops_the_whole_tree_and_keeps_the_trap_output()
    {
        await using var server = await RunsServerHost.StartAsync(o => o with { CancelGrace = TimeSpan.FromSeconds(10) });
        var runId = await server.StartRunAsync("trap 'echo cleanup ran; exit 143' TERM; sleep 1000 & echo pid $!; echo pid $$; wait");
        var pids = await WaitForPidsAsync(server, runId, 2);
        Assert.That(pids.All(ProcessExists), Is.True);

        var response = await server.SendAsync(HttpMethod.Post, $"/runs/{runId}/cancel");
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        var run = await server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
        Assert.That(run.GetProperty("reason").GetString(), Is.EqualTo("Cancelled by user"));
        Assert.That(await server.Http.GetStringAsync($"/runs/{runId}/log"), Does.Contain("cleanup ran"));
        await WaitUntilGoneAsync(pids);
    }

    [Test]
    public async Task A_process_ignoring_SIGTERM_is_killed_after_the_grace_period()
    {
        await using var server = await RunsServerHost.StartAsync(o => o with { CancelGrace = TimeSpan.FromMilliseconds(500) });
        var runId = await server.StartRunAsync("trap '' TERM; echo pid $$; while true; do sleep 0.1; done");
        var pids = await WaitForPidsAsync(server, runId, 1);
        await server.SendAsync(HttpMethod.Post, $"/runs/{runId}/cancel");
        var run = await server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
        Assert.That(run.GetProperty("exitCode").GetInt32(), Is.EqualTo(128 + 9));
        await WaitUntilGoneAsync(pids);
    }

    [Test]
    [Category("SingleNode")] // MAX_CONCURRENT_RUNS is per node: a fleet of two runs twice as many
    public async Task The_concurrency_limit_holds_and_the_queue_is_first_in_first_out()
    {
        await using var server = await RunsServerHost.StartAsync(o => o with { MaxConcurrentRuns = 2 });
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            // Each run waits for its own release file, so the test decides when slots free up.
            ids.Add(await server.StartRunAsync($"while [ ! -f release-{i} ]; do sleep 0.02; done; echo done {i}"));
        }
        var workspace = Path.Combine(server.Options.WorkspaceRoot, "default");
        async Task<string[]> StatusesAsync() => await Task.WhenAll(ids.Select(async id => (await server.GetRunAsync(id)).GetProperty("status").GetString()!));

        await server.WaitForRunAsync(ids[0], r => r.GetProperty("status").GetString() == "running");
        await server.WaitForRunAsync(ids[1], r => r.GetProperty("status").GetString() == "running");
        Assert.That(await StatusesAsync(), Is.EqualTo(new[] { "running", "running", "queued", "queued", "queued" }));
        Assert.That(server.Runs.RunningCount, Is.EqualTo(2));

        File.WriteAllText(Path.Combine(workspace, "release-1"), "");
        await server.WaitForTerminalAsync(ids[1]);
        await server.WaitForRunAsync(ids[2], r => r.GetProperty("status").GetString() == "running");
        Assert.That(await StatusesAsync(), Is.EqualTo(new[] { "running", "succeeded", "running", "queued", "queued" }));

        for (var i = 0; i < 5; i++)
        {
            File.WriteAllText(Path.Combine(workspace, $"release-{i}"), "");
        }
        foreach (var id in ids)
        {
            var run = await server.WaitForTerminalAsync(id);
            Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        }
    }

    [Test]
    public async Task A_run_over_the_timeout_fails_with_timed_out()
    {
        await using var server = await RunsServerHost.StartAsync(o => o with { RunTimeout = TimeSpan.FromSeconds(1), CancelGrace = TimeSpan.FromSeconds(1) });
        var runId = await server.StartRunAsync("echo started; sleep 100");
        var run = await server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(run.GetProperty("reason").GetString(), Is.EqualTo("timed out"));
        Assert.That(await server.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("started\n"));
    }

    [Test]
    public async Task A_command_that_cannot_start_fails_from_queued()
    {
        await using var server = await RunsServerHost.StartAsync();
        // The workspace root is a file, so the working directory cannot be created.
        var blocked = Path.Combine(server.Options.WorkspaceRoot, "blocked");
        Directory.CreateDirectory(server.Options.WorkspaceRoot);
        File.WriteAllText(blocked, "not a directory");
        var runId = await server.StartRunAsync("echo never", "blocked");
        var run = await server.WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(run.GetProperty("startedAt").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(run.GetProperty("reason").GetString(), Does.StartWith("Failed to start"));
    }

    [Test]
    public async Task The_environment_lacks_the_token_and_the_workspace_is_the_working_directory()
    {
        await using var server = await RunsServerHost.StartAsync();
        Environment.SetEnvironmentVariable("WS_AUTH_TOKEN", "leak-me-not");
        try
        {
            var runId = await server.StartRunAsync("echo token=${WS_AUTH_TOKEN:-none}; pwd", "my-space");
            await server.WaitForTerminalAsync(runId);
            var log = await server.Http.GetStringAsync($"/runs/{runId}/log");
            Assert.That(log, Does.StartWith("token=none\n"));
            Assert.That(log.Trim().Split('\n')[1], Is.EqualTo(Path.GetFullPath(Path.Combine(server.Options.WorkspaceRoot, "my-space"))));
        }
        finally
        {
            Environment.SetEnvironmentVariable("WS_AUTH_TOKEN", null);
        }
    }

    [Test]
    public async Task Stopping_the_server_stops_the_processes_it_started()
    {
        var server = await RunsServerHost.StartAsync(o => o with { CancelGrace = TimeSpan.FromSeconds(2) });
        var runs = server.Runs;
        int[] pids;
        string runId;
        try
        {
            runId = await server.StartRunAsync("sleep 1000 & echo pid $!; echo pid $$; wait");
            pids = await WaitForPidsAsync(server, runId, 2);
        }
        finally
        {
            await server.DisposeAsync();
        }
        await WaitUntilGoneAsync(pids);
        var run = (await runs.FindAsync(runId))!;
        Assert.That(run.Status, Is.EqualTo(RunsStream.Server.Runs.RunStatus.Failed));
        Assert.That(run.Reason, Is.EqualTo("Server shutting down"));
    }
}
