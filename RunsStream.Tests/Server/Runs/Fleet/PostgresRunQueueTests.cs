using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Fleet;
using RunsStream.Server.Runs.Storage;
using RunsStream.Server.Runs.Storage.Postgres;
using RunsStream.Tests.Server.Runs.Storage.Postgres;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Fleet;

/// <summary>
/// The fleet's queue on a real PostgreSQL, a fresh database per test: FIFO claims across nodes,
/// never one run twice, leases renewed or lost, the reaper's "node lost" and the fencing that
/// keeps an old owner out, cancels, a node's take-over of its own runs, the node table.
/// </summary>
[TestFixture]
public sealed class PostgresRunQueueTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LongLease = TimeSpan.FromHours(1);
    // A lease that has already run out when it is granted: expired without waiting for a clock.
    private static readonly TimeSpan ExpiredLease = TimeSpan.FromSeconds(-1);
    private PostgresRunStore _store = null!;
    private PostgresRunQueue _queue = null!;
    private DateTimeOffset _created = DateTimeOffset.UtcNow;

    [SetUp]
    public async Task CreateDatabase()
    {
        var connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        _store = new PostgresRunStore(connectionString, NullLogger<PostgresRunStore>.Instance);
        _queue = new PostgresRunQueue(_store.DataSource);
    }

    [TearDown]
    public async Task CloseStore() => await _store.DisposeAsync().AsTask().WaitAsync(Timeout);

    /// <summary>Queues runs as POST /runs does (the store's write, then a flush), oldest first.</summary>
    private async Task<string[]> QueueAsync(int count, IReadOnlyList<RunStage>? stages = null)
    {
        var ids = new string[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = $"q{i:D3}-{Guid.NewGuid():N}"[..16];
            _created = _created.AddMilliseconds(1);
            _store.Enqueue(new SaveRunWrite(new RunRecord(ids[i], RunStatus.Queued, "echo " + i, null, _created, null, null, null, null, false, 0, 0, 0, RetentionGap.None)
            {
                Executor = "process",
                Stages = stages,
            }));
        }
        await _store.FlushAsync().WaitAsync(Timeout);
        return ids;
    }

    [Test]
    public async Task Claims_take_the_oldest_queued_run_first_across_nodes()
    {
        var ids = await QueueAsync(4);

        var claims = new List<ClaimedRun?>();
        foreach (var node in new[] { "a", "b", "b", "a", "b" })
        {
            claims.Add(await _queue.ClaimNextAsync(node, LongLease));
        }

        Assert.That(claims.Take(4).Select(c => c!.Run.RunId), Is.EqualTo(ids));
        Assert.That(claims[4], Is.Null, "the queue is empty");
        Assert.That(claims.Take(4).Select(c => c!.Fence), Is.All.EqualTo(1), "the first claim's fencing token");
        Assert.That(claims[0]!.Run.Command, Is.EqualTo("echo 0"));
    }

    [Test]
    public async Task Concurrent_claims_from_two_nodes_never_give_one_run_twice()
    {
        var ids = await QueueAsync(20);

        var claims = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => _queue.ClaimNextAsync(i % 2 == 0 ? "a" : "b", LongLease))));
        var claimed = claims.Where(c => c is not null).Select(c => c!.Run.RunId).ToList();
        // A claim may come back empty while another node holds the row it picked; what is left is claimed next.
        while (await _queue.ClaimNextAsync("c", LongLease) is { } late)
        {
            claimed.Add(late.Run.RunId);
        }

        Assert.That(claimed, Is.Unique);
        Assert.That(claimed, Is.EquivalentTo(ids));
        Assert.That(claims.Count(c => c is not null), Is.GreaterThanOrEqualTo(15), "most concurrent claims succeed");
    }

    [Test]
    public async Task A_claimed_run_is_not_claimable_and_renewal_keeps_it_until_its_fence_is_stale()
    {
        var ids = await QueueAsync(1);
        var claim = (await _queue.ClaimNextAsync("a", LongLease))!;
        Assert.That(await _queue.ClaimNextAsync("b", LongLease), Is.Null);

        var renewal = await _queue.RenewAsync("a", [(ids[0], claim.Fence)], LongLease);
        Assert.That(renewal.Lost, Is.Empty);
        Assert.That(await _queue.ReapExpiredAsync("b", DateTimeOffset.UtcNow), Is.Empty, "a renewed lease is not reaped");

        var stale = await _queue.RenewAsync("a", [(ids[0], claim.Fence - 1)], LongLease);
        Assert.That(stale.Lost, Is.EqualTo(new[] { ids[0] }));
        var notOwner = await _queue.RenewAsync("b", [(ids[0], claim.Fence)], LongLease);
        Assert.That(notOwner.Lost, Is.EqualTo(new[] { ids[0] }), "only the owner renews");
    }

    [Test]
    public async Task An_expired_lease_is_reaped_with_node_lost_after_the_last_stored_event_and_the_old_owner_is_fenced()
    {
        var ids = await QueueAsync(1);
        var id = ids[0];
        var claim = (await _queue.ClaimNextAsync("a", ExpiredLease))!;
        var owner = new RecordingListener();
        var now = DateTimeOffset.UtcNow;
        _store.Enqueue(new SaveRunWrite(claim.Run with { Status = RunStatus.Running, StartedAt = now }, owner) { Fence = claim.Fence });
        _store.Enqueue(new AppendEventWrite(RunEvent.ForStatus(id, 1, RunStatus.Running, now), 0, 0, owner) { Fence = claim.Fence });
        _store.Enqueue(new AppendEventWrite(new RunEvent(id, 2, RunEventType.Stdout, "12345\n", now), 0, 0, owner) { Fence = claim.Fence });
        _store.Enqueue(new AppendEventWrite(new RunEvent(id, 3, RunEventType.Stderr, "err\n", now), 6, 0, owner) { Fence = claim.Fence });
        await _store.FlushAsync().WaitAsync(Timeout);
        Assert.That(owner.Persisted.Max(), Is.EqualTo(3), "the owner's fence was current");

        var reaped = await _queue.ReapExpiredAsync("b", now);

        var failed = reaped.Single();
        Assert.That((failed.RunId, failed.Seq, failed.Status, failed.Reason), Is.EqualTo((id, 4L, (RunStatus?)RunStatus.Failed, "node lost")));
        Assert.That((failed.StdoutBytes, failed.StderrBytes), Is.EqualTo(((long?)6, (long?)4)), "byte counts as stored");
        var run = (await _store.GetRunAsync(id))!;
        Assert.That((run.Status, run.Reason, run.LastSeq), Is.EqualTo((RunStatus.Failed, "node lost", 4L)));
        Assert.That(run.FinishedAt, Is.Not.Null);
        Assert.That((await _store.ReadEventsAsync(id, 3, 10, 1 << 20)).Single().Reason, Is.EqualTo("node lost"));
        Assert.That(await _queue.ReapExpiredAsync("b", now), Is.Empty, "reaped once");

        // The old owner, still alive, writes on: dropped, and told.
        _store.Enqueue(new AppendEventWrite(new RunEvent(id, 4, RunEventType.Stdout, "too late\n", now), 10, 6, owner) { Fence = claim.Fence });
        await _store.FlushAsync().WaitAsync(Timeout);
        Assert.That(owner.Fenced, Is.EqualTo(new[] { id }));
        Assert.That((await _store.ReadEventsAsync(id, 3, 10, 1 << 20)).Single().Status, Is.EqualTo(RunStatus.Failed), "the fenced event was not stored");
        Assert.That((await _queue.RenewAsync("a", [(id, claim.Fence)], LongLease)).Lost, Is.EqualTo(new[] { id }));
    }

    [Test]
    public async Task A_reaped_pipeline_fails_its_running_stage_and_skips_the_pending_ones()
    {
        var started = DateTimeOffset.UtcNow.AddSeconds(-2);
        var ids = await QueueAsync(1, [new RunStage("build", "make", StageStatus.Succeeded, started, started, 0), new RunStage("test", "make test", StageStatus.Running, started), new RunStage("ship", "true")]);
        await _queue.ClaimNextAsync("a", ExpiredLease);

        var reaped = await _queue.ReapExpiredAsync("b", DateTimeOffset.UtcNow);

        Assert.That(reaped.Select(e => (e.Seq, e.Stage?.Name, e.Stage?.Status, e.Status)), Is.EqualTo(new (long, string?, StageStatus?, RunStatus?)[]
        {
            (1, "test", StageStatus.Failed, null),
            (2, "ship", StageStatus.Skipped, null),
            (3, null, null, RunStatus.Failed),
        }));
        Assert.That(reaped[0].Stage!.DurationMs, Is.GreaterThanOrEqualTo(2000));
        var stages = (await _store.GetRunAsync(ids[0]))!.Stages!;
        Assert.That(stages.Select(s => s.Status), Is.EqualTo(new[] { StageStatus.Succeeded, StageStatus.Failed, StageStatus.Skipped }));
    }

    [Test]
    public async Task A_queued_run_is_cancelled_only_while_nobody_has_claimed_it()
    {
        var ids = await QueueAsync(2);
        var now = DateTimeOffset.UtcNow;

        var cancelled = await _queue.CancelQueuedAsync(ids[0], "cancelled by user", "alice", now);
        Assert.That((cancelled!.Seq, cancelled.Status, cancelled.Reason), Is.EqualTo((1L, (RunStatus?)RunStatus.Cancelled, "cancelled by user")));
        Assert.That((await _store.GetRunAsync(ids[0]))!.Status, Is.EqualTo(RunStatus.Cancelled));
        Assert.That(await _queue.CancelQueuedAsync(ids[0], "again", null, now), Is.Null);

        var claim = (await _queue.ClaimNextAsync("a", LongLease))!;
        Assert.That(claim.Run.RunId, Is.EqualTo(ids[1]), "the cancelled run is not claimable");
        Assert.That(await _queue.CancelQueuedAsync(ids[1], "too late", null, now), Is.Null, "a claimed run is cancelled by its owner");
        Assert.That(await _queue.RequestCancelAsync(ids[1], "cancelled by user"), Is.True);
        var renewal = await _queue.RenewAsync("a", [(ids[1], claim.Fence)], LongLease);
        Assert.That(renewal.CancelRequested, Is.EqualTo(new Dictionary<string, string> { [ids[1]] = "cancelled by user" }));
        Assert.That(await _queue.RequestCancelAsync(ids[0], "finished already"), Is.False);
    }

    [Test]
    public async Task A_node_that_comes_back_takes_over_only_its_own_unfinished_runs()
    {
        await QueueAsync(3);
        var mine1 = (await _queue.ClaimNextAsync("a", LongLease))!;
        var theirs = (await _queue.ClaimNextAsync("b", LongLease))!;
        var mine2 = (await _queue.ClaimNextAsync("a", LongLease))!;

        var ended = await _queue.TakeOverOwnAsync("a", DateTimeOffset.UtcNow);

        Assert.That(ended.Select(e => e.RunId), Is.EquivalentTo(new[] { mine1.Run.RunId, mine2.Run.RunId }));
        Assert.That(ended.Select(e => e.Reason), Is.All.EqualTo("node lost"));
        Assert.That((await _store.GetRunAsync(theirs.Run.RunId))!.Status, Is.EqualTo(RunStatus.Queued), "another node's claimed run is left alone");
        Assert.That((await _queue.RenewAsync("b", [(theirs.Run.RunId, theirs.Fence)], LongLease)).Lost, Is.Empty);
        Assert.That((await _queue.RenewAsync("a", [(mine1.Run.RunId, mine1.Fence)], LongLease)).Lost, Is.EqualTo(new[] { mine1.Run.RunId }));
    }

    [Test]
    public async Task Live_nodes_are_those_with_a_recent_heartbeat_and_last_seqs_come_from_the_events()
    {
        await _queue.HeartbeatAsync("node-a", "tagA1234.", "http://127.0.0.1:4001");
        await _queue.HeartbeatAsync("node-b", "tagB1234.", "http://127.0.0.1:4002");
        await _queue.HeartbeatAsync("node-b", "tagB1234.", "http://127.0.0.1:4003");

        Assert.That(await _queue.LiveNodesAsync(TimeSpan.FromMinutes(1)), Is.EqualTo(new Dictionary<string, string>
        {
            ["tagA1234."] = "http://127.0.0.1:4001",
            ["tagB1234."] = "http://127.0.0.1:4003",
        }));
        Assert.That(await _queue.LiveNodesAsync(TimeSpan.FromSeconds(-1)), Is.Empty, "no heartbeat is newer than now");

        var ids = await QueueAsync(2);
        _store.Enqueue(new AppendEventWrite(new RunEvent(ids[0], 1, RunEventType.Stdout, "x", DateTimeOffset.UtcNow), 0, 0));
        _store.Enqueue(new AppendEventWrite(new RunEvent(ids[0], 2, RunEventType.Stdout, "y", DateTimeOffset.UtcNow), 1, 1));
        await _store.FlushAsync().WaitAsync(Timeout);
        Assert.That(await _queue.LastSeqsAsync([ids[0], ids[1], "unknown"]), Is.EqualTo(new Dictionary<string, long> { [ids[0]] = 2, [ids[1]] = 0 }));
    }
}
