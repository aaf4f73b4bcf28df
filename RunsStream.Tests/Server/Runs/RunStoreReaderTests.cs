using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Tests.Server.Runs;

public sealed class RunStoreReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 6, 0, 0, TimeSpan.Zero);

    private static InMemoryRunStore StoreWith(int events)
    {
        var store = new InMemoryRunStore();
        for (var seq = 1; seq <= events; seq++)
        {
            store.Enqueue(new AppendEventWrite(new RunEvent("r1", seq, RunEventType.Stdout, $"{seq}\n", Now), seq, seq));
        }
        return store;
    }

    [Test]
    public async Task Subscribers_replaying_a_finished_run_together_share_each_batch_read()
    {
        var store = new ObservedRunStore(StoreWith(20));
        var reader = new RunStoreReader("r1", store);
        var first = reader.ReadAsync(0, 10, 1 << 20, finished: true);
        var second = reader.ReadAsync(0, 10, 1 << 20, finished: true);
        Assert.That(second, Is.SameAs(first), "one read for both");
        var batch = await first.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(batch.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(1, 10).Select(i => (long)i)));
        Assert.That(await reader.ReadAsync(0, 10, 1 << 20, finished: true), Is.SameAs(batch), "a later subscriber gets the kept batch");
        Assert.That(store.EventReads, Is.EqualTo(1));
        Assert.That(await reader.ReadAsync(10, 10, 1 << 20, finished: true).WaitAsync(TimeSpan.FromSeconds(30)), Has.Count.EqualTo(10));
    }

    [Test]
    public void A_live_run_is_read_fresh_each_time()
    {
        var reader = new RunStoreReader("r1", StoreWith(5));
        Assert.That(reader.ReadAsync(0, 10, 1 << 20, finished: false), Is.Not.SameAs(reader.ReadAsync(0, 10, 1 << 20, finished: false)));
    }

    [Test]
    public async Task Only_the_most_recent_batches_are_kept()
    {
        var reader = new RunStoreReader("r1", StoreWith(100));
        var oldest = reader.ReadAsync(0, 1, 1 << 20, finished: true);
        for (var after = 1; after <= RunStoreReader.BatchCacheSize; after++)
        {
            await reader.ReadAsync(after, 1, 1 << 20, finished: true).WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.That(reader.ReadAsync(0, 1, 1 << 20, finished: true), Is.Not.SameAs(oldest), "pushed out by newer batches");
    }

    [Test]
    public async Task A_failed_read_is_not_kept()
    {
        var store = new ObservedRunStore(StoreWith(3)) { FailFirstReads = 1 };
        var reader = new RunStoreReader("r1", store);
        var failed = reader.ReadAsync(0, 10, 1 << 20, finished: true);
        Assert.ThrowsAsync<IOException>(async () => await failed.WaitAsync(TimeSpan.FromSeconds(30)));
        var retried = await Retry(() => reader.ReadAsync(0, 10, 1 << 20, finished: true), failed);
        Assert.That((await retried.WaitAsync(TimeSpan.FromSeconds(30))).Select(e => e.Seq), Is.EqualTo(new long[] { 1, 2, 3 }));
    }

    /// <summary>The failed read is forgotten by a continuation: ask until a new read is made.</summary>
    private static async Task<Task<List<RunEvent>>> Retry(Func<Task<List<RunEvent>>> read, Task<List<RunEvent>> failed)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var next = read();
            if (!ReferenceEquals(next, failed) || DateTime.UtcNow > deadline)
            {
                return next;
            }
            await Task.Delay(10);
        }
    }
}
