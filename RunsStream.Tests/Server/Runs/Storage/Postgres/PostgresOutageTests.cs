using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Storage;
using RunsStream.Server.Runs.Storage.Postgres;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Storage.Postgres;

/// <summary>
/// PostgreSQL stopped mid-stream (its own instance, stopped and started by its pid): nothing is
/// acknowledged that is not stored, flushes fault while it is away, the store reports itself
/// unwritable, and the queued writes land once it is back.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PostgresOutageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private PostgresServer _postgres = null!;

    [OneTimeSetUp]
    public async Task StartPostgres() => _postgres = await PostgresServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopPostgres() => await _postgres.DisposeAsync();

    [Test]
    public async Task Writes_queued_while_PostgreSQL_is_down_are_acknowledged_only_once_they_are_stored()
    {
        var connectionString = await _postgres.CreateDatabaseAsync();
        await using var store = new PostgresRunStore(connectionString, NullLogger<PostgresRunStore>.Instance);
        var owner = new RecordingListener();
        var now = DateTimeOffset.UtcNow;
        store.Enqueue(new SaveRunWrite(new RunRecord("r1", RunStatus.Running, "cmd", null, now, now, null, null, null, false, 0, 0, 0, RetentionGap.None)));
        Append(store, owner, 1);
        await store.FlushAsync().WaitAsync(Timeout);
        Assert.That(owner.Persisted, Is.EqualTo(new long[] { 1 }));

        await _postgres.StopAsync();
        Append(store, owner, 2);
        Append(store, owner, 3);
        var failed = Assert.ThrowsAsync<StoreUnavailableException>(() => store.FlushAsync().WaitAsync(Timeout));
        Assert.That(failed!.Retrying, Is.True, "the writes are kept and retried");
        Assert.That(store.Health.IsWritable, Is.False);
        Assert.That(store.Health.Reason, Does.Contain("PostgreSQL"));
        Assert.That(owner.Persisted, Is.EqualTo(new long[] { 1 }), "nothing acknowledged that is not stored");

        await _postgres.StartAgainAsync();
        await Eventually.WaitUntilAsync(async () =>
        {
            try
            {
                await store.FlushAsync().WaitAsync(Timeout);
                return true;
            }
            catch (StoreUnavailableException)
            {
                return false; // a retry that ran before PostgreSQL accepted connections
            }
        }, "the queued writes never landed", Timeout);
        Assert.That(store.Health.IsWritable, Is.True);
        Assert.That(owner.Persisted.Max(), Is.EqualTo(3));
        var events = await store.ReadEventsAsync("r1", 0, 10, 1 << 20);
        Assert.That(events.Select(e => e.Data), Is.EqualTo(new[] { "line 1\n", "line 2\n", "line 3\n" }));
    }

    private static void Append(PostgresRunStore store, RecordingListener owner, long seq) =>
        store.Enqueue(new AppendEventWrite(new RunEvent("r1", seq, RunEventType.Stdout, $"line {seq}\n", DateTimeOffset.UtcNow), (seq - 1) * 7, (seq - 1) * 7, owner));
}
