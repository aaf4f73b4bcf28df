using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Fleet;

/// <summary>
/// Three nodes on one redis-server and one PostgreSQL database (issue 14 items 2-4): a run
/// started on any node is executed by one of them and streamed identically from every node;
/// `since` resumes on another node; cancel from any node reaches the executing one.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FleetStreamingTests
{
    private FleetCluster _fleet = null!;

    [OneTimeSetUp]
    public async Task StartFleet() => _fleet = await FleetCluster.StartAsync(3);

    [OneTimeTearDown]
    public async Task StopFleet() => await _fleet.DisposeAsync();

    private static void AssertComplete(JsonElement watch, string where)
    {
        Assert.That(watch.GetProperty("ok").GetBoolean(), Is.True, $"{where}: {watch}");
        Assert.That(watch.GetProperty("gaps").GetArrayLength(), Is.Zero, $"{where}: gaps {watch}");
        Assert.That(watch.GetProperty("duplicates").GetInt32(), Is.Zero, $"{where}: duplicates");
        Assert.That(watch.GetProperty("outOfOrder").GetInt32(), Is.Zero, $"{where}: out of order");
    }

    private static object Fingerprint(JsonElement watch) => new
    {
        Events = watch.GetProperty("events").GetInt32(),
        First = watch.GetProperty("firstSeq").GetInt64(),
        Last = watch.GetProperty("lastSeq").GetInt64(),
        Stdout = watch.GetProperty("stdoutSha256").GetString(),
        Stderr = watch.GetProperty("stderrSha256").GetString(),
        Statuses = string.Join(",", watch.GetProperty("statuses").EnumerateArray().Select(s => s.GetString())),
    };

    [Test]
    public async Task A_run_started_on_one_node_streams_the_same_seqs_and_bytes_from_every_node()
    {
        // Output over a couple of seconds, so that the subscribers join while it runs.
        var runId = await _fleet[0].StartRunAsync("for i in $(seq 1 200); do echo \"line $i é\"; echo \"err $i\" >&2; [ $((i % 50)) = 0 ] && sleep 0.5; done; exit 0");
        var watches = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => _fleet[i].WatchAsync(runId, transports: i == 1 ? "polling" : "default")));

        for (var i = 0; i < 3; i++)
        {
            AssertComplete(watches[i], $"node {i}");
        }
        Assert.That(watches[0].GetProperty("stdoutText").GetString(), Does.StartWith("line 1 é\nline 2 é\n"));
        Assert.That(watches[0].GetProperty("statuses").EnumerateArray().Select(s => s.GetString()), Is.EqualTo(new[] { "queued", "running", "succeeded" }));
        Assert.That(Fingerprint(watches[1]), Is.EqualTo(Fingerprint(watches[0])), "node 1 saw what node 0 saw");
        Assert.That(Fingerprint(watches[2]), Is.EqualTo(Fingerprint(watches[0])), "node 2 saw what node 0 saw");
        var log = await _fleet[2].Http.GetStringAsync($"/runs/{runId}/log?stream=stdout");
        Assert.That(log, Does.StartWith("line 1 é\n").And.EndWith("line 200 é\n"));
    }

    [Test]
    public async Task A_subscriber_resumes_on_another_node_with_since_with_no_gap_and_no_duplicate()
    {
        var runId = await _fleet[1].StartRunAsync("for i in $(seq 1 60); do echo \"tick $i\"; sleep 0.05; done");
        var first = await _fleet[0].WatchAsync(runId, until: "seq:20");
        AssertComplete(first, "first node");
        var lastSeen = first.GetProperty("lastSeq").GetInt64();
        var resumed = await _fleet[2].WatchAsync(runId, since: lastSeen);
        AssertComplete(resumed, "other node");
        Assert.That(resumed.GetProperty("firstSeq").GetInt64(), Is.EqualTo(lastSeen + 1));
        var whole = await _fleet[1].WatchAsync(runId);
        Assert.That(resumed.GetProperty("lastSeq").GetInt64(), Is.EqualTo(whole.GetProperty("lastSeq").GetInt64()));
        Assert.That(first.GetProperty("events").GetInt32() + resumed.GetProperty("events").GetInt32(), Is.EqualTo(whole.GetProperty("events").GetInt32()));
    }

    [Test]
    public async Task A_cancel_sent_to_any_node_stops_the_run_where_it_executes_within_a_second()
    {
        var runIds = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            runIds.Add(await _fleet[i].StartRunAsync("echo started; sleep 300"));
        }
        foreach (var runId in runIds)
        {
            await _fleet[0].WaitForLogAsync(runId, "started");
        }
        for (var i = 0; i < 3; i++)
        {
            // Each from a node other than the one that started it; some execute there, some elsewhere.
            var started = DateTime.UtcNow;
            using var response = await _fleet[(i + 1) % 3].Http.PostAsync($"/runs/{runIds[i]}/cancel", null);
            Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
            var ended = await _fleet[(i + 2) % 3].WaitForTerminalAsync(runIds[i]);
            Assert.That(ended.GetProperty("status").GetString(), Is.EqualTo("cancelled"));
            Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(10)), "the process was stopped at once (it ignores nothing: SIGTERM ends sleep)");
        }
    }

    [Test]
    public async Task Queued_runs_spread_over_the_nodes_when_more_are_queued_than_one_node_has_slots()
    {
        // Each node runs at most 4 at once (RunsServerHost): 9 long runs cannot all be on one node.
        var runIds = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            runIds.Add(await _fleet[0].StartRunAsync("echo on; sleep 3"));
        }
        foreach (var runId in runIds)
        {
            await _fleet[0].WaitForTerminalAsync(runId);
        }
        var executors = new HashSet<string>();
        await using var connection = new Npgsql.NpgsqlConnection(_fleet.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT DISTINCT owner_node FROM runs WHERE run_id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", runIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            executors.Add(reader.IsDBNull(0) ? "(none)" : reader.GetString(0));
        }
        Assert.That(executors.Count, Is.GreaterThanOrEqualTo(2), "runs were claimed by more than one node: " + string.Join(", ", executors));
        Assert.That(executors, Does.Not.Contain("(none)"));
    }
}
