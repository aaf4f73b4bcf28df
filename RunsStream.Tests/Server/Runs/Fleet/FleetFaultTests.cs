using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Fleet;

/// <summary>
/// The fleet when a part fails (issue 14 items 2 and 7): a node killed with -9, Redis
/// restarted mid-run, PostgreSQL away mid-run. Real processes and services, stopped by pid.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FleetFaultTests
{
    private readonly List<string> _markers = [];
    private readonly List<string> _directories = [];

    [TearDown]
    public void TearDown()
    {
        foreach (var marker in _markers)
        {
            ProcessTable.Kill(ProcessTable.WithArgument(marker));
        }
        foreach (var directory in _directories)
        {
            Directory.Delete(directory, recursive: true);
        }
        _markers.Clear();
        _directories.Clear();
    }

    private string DataDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("runsstream-fleet-").FullName;
        _directories.Add(directory);
        return directory;
    }

    /// <summary>Polls /healthz (no token) until <paramref name="service"/> is said to be <paramref name="state"/>.</summary>
    private static Task WaitForHealthAsync(RunsServerHost node, string service, string state) =>
        Eventually.ValueAsync(
            async () =>
            {
                using var anonymous = new HttpClient { BaseAddress = new Uri(node.Url) };
                return System.Text.Json.JsonDocument.Parse(await anonymous.GetStringAsync("/healthz")).RootElement.Clone();
            },
            health => health.GetProperty("role").GetString() == "fleet-node" && health.GetProperty(service).GetString() == state,
            health => $"/healthz never said {service} {state}: {health}",
            TimeSpan.FromSeconds(60));

    [Test]
    public async Task A_node_killed_with_9_loses_its_runs_within_15_s_keeps_their_output_and_kills_them_when_back()
    {
        await using var fleet = await FleetCluster.StartAsync(nodes: 0);
        var marker = ProcessTable.UniqueSleep(3131);
        _markers.Add(marker);
        var dataDirectory = DataDirectory();
        var port = FreePorts.Next();
        string runId;
        await using (var doomed = await ServerProcess.StartAsync(dataDirectory, fleet.ProcessEnvironment("doomed", port)))
        {
            // The only node: it claims the run. The survivor starts after the claim.
            runId = await doomed.StartRunAsync($"echo before the crash; sleep {marker}");
            await doomed.WaitForLogAsync(runId, "before the crash");
            // GET /runs makes every queued write durable before it answers: the output is stored.
            (await doomed.Http.GetAsync("/runs")).EnsureSuccessStatusCode();
            var survivor = await fleet.AddNodeAsync();
            await doomed.CrashAsync();
            var crashed = DateTime.UtcNow;

            var run = await survivor.WaitForTerminalAsync(runId, TimeSpan.FromSeconds(60));
            Assert.That(DateTime.UtcNow - crashed, Is.LessThan(TimeSpan.FromSeconds(15)), "ended within the lease and a reaper round");
            Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("failed"));
            Assert.That(run.GetProperty("reason").GetString(), Is.EqualTo("node lost"));
            Assert.That(await survivor.Http.GetStringAsync($"/runs/{runId}/log"), Is.EqualTo("before the crash\n"), "output up to the crash is kept");
            var watch = await survivor.WatchAsync(runId);
            Assert.That(watch.GetProperty("statuses").EnumerateArray().Select(s => s.GetString()), Is.EqualTo(new[] { "queued", "running", "failed" }));
            Assert.That(watch.GetProperty("gaps").GetArrayLength(), Is.Zero);
        }
        Assert.That(ProcessTable.WithArgument(marker), Has.Count.EqualTo(1), "kill -9 left the run's process behind");

        // The node comes back (same NODE_ID and data directory): its leftovers are killed first.
        await using var back = await ServerProcess.StartAsync(dataDirectory, fleet.ProcessEnvironment("doomed", FreePorts.Next()));
        await Eventually.WaitUntilAsync(() => ProcessTable.WithArgument(marker).Count == 0, "the node that came back killed its previous life's process", TimeSpan.FromSeconds(60));
        var after = await back.GetRunAsync(runId);
        Assert.That(after.GetProperty("reason").GetString(), Is.EqualTo("node lost"), "its coming back wrote nothing into the run");
        Assert.That(after.GetProperty("status").GetString(), Is.EqualTo("failed"));
    }

    [Test]
    public async Task A_redis_restart_mid_run_loses_no_event_for_subscribers_on_any_node_and_the_run_goes_on()
    {
        await using var fleet = await FleetCluster.StartAsync(nodes: 2);
        var runId = await fleet[0].StartRunAsync("for i in $(seq 1 100); do echo \"line $i\"; sleep 0.05; done");
        var watches = Enumerable.Range(0, 2).Select(i => fleet[i].WatchAsync(runId)).ToList();
        await fleet[1].WaitForLogAsync(runId, "line 20");
        await fleet.Redis.StopAsync();
        await fleet[0].WaitForLogAsync(runId, "line 60"); // output goes on into PostgreSQL meanwhile
        await WaitForHealthAsync(fleet[1], "redis", "unreachable");
        await fleet.Redis.StartAsync();
        await WaitForHealthAsync(fleet[1], "redis", "reachable");

        foreach (var watch in await Task.WhenAll(watches))
        {
            Assert.That(watch.GetProperty("ok").GetBoolean(), Is.True, watch.ToString());
            Assert.That(watch.GetProperty("gaps").GetArrayLength(), Is.Zero, watch.ToString());
            Assert.That(watch.GetProperty("duplicates").GetInt32(), Is.Zero);
            Assert.That(watch.GetProperty("stdoutText").GetString(), Is.EqualTo(string.Concat(Enumerable.Range(1, 100).Select(i => $"line {i}\n"))));
            Assert.That(watch.GetProperty("terminal").GetProperty("data").GetString(), Is.EqualTo("succeeded"));
        }
        // And the fleet works after it: a new run is claimed and streamed across nodes.
        var next = await fleet[1].StartRunAsync("echo after");
        var after = await fleet[0].WatchAsync(next);
        Assert.That(after.GetProperty("stdoutText").GetString(), Is.EqualTo("after\n"));
    }

    [Test]
    public async Task PostgreSQL_away_mid_run_pauses_the_output_acknowledges_nothing_and_the_run_goes_on_when_it_returns()
    {
        await using var postgres = await PostgresServer.StartAsync();
        await using var fleet = await FleetCluster.StartAsync(nodes: 2, postgres: postgres);
        var runId = await fleet[0].StartRunAsync("for i in $(seq 1 60); do echo \"line $i\"; sleep 0.05; done");
        var watch = fleet[1].WatchAsync(runId);
        await fleet[0].WaitForLogAsync(runId, "line 10");
        await postgres.StopAsync();
        await WaitForHealthAsync(fleet[0], "postgres", "unreachable");

        // Nothing new is acknowledged as stored while it is away.
        using (var refused = await fleet[1].Http.PostAsync("/runs", new StringContent("{\"command\":\"echo stored later\"}", System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.That((int)refused.StatusCode, Is.EqualTo(503), await refused.Content.ReadAsStringAsync());
        }
        await postgres.StartAgainAsync();
        await WaitForHealthAsync(fleet[0], "postgres", "reachable");

        var seen = await watch;
        Assert.That(seen.GetProperty("ok").GetBoolean(), Is.True, seen.ToString());
        Assert.That(seen.GetProperty("gaps").GetArrayLength(), Is.Zero);
        Assert.That(seen.GetProperty("stdoutText").GetString(), Is.EqualTo(string.Concat(Enumerable.Range(1, 60).Select(i => $"line {i}\n"))));
        var run = await fleet[1].WaitForTerminalAsync(runId);
        Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("succeeded"));
        Assert.That(await fleet[1].Http.GetStringAsync($"/runs/{runId}/log"), Does.EndWith("line 60\n"), "every line reached the store");
    }
}
