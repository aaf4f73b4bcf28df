using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Storage;
using RunsStream.Tests.Support;

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
    public async Task Subscribers_replaying_the_same_range_together_share_each_batch_read()
    {
        var store = new ObservedRunStore(StoreWith(20));
        var reader = new RunStoreReader("r1", store);
        var first = reader.ReadAsync(0, 10, 1 << 20, 0, durableSeq: 10);
        var second = reader.ReadAsync(0, 10, 1 << 20, 0, durableSeq: 10);
        Assert.That(second, Is.SameAs(first), "one read for both");
        var batch = await first.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(batch.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(1, 10).Select(i => (long)i)));
        Assert.That(await reader.ReadAsync(0, 10, 1 << 20, 0, durableSeq: 10), Is.SameAs(batch), "a later subscriber gets the kept batch");
        Assert.That(store.EventReads, Is.EqualTo(1));
        Assert.That(await reader.ReadAsync(10, 10, 1 << 20, 0, 20).WaitAsync(TimeSpan.FromSeconds(30)), Has.Count.EqualTo(10));
    }

    [Test]
    public async Task The_batch_after_a_full_one_is_read_before_it_is_asked_for()
    {
        var store = new ObservedRunStore(StoreWith(30));
        var reader = new RunStoreReader("r1", store);
        var first = await reader.ReadAsync(0, 10, 1 << 20, 0, 30).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(first.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(1, 10).Select(i => (long)i)));
        await Eventually.WaitUntilAsync(() => store.EventReads >= 2, "the next batch was read ahead", TimeSpan.FromSeconds(30));
        var second = await reader.ReadAsync(10, 10, 1 << 20, 0, 30).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(second.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(11, 10).Select(i => (long)i)));
        await Eventually.WaitUntilAsync(() => store.EventReads >= 3, "and the one after it", TimeSpan.FromSeconds(30));
        var third = await reader.ReadAsync(20, 10, 1 << 20, 0, 30).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(third.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(21, 10).Select(i => (long)i)));
        Assert.That(store.EventReads, Is.EqualTo(3), "each batch read once: the read-ahead served the subscriber");
    }

    [Test]
    public async Task Nothing_is_read_ahead_past_what_the_store_holds()
    {
        var store = new ObservedRunStore(StoreWith(30));
        var reader = new RunStoreReader("r1", store);
        await reader.ReadAsync(0, 10, 1 << 20, 0, durableSeq: 10).WaitAsync(TimeSpan.FromSeconds(30));
        // A read that is started is counted before its task completes: one more read would show.
        await reader.ReadAsync(0, 10, 1 << 20, 0, durableSeq: 10).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(store.EventReads, Is.EqualTo(1));
        Assert.That(reader.CachedBatches, Is.EqualTo(1));
    }

    [Test]
    public async Task A_short_batch_of_a_live_run_is_not_kept_as_the_store_may_hold_more_next_time()
    {
        var inner = StoreWith(5);
        var store = new ObservedRunStore(inner);
        var reader = new RunStoreReader("r1", store);
        var shortBatch = await reader.ReadAsync(0, 10, 1 << 20, 0, 5).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(shortBatch, Has.Count.EqualTo(5));
        for (var seq = 6; seq <= 10; seq++)
        {
            inner.Enqueue(new AppendEventWrite(new RunEvent("r1", seq, RunEventType.Stdout, $"{seq}\n", Now), seq, seq));
        }
        await Eventually.WaitUntilAsync(() => reader.CachedBatches == 0, "the short batch was forgotten", TimeSpan.FromSeconds(30));
        var full = await reader.ReadAsync(0, 10, 1 << 20, 0, 10).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(full.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(1, 10).Select(i => (long)i)));
    }

    [Test]
    public async Task A_kept_batch_is_not_used_once_retention_dropped_more_of_the_run()
    {
        var store = new ObservedRunStore(StoreWith(20));
        var reader = new RunStoreReader("r1", store);
        var before = reader.ReadAsync(0, 10, 1 << 20, gapToSeq: 0, 20);
        await before.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(reader.ReadAsync(0, 10, 1 << 20, gapToSeq: 0, 20), Is.SameAs(before), "kept while the gap is unchanged");
        Assert.That(reader.ReadAsync(0, 10, 1 << 20, gapToSeq: 4, 20), Is.Not.SameAs(before), "read again after a drop");
    }

    [Test]
    public async Task Kept_batches_hold_at_most_the_cache_bytes()
    {
        var store = new InMemoryRunStore();
        var data = new string('x', 64 * 1024);
        var events = (int)(3 * RunStoreReader.CacheBytes / data.Length);
        for (var seq = 1; seq <= events; seq++)
        {
            store.Enqueue(new AppendEventWrite(new RunEvent("r1", seq, RunEventType.Stdout, data, Now), (seq - 1L) * data.Length, (seq - 1L) * data.Length));
        }
        var reader = new RunStoreReader("r1", store);
        for (var after = 0; after < events; after += 16)
        {
            await reader.ReadAsync(after, 16, 1 << 30, 0, events).WaitAsync(TimeSpan.FromSeconds(30));
        }
        // Each batch is 1 MiB: the byte bound, not the count, limits what is kept (plus one read ahead).
        var byBytes = (int)(RunStoreReader.CacheBytes / (16 * data.Length));
        Assert.That(byBytes, Is.LessThan(RunStoreReader.BatchCacheSize));
        Assert.That(reader.CachedBatches, Is.LessThanOrEqualTo(byBytes + 1));
    }

    [Test]
    public async Task Only_the_most_recent_batches_are_kept()
    {
        var reader = new RunStoreReader("r1", StoreWith(100));
        var oldest = reader.ReadAsync(0, 1, 1 << 20, 0, 100);
        await oldest.WaitAsync(TimeSpan.FromSeconds(30));
        for (var after = 1; after <= RunStoreReader.BatchCacheSize; after++)
        {
            await reader.ReadAsync(after, 1, 1 << 20, 0, 100).WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.That(reader.ReadAsync(0, 1, 1 << 20, 0, 100), Is.Not.SameAs(oldest), "pushed out by newer batches");
    }

    [Test]
    public async Task A_failed_read_is_not_kept()
    {
        var store = new ObservedRunStore(StoreWith(3)) { FailFirstReads = 1 };
        var reader = new RunStoreReader("r1", store);
        var failed = reader.ReadAsync(0, 10, 1 << 20, 0, 20);
        Assert.ThrowsAsync<IOException>(async () => await failed.WaitAsync(TimeSpan.FromSeconds(30)));
        var retried = await Retry(() => reader.ReadAsync(0, 10, 1 << 20, 0, 20), failed);
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
