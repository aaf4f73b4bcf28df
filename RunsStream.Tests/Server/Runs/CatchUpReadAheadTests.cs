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
        await Eventually.WaitUntilAsync(() => { lock (reads.AskedAfter) return reads.AskedAfter.Count == 1; }, "the next batch to be read", Timeout);

        var next = (await ahead.TakeAsync().AsTask().WaitAsync(Timeout))!;
        Assert.That(reads.AskedAfter, Is.EqualTo(new[] { 4L }), "read after the last seq of the batch being sent");
        Assert.That(next.Select(e => e.Seq), Is.EqualTo(new[] { 5L, 6L, 7L, 8L }));
        Assert.That(next.Select(RunEventEncoder.EncodedNamespaces), Is.All.EqualTo(1), "each event already encoded for the subscriber's namespace");
        Assert.That(await ahead.TakeAsync(), Is.Null, "taken once");
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
    public async Task Only_one_batch_is_read_ahead_until_it_is_taken()
    {
        var reads = new Reads(4);
        var ahead = new CatchUpReadAhead(reads.ReadAsync, "/", fullEvents: 4, fullBytes: long.MaxValue);

        ahead.After(Batch(1, 4));
        ahead.After(Batch(5, 4));
        await ahead.TakeAsync().AsTask().WaitAsync(Timeout);

        Assert.That(reads.AskedAfter, Is.EqualTo(new[] { 4L }));
    }

    [Test]
    public async Task A_read_that_fails_gives_nothing_and_the_pump_reads_the_usual_way()
    {
        var ahead = new CatchUpReadAhead(_ => ValueTask.FromException<List<RunEvent>>(new IOException("store away")), "/", fullEvents: 1, fullBytes: long.MaxValue);

        ahead.After(Batch(1, 1));

        Assert.That(await ahead.TakeAsync().AsTask().WaitAsync(Timeout), Is.Null);
    }
}
