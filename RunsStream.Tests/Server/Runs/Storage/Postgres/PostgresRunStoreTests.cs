using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Execution;
using RunsStream.Server.Runs.Storage;
using RunsStream.Server.Runs.Storage.Postgres;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Storage.Postgres;

/// <summary>
/// The PostgreSQL store keeps SQLite's semantics (seqs, offsets, ranges, the retention marker,
/// paging, tombstones, stages, tty), against a real PostgreSQL, one fresh database per class.
/// </summary>
[TestFixture]
public sealed class PostgresRunStoreTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
    private string _connectionString = null!;
    private PostgresRunStore _store = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();

    [SetUp]
    public void OpenStore() => _store = new PostgresRunStore(_connectionString, NullLogger<PostgresRunStore>.Instance);

    [TearDown]
    public async Task CloseStore() => await _store.DisposeAsync().AsTask().WaitAsync(Timeout);

    private static string NewId() => "r" + Guid.NewGuid().ToString("N")[..12];

    internal static RunRecord Run(string id, RunStatus status = RunStatus.Running, DateTimeOffset? created = null) =>
        new(id, status, "cmd " + id, "ws", created ?? T0, T0, null, null, null, false, 0, 0, 0, RetentionGap.None) { Executor = "process" };

    /// <summary>Appends stdout/stderr lines with the offsets RunState would give them; returns the events.</summary>
    private List<RunEvent> AppendOutput(string runId, IPersistenceListener? owner, params (RunEventType Type, string Data)[] lines)
    {
        long offset = 0, stdout = 0, stderr = 0;
        var events = new List<RunEvent>();
        for (var i = 0; i < lines.Length; i++)
        {
            var e = new RunEvent(runId, i + 1, lines[i].Type, lines[i].Data, T0.AddMilliseconds(i));
            ref var stream = ref (lines[i].Type == RunEventType.Stdout ? ref stdout : ref stderr);
            _store.Enqueue(new AppendEventWrite(e, offset, stream, owner));
            offset += e.DataBytes;
            stream += e.DataBytes;
            events.Add(e);
        }
        return events;
    }

    [Test]
    public async Task Events_read_back_with_their_fields_in_seq_order_sync_and_async()
    {
        var id = NewId();
        _store.Enqueue(new SaveRunWrite(Run(id)));
        AppendOutput(id, null, (RunEventType.Stdout, "héllo\n"), (RunEventType.Stderr, "nul\0byte\n"));
        _store.Enqueue(new AppendEventWrite(RunEvent.ForStage(id, 3, new StageMark("build", 1, StageStatus.Failed, 2, 1500), T0), 16, 0));
        _store.Enqueue(new AppendEventWrite(RunEvent.ForStatus(id, 4, RunStatus.Failed, T0.AddSeconds(1), "exit code 2", 2, 7, 9), 16, 0));
        await _store.FlushAsync().WaitAsync(Timeout);

        var events = await _store.ReadEventsAsync(id, 0, 100, 1 << 20);
        Assert.That(events.Select(e => e.Seq), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
        Assert.That(events[0].Data, Is.EqualTo("héllo\n"));
        Assert.That(events[1].Data, Is.EqualTo("nul\0byte\n"), "U+0000 survives (data is bytea)");
        Assert.That(events[1].Type, Is.EqualTo(RunEventType.Stderr));
        Assert.That(events[0].Timestamp, Is.EqualTo(T0));
        Assert.That(events[2].Stage, Is.EqualTo(new StageMark("build", 1, StageStatus.Failed, 2, 1500)));
        var status = events[3];
        Assert.That((status.Status, status.Reason, status.ExitCode, status.StdoutBytes, status.StderrBytes),
            Is.EqualTo(((RunStatus?)RunStatus.Failed, "exit code 2", (int?)2, (long?)7, (long?)9)));

        Assert.That(_store.ReadEvents(id, 2, 100, 1 << 20).Select(e => e.Seq), Is.EqualTo(new long[] { 3, 4 }), "after a seq, sync");
        Assert.That(_store.ReadEvents(id, 0, 1, 1 << 20).Select(e => e.Seq), Is.EqualTo(new long[] { 1 }), "max events");
        Assert.That(_store.ReadEvents(id, 0, 100, 1).Select(e => e.Seq), Is.EqualTo(new long[] { 1 }), "max bytes: stops after the event that reaches it");
        Assert.That(await _store.ReadEventsAsync("no-such-run", 0, 10, 100), Is.Empty);
    }

    [Test]
    public async Task Output_ranges_use_the_raw_log_offsets_or_one_streams_offsets()
    {
        var id = NewId();
        _store.Enqueue(new SaveRunWrite(Run(id)));
        AppendOutput(id, null, (RunEventType.Stdout, "aaaa"), (RunEventType.Stderr, "BBBB"), (RunEventType.Stdout, "cccc"));
        await _store.FlushAsync().WaitAsync(Timeout);

        Assert.That(_store.ReadOutput(id, null, 5, 9), Is.EqualTo(new[] { new OutputChunk(4, "BBBB"), new OutputChunk(8, "cccc") }));
        Assert.That(_store.ReadOutput(id, RunEventType.Stdout, 3, 5), Is.EqualTo(new[] { new OutputChunk(0, "aaaa"), new OutputChunk(4, "cccc") }));
        Assert.That(_store.ReadOutput(id, RunEventType.Stderr, 4, 10), Is.Empty, "past the stream's end");
        var chunks = new List<OutputChunk>();
        await foreach (var chunk in _store.ReadOutputAsync(id, null, 0, 12))
        {
            chunks.Add(chunk);
        }
        Assert.That(string.Concat(chunks.Select(c => c.Data)), Is.EqualTo("aaaaBBBBcccc"));
    }

    [Test]
    public async Task A_retention_gap_is_replaced_by_one_marker_on_replay()
    {
        var id = NewId();
        _store.Enqueue(new SaveRunWrite(Run(id)));
        AppendOutput(id, null, Enumerable.Range(1, 6).Select(i => (RunEventType.Stdout, $"line{i}\n")).ToArray());
        var gap = new RetentionGap(2, 4, 18, 6, 24, T0.AddSeconds(5));
        _store.Enqueue(new DropEventsWrite(id, 2, 4, gap));
        await _store.FlushAsync().WaitAsync(Timeout);

        var events = await _store.ReadEventsAsync(id, 0, 100, 1 << 20);
        Assert.That(events.Select(e => e.Seq), Is.EqualTo(new long[] { 1, 4, 5, 6 }));
        var marker = events[1];
        Assert.That(marker.IsMarker, Is.True);
        Assert.That((marker.DroppedBytes, marker.DroppedFromSeq), Is.EqualTo(((long?)18, (long?)2)));
        Assert.That(_store.ReadEvents(id, 3, 100, 1 << 20).Select(e => e.Seq), Is.EqualTo(new long[] { 4, 5, 6 }), "from inside the gap: the marker first");
        Assert.That(_store.ReadEvents(id, 4, 100, 1 << 20).Select(e => e.Seq), Is.EqualTo(new long[] { 5, 6 }));
        Assert.That(_store.GetRun(id)!.Gap, Is.EqualTo(gap));
    }

    [Test]
    public async Task Runs_page_newest_first_with_a_cursor_and_a_status_filter()
    {
        var ids = Enumerable.Range(0, 5).Select(_ => NewId()).ToArray();
        var at = DateTimeOffset.UtcNow.AddYears(1); // newer than the other tests' runs
        for (var i = 0; i < ids.Length; i++)
        {
            _store.Enqueue(new SaveRunWrite(Run(ids[i], i % 2 == 0 ? RunStatus.Succeeded : RunStatus.Running, at.AddSeconds(i))));
        }
        await _store.FlushAsync().WaitAsync(Timeout);

        var first = await _store.ListRunsAsync(2, null, null);
        Assert.That(first.Select(r => r.RunId), Is.EqualTo(new[] { ids[4], ids[3] }));
        var second = _store.ListRuns(2, first[^1], null);
        Assert.That(second.Select(r => r.RunId), Is.EqualTo(new[] { ids[2], ids[1] }));
        var succeeded = await _store.ListRunsAsync(2, null, RunStatus.Succeeded);
        Assert.That(succeeded.Select(r => r.RunId), Is.EqualTo(new[] { ids[4], ids[2] }));
    }

    [Test]
    public async Task Finished_runs_past_retention_are_deleted_and_remembered_as_gone()
    {
        var old = NewId();
        var running = NewId();
        _store.Enqueue(new SaveRunWrite(Run(old, RunStatus.Succeeded, T0.AddYears(-5))));
        _store.Enqueue(new SaveRunWrite(Run(running, RunStatus.Running, T0.AddYears(-5))));
        AppendOutput(old, null, (RunEventType.Stdout, "x"));
        await _store.FlushAsync().WaitAsync(Timeout);

        Assert.That(_store.DeleteFinishedBefore(T0.AddYears(-4)), Is.EqualTo(new[] { old }));
        Assert.That(await _store.GetRunAsync(old), Is.Null);
        Assert.That(await _store.IsDeletedAsync(old), Is.True);
        Assert.That(_store.IsDeleted(running), Is.False);
        Assert.That(_store.ReadEvents(old, 0, 10, 100), Is.Empty);
        Assert.That(_store.GetRun(running), Is.Not.Null);
    }

    [Test]
    public async Task A_runs_stages_terminal_and_executor_read_back_and_updates_keep_the_highest_seq()
    {
        var id = NewId();
        var stages = new[] { new RunStage("a", "true", StageStatus.Succeeded, T0, T0.AddSeconds(1), 0), new RunStage("b", "false") };
        _store.Enqueue(new SaveRunWrite(Run(id) with { Stages = stages, Tty = new TerminalSize(120, 40), Executor = "sandbox", LastSeq = 9 }));
        _store.Enqueue(new SaveRunWrite(Run(id) with { Stages = stages, Tty = new TerminalSize(120, 40), Executor = "sandbox", LastSeq = 4, StdoutBytes = 11 }));
        await _store.FlushAsync().WaitAsync(Timeout);

        var run = (await _store.GetRunAsync(id))!;
        Assert.That(run.Stages, Is.EqualTo(stages));
        Assert.That(run.Tty, Is.EqualTo(new TerminalSize(120, 40)));
        Assert.That(run.Executor, Is.EqualTo("sandbox"));
        Assert.That(run.LastSeq, Is.EqualTo(9), "a late save never moves last_seq back");
        Assert.That(run.StdoutBytes, Is.EqualTo(11));
        Assert.That(run.CreatedAt, Is.EqualTo(T0));
    }

    [Test]
    public async Task Unfinished_runs_take_their_totals_from_the_stored_events()
    {
        var id = NewId();
        _store.Enqueue(new SaveRunWrite(Run(id, RunStatus.Running, T0.AddYears(-50))));
        AppendOutput(id, null, (RunEventType.Stdout, "12345"), (RunEventType.Stderr, "ab"));
        await _store.FlushAsync().WaitAsync(Timeout);

        var run = (await _store.ListUnfinishedAsync()).Single(r => r.RunId == id);
        Assert.That((run.LastSeq, run.StdoutBytes, run.StderrBytes), Is.EqualTo((2L, 5L, 2L)));
        Assert.That(_store.ListUnfinished().Select(r => r.RunId), Does.Contain(id));
    }

    [Test]
    public async Task A_store_opened_again_on_the_same_database_reads_back_everything()
    {
        var id = NewId();
        var owner = new RecordingListener();
        _store.Enqueue(new SaveRunWrite(Run(id, RunStatus.Succeeded) with { LastSeq = 3, StdoutBytes = 6 }));
        AppendOutput(id, owner, (RunEventType.Stdout, "one\n"), (RunEventType.Stdout, "two\n"), (RunEventType.Stdout, "three\n"));
        await _store.FlushAsync().WaitAsync(Timeout);
        Assert.That(owner.Persisted.Max(), Is.EqualTo(3));
        await _store.DisposeAsync();

        _store = new PostgresRunStore(_connectionString, NullLogger<PostgresRunStore>.Instance);
        Assert.That(_store.GetRun(id)!.Status, Is.EqualTo(RunStatus.Succeeded));
        Assert.That((await _store.ReadEventsAsync(id, 0, 10, 1 << 20)).Select(e => e.Data), Is.EqualTo(new[] { "one\n", "two\n", "three\n" }));
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        Assert.That(PostgresSchema.CurrentVersion(connection), Is.EqualTo(PostgresSchema.Version));
    }

    [Test]
    public async Task Committed_is_raised_after_each_commit_with_its_events_in_order()
    {
        var id = NewId();
        var batches = new ConcurrentQueue<IReadOnlyList<RunEvent>>();
        _store.Committed += batches.Enqueue;
        _store.Enqueue(new SaveRunWrite(Run(id)));
        var written = AppendOutput(id, null, (RunEventType.Stdout, "a"), (RunEventType.Stderr, "b"), (RunEventType.Stdout, "c"));
        await _store.FlushAsync().WaitAsync(Timeout);

        var seen = batches.SelectMany(b => b).Where(e => e.RunId == id).ToList();
        Assert.That(seen, Is.EqualTo(written), "the very events, in order, once each");
        // Raised after COMMIT: a reader on another connection sees them already.
        Assert.That((await _store.ReadEventsAsync(id, 0, 10, 1 << 20)).Count, Is.EqualTo(3));
    }

    [Test]
    public async Task A_write_with_a_stale_fence_is_dropped_and_its_owner_told_while_the_current_fence_writes()
    {
        var id = NewId();
        _store.Enqueue(new SaveRunWrite(Run(id)));
        await _store.FlushAsync().WaitAsync(Timeout);
        await SqlAsync($"UPDATE runs SET lease_token = 7, owner_node = 'b' WHERE run_id = '{id}'");
        var committed = new ConcurrentQueue<RunEvent>();
        _store.Committed += events => { foreach (var e in events) { committed.Enqueue(e); } };

        var stale = new RecordingListener();
        var current = new RecordingListener();
        _store.Enqueue(new AppendEventWrite(new RunEvent(id, 1, RunEventType.Stdout, "old owner", T0), 0, 0, stale) { Fence = 6 });
        _store.Enqueue(new AppendEventWrite(new RunEvent(id, 2, RunEventType.Stdout, "new owner", T0), 0, 0, current) { Fence = 7 });
        _store.Enqueue(new SaveRunWrite(Run(id, RunStatus.Succeeded), stale) { Fence = 6 });
        await _store.FlushAsync().WaitAsync(Timeout);

        Assert.That(stale.Fenced, Is.EqualTo(new[] { id }), "told once per run and owner");
        Assert.That(stale.Persisted, Is.Empty);
        Assert.That(current.Persisted, Is.EqualTo(new long[] { 2 }));
        Assert.That(current.Fenced, Is.Empty);
        Assert.That((await _store.ReadEventsAsync(id, 0, 10, 1 << 20)).Select(e => e.Data), Is.EqualTo(new[] { "new owner" }));
        Assert.That(committed.Select(e => e.Seq), Is.EqualTo(new long[] { 2 }));
        Assert.That(_store.GetRun(id)!.Status, Is.EqualTo(RunStatus.Running), "the fenced save did not land");
    }

    [Test]
    public async Task An_event_written_twice_in_one_batch_is_stored_once_as_its_last_copy()
    {
        // One INSERT carries a batch's appends; PostgreSQL refuses one that updates a row twice,
        // which would fail the batch at every retry and stop the store.
        var id = NewId();
        var owner = new RecordingListener();
        _store.Enqueue(new SaveRunWrite(Run(id)));
        _store.Enqueue(new AppendEventWrite(new RunEvent(id, 1, RunEventType.Stdout, "first", T0), 0, 0, owner));
        _store.Enqueue(new AppendEventWrite(new RunEvent(id, 1, RunEventType.Stdout, "again", T0), 0, 0, owner));
        await _store.FlushAsync().WaitAsync(Timeout);

        Assert.That((await _store.ReadEventsAsync(id, 0, 10, 1 << 20)).Select(e => e.Data), Is.EqualTo(new[] { "again" }));
        Assert.That(owner.Persisted, Is.EqualTo(new long[] { 1 }));
        Assert.That(_store.Health.IsWritable, Is.True);
    }

    private async Task SqlAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
