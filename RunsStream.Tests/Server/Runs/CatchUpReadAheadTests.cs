using RunsStream.Server.Runs;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs;

public sealed class CatchUpReadAheadTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static RunEvent Output(long seq) => new("r1", seq, RunEventType.Stdout, $"line {seq}\n", new DateTimeOffset(2026, 12, 3, 6, 0, 0, TimeSpan.Zero));

    private static List<RunEvent> Batch(long from, int count) => Enumerable.Range(0, count).Select(i => Output(from + i)).ToList();

    /// <summary>A store read that records what it was asked for and answers with <paramref name="count"/> events after it.</summary>
    private sealed class Reads(int count)
    {
        public readonly List<long> AskedAfter = new();

        public ValueTask<List<RunEvent>> ReadAsync(long afterSeq)
        {
            lock (AskedAfter)
            {
                AskedAfter.Add(afterSeq);
            }
            return ValueTask.FromResult(Batch(afterSeq + 1, count));
        }
    }

    [Test]
    public async Task After_a_full_batch_the_next_one_is_read_and_encoded_before_it_is_asked_for()
    {
        var reads = new Reads(4);
        var ahead = new CatchUpReadAhead(reads.ReadAsync, "/runs", fullEvents: 4, fullBytes: long.MaxValue);

        ahead.After(Batch(1, 4));
        await Eventually.WaitUntilAsync(() => { lock (reads.AskedAfter) return reads.AskedAfter.Count >= 1; }, "the next batch to be read", Timeout);

        var next = (await ahead.TakeAsync().AsTask().WaitAsync(Timeout))!;
        lock (reads.AskedAfter)
        {
            Assert.That(reads.AskedAfter[0], Is.EqualTo(4L), "read after the last seq of the batch being sent");
        }
        Assert.That(next.Select(e => e.Seq), Is.EqualTo(new[] { 5L, 6L, 7L, 8L }));
        Assert.That(next.Select(RunEventEncoder.EncodedNamespaces), Is.All.EqualTo(1), "each event already encoded for the subscriber's namespace");
        ahead.Stop();
    }

    [Test]
    public async Task A_batch_full_by_its_bytes_counts_as_full()
    {
        var reads = new Reads(1);
        var ahead = new CatchUpReadAhead(reads.ReadAsync, "/", fullEvents: 100, fullBytes: 10);

        ahead.After([new RunEvent("r1", 3, RunEventType.Stdout, "0123456789", DateTimeOffset.UnixEpoch)]);

        Assert.That((await ahead.TakeAsync().AsTask().WaitAsync(Timeout))!.Select(e => e.Seq), Is.EqualTo(new[] { 4L }));
    }

    [Test]
    public async Task After_a_short_batch_nothing_is_read_the_subscriber_is_about_to_be_live()
    {
        var reads = new Reads(4);
        var ahead = new CatchUpReadAhead(reads.ReadAsync, "/", fullEvents: 4, fullBytes: long.MaxValue);

        ahead.After(Batch(1, 3));
        ahead.After([]);

        Assert.That(await ahead.TakeAsync(), Is.Null);
        Assert.That(reads.AskedAfter, Is.Empty);
    }

    [Test]
    public async Task It_reads_on_at_most_depth_batches_ahead_of_what_was_taken()
    {
        var reads = new Reads(4);
        var ahead = new CatchUpReadAhead(reads.ReadAsync, "/", fullEvents: 4, fullBytes: long.MaxValue, depth: 2);

        ahead.After(Batch(1, 4));
        // Two batches wait to be taken and a third is read: it waits for room.
        await Eventually.WaitUntilAsync(() => { lock (reads.AskedAfter) return reads.AskedAfter.Count == 3; }, "three reads", Timeout);
        ahead.After(Batch(5, 4)); // a batch taken from the read-ahead itself starts nothing new

        Assert.That((await ahead.TakeAsync().AsTask().WaitAsync(Timeout))!.Select(e => e.Seq), Is.EqualTo(new[] { 5L, 6L, 7L, 8L }));
        await Eventually.WaitUntilAsync(() => { lock (reads.AskedAfter) return reads.AskedAfter.Count == 4; }, "one more read once one was taken", Timeout);
        Assert.That((await ahead.TakeAsync().AsTask().WaitAsync(Timeout))!.Select(e => e.Seq), Is.EqualTo(new[] { 9L, 10L, 11L, 12L }));
        Assert.That((await ahead.TakeAsync().AsTask().WaitAsync(Timeout))!.Select(e => e.Seq), Is.EqualTo(new[] { 13L, 14L, 15L, 16L }));
        lock (reads.AskedAfter)
        {
            Assert.That(reads.AskedAfter.Take(4), Is.EqualTo(new[] { 4L, 8L, 12L, 16L }), "each read after the last seq of the one before");
        }
        ahead.Stop();
    }

    [Test]
    public async Task It_ends_after_the_first_batch_that_is_not_full()
    {
        var sizes = new Queue<int>([4, 2]);
        var reads = new List<long>();
        var ahead = new CatchUpReadAhead(afterSeq =>
        {
            lock (reads)
            {
                reads.Add(afterSeq);
                return ValueTask.FromResult(Batch(afterSeq + 1, sizes.Count > 0 ? sizes.Dequeue() : 4));
            }
        }, "/", fullEvents: 4, fullBytes: long.MaxValue);

        ahead.After(Batch(1, 4));

        Assert.That((await ahead.TakeAsync().AsTask().WaitAsync(Timeout))!.Select(e => e.Seq), Is.EqualTo(new[] { 5L, 6L, 7L, 8L }));
        Assert.That((await ahead.TakeAsync().AsTask().WaitAsync(Timeout))!.Select(e => e.Seq), Is.EqualTo(new[] { 9L, 10L }), "the short batch is handed over");
        Assert.That(await ahead.TakeAsync().AsTask().WaitAsync(Timeout), Is.Null, "then the pump reads the usual way");
        lock (reads)
        {
            Assert.That(reads, Is.EqualTo(new[] { 4L, 8L }), "nothing read after the short batch");
        }
    }

    [Test]
    public async Task A_read_that_fails_gives_nothing_and_the_pump_reads_the_usual_way()
    {
        var ahead = new CatchUpReadAhead(_ => ValueTask.FromException<List<RunEvent>>(new IOException("store away")), "/", fullEvents: 1, fullBytes: long.MaxValue);

        ahead.After(Batch(1, 1));

        Assert.That(await ahead.TakeAsync().AsTask().WaitAsync(Timeout), Is.Null);
    }
}
