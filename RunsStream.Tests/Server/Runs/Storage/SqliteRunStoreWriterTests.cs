using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Tests.Server.Runs.Storage;

/// <summary>
/// The writer acknowledges only what it committed: a commit that fails (here a real SQLite
/// failure, raised by a trigger the test switches on and off) is retried on the store's clock,
/// never reported durable, and flushes fault instead of hanging. (FullDiskTests does the same
/// with a real full disk and a whole server.)
/// </summary>
[TestFixture]
public sealed class SqliteRunStoreWriterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private string _dir = null!;
    private FakeTimeProvider _time = null!;
    private SqliteRunStore _store = null!;

    [SetUp]
    public void CreateStore()
    {
        _dir = Directory.CreateTempSubdirectory("runsstream-writer-").FullName;
        _time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _store = new SqliteRunStore(_dir, NullLogger<SqliteRunStore>.Instance, _time);
        Sql("CREATE TABLE fail_switch(failing INTEGER NOT NULL); INSERT INTO fail_switch VALUES(0);"
            + "CREATE TRIGGER fail_events BEFORE INSERT ON events WHEN (SELECT failing FROM fail_switch) "
            + "BEGIN SELECT RAISE(ABORT, 'injected failure: database or disk is full'); END;");
    }

    [TearDown]
    public async Task DeleteStore()
    {
        await _store.DisposeAsync().AsTask().WaitAsync(Timeout);
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private long Sql(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_store.Path};Pooling=False;Default Timeout=30");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L);
    }

    private void SetFailing(bool failing) => Sql($"UPDATE fail_switch SET failing={(failing ? 1 : 0)}");

    private void Append(Listener owner, long seq) =>
        _store.Enqueue(new AppendEventWrite(new RunEvent("r1", seq, RunEventType.Stdout, $"line {seq}\n", _time.GetUtcNow()), (seq - 1) * 7, (seq - 1) * 7, owner));

    [Test]
    public async Task A_failed_commit_is_retried_on_the_stores_clock_and_acknowledged_only_once_it_succeeds()
    {
        var owner = new Listener();
        var now = _time.GetUtcNow();
        _store.Enqueue(new SaveRunWrite(new RunRecord("r1", RunStatus.Running, "cmd", null, now, now, null, null, null, false, 3, 21, 0, RetentionGap.None)));
        SetFailing(true);
        Append(owner, 1);
        Append(owner, 2);
        Append(owner, 3);

        var failed = Assert.ThrowsAsync<StoreUnavailableException>(() => _store.FlushAsync().WaitAsync(Timeout));
        Assert.That(failed!.Retrying, Is.True);
        Assert.That(_store.Health.IsWritable, Is.False);
        Assert.That(_store.Health.Reason, Does.Contain("injected failure"));
        Assert.That(_store.Health.FailedAttempts, Is.EqualTo(1));
        Assert.That(owner.Seqs, Is.Empty, "nothing was committed, so nothing is acknowledged");

        // A flush queued while failing is part of the next attempt, which waits for the clock.
        var second = _store.FlushAsync();
        await Task.Delay(300);
        Assert.That(_store.Health.FailedAttempts, Is.EqualTo(1), "no retry before the backoff has passed: no busy loop");
        Assert.That(second.IsCompleted, Is.False);
        _time.Advance(SqliteRunStore.FirstRetryDelay);
        Assert.ThrowsAsync<StoreUnavailableException>(() => second.WaitAsync(Timeout));
        Assert.That(_store.Health.FailedAttempts, Is.EqualTo(2));
        Assert.That(owner.Seqs, Is.Empty);
        Assert.That(Sql("SELECT COUNT(*) FROM events"), Is.EqualTo(0), "the failed transactions left nothing behind");

        SetFailing(false);
        var third = _store.FlushAsync();
        _time.Advance(SqliteRunStore.FirstRetryDelay * 2);
        await third.WaitAsync(Timeout);

        Assert.That(_store.Health, Is.EqualTo(StoreHealth.Writable));
        Assert.That(owner.Seqs, Is.EqualTo(new long[] { 3 }), "acknowledged once, after the commit, up to the last seq");
        var events = _store.ReadEvents("r1", 0, 10, 1 << 20);
        Assert.That(events.Select(e => (e.Seq, e.Data)), Is.EqualTo(new[] { (1L, "line 1\n"), (2L, "line 2\n"), (3L, "line 3\n") }));
        Assert.That(_store.GetRun("r1")!.Status, Is.EqualTo(RunStatus.Running));
    }

    [Test]
    public async Task The_backoff_doubles_up_to_its_maximum()
    {
        SetFailing(true);
        Append(new Listener(), 1);
        Assert.ThrowsAsync<StoreUnavailableException>(() => _store.FlushAsync().WaitAsync(Timeout));
        var delay = SqliteRunStore.FirstRetryDelay;
        for (var attempt = 2; attempt <= 8; attempt++)
        {
            var flush = _store.FlushAsync();
            _time.Advance(delay - TimeSpan.FromMilliseconds(1));
            await Task.Delay(50);
            Assert.That(flush.IsCompleted, Is.False, $"attempt {attempt} waits the whole {delay}");
            _time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.ThrowsAsync<StoreUnavailableException>(() => flush.WaitAsync(Timeout));
            Assert.That(_store.Health.FailedAttempts, Is.EqualTo(attempt));
            delay = delay * 2 < SqliteRunStore.MaxRetryDelay ? delay * 2 : SqliteRunStore.MaxRetryDelay;
        }
        Assert.That(delay, Is.EqualTo(SqliteRunStore.MaxRetryDelay));
    }

    [Test]
    public async Task A_listener_that_throws_stops_neither_the_writer_nor_the_flushes()
    {
        var throwing = new Listener { ThrowOnce = true };
        Append(throwing, 1);
        await _store.FlushAsync().WaitAsync(Timeout);
        Append(throwing, 2);
        await _store.FlushAsync().WaitAsync(Timeout);

        Assert.That(throwing.Seqs, Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(Sql("SELECT COUNT(*) FROM events"), Is.EqualTo(2));
        Assert.That(_store.Health.IsWritable, Is.True);
    }

    [Test]
    public async Task Disposing_while_the_store_cannot_write_gives_up_instead_of_hanging()
    {
        SetFailing(true);
        Append(new Listener(), 1);
        Assert.ThrowsAsync<StoreUnavailableException>(() => _store.FlushAsync().WaitAsync(Timeout));
        var pending = _store.FlushAsync();

        await _store.DisposeAsync().AsTask().WaitAsync(Timeout);

        var lost = Assert.ThrowsAsync<StoreUnavailableException>(() => pending.WaitAsync(Timeout));
        Assert.That(lost!.Retrying, Is.False);
    }

    private sealed class Listener : IPersistenceListener
    {
        public ConcurrentQueue<long> Seqs { get; } = new();

        public bool ThrowOnce { get; set; }

        public void OnPersisted(long seq)
        {
            Seqs.Enqueue(seq);
            if (ThrowOnce)
            {
                ThrowOnce = false;
                throw new InvalidOperationException("a listener's bug");
            }
        }

        public void OnFenced(string runId) => Assert.Fail("SQLite ignores fences: nothing is ever fenced");
    }
}
