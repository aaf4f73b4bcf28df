using RunsStream.Server.Runs;

namespace RunsStream.Tests.Server.Runs;

public sealed class RunLogTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 6, 0, 0, TimeSpan.Zero);

    private static RunEvent Output(long seq, int bytes) => new("r1", seq, RunEventType.Stdout, new string('x', bytes), Now);

    private static RunLog Filled(long cap, int events, int bytes, List<(long From, long To)>? drops = null)
    {
        var log = new RunLog("r1", cap);
        for (var seq = 1; seq <= events; seq++)
        {
            if (log.Append(Output(seq, bytes), (seq - 1) * bytes) is { } dropped)
            {
                drops?.Add(dropped);
            }
        }
        return log;
    }

    [Test]
    public void Under_the_cap_every_event_is_read_back_from_memory_in_order()
    {
        var log = Filled(1000, 10, 10);
        Assert.That(log.TryRead(0, 100, long.MaxValue)!.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(1, 10).Select(i => (long)i)));
        Assert.That(log.TryRead(7, 100, long.MaxValue)!.Select(e => e.Seq), Is.EqualTo(new long[] { 8, 9, 10 }));
        Assert.That(log.TryRead(10, 100, long.MaxValue), Is.Empty);
        Assert.That(log.Gap.Exists, Is.False);
    }

    [Test]
    public void Past_the_cap_the_head_and_tail_stay_and_one_marker_replaces_the_middle()
    {
        var drops = new List<(long From, long To)>();
        var log = Filled(100, 20, 10, drops); // 50 bytes of head, 50 of tail
        Assert.That(drops.First().From, Is.EqualTo(6));
        Assert.That(drops.Last().To, Is.EqualTo(15));
        var events = log.TryRead(0, 1000, long.MaxValue)!;
        var seqs = events.Select(e => e.Seq).ToArray();
        Assert.That(seqs.Take(5), Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }), "head");
        var marker = events[5];
        Assert.That(marker.IsMarker, Is.True);
        Assert.That(marker.DroppedFromSeq, Is.EqualTo(6));
        Assert.That(marker.Seq, Is.EqualTo(15), "the marker carries the last seq it replaces");
        Assert.That(marker.DroppedBytes, Is.EqualTo(100));
        Assert.That(seqs.Skip(6), Is.EqualTo(new long[] { 16, 17, 18, 19, 20 }), "tail");
        Assert.That(log.Gap.FromOffset, Is.EqualTo(50));
        Assert.That(log.Gap.ToOffset, Is.EqualTo(150));
    }

    [Test]
    public void Reading_from_inside_the_dropped_stretch_gives_the_marker_then_the_tail()
    {
        var log = Filled(100, 20, 10);
        Assert.That(log.TryRead(8, 1000, long.MaxValue)!.Select(e => e.Seq), Is.EqualTo(new long[] { 15, 16, 17, 18, 19, 20 }));
        Assert.That(log.TryRead(15, 1000, long.MaxValue)!.Select(e => e.Seq), Is.EqualTo(new long[] { 16, 17, 18, 19, 20 }));
    }

    [Test]
    public void Durable_events_leave_memory_and_older_reads_go_to_the_store()
    {
        var log = Filled(RunLog.WindowBytes * 4, 10, 1024 * 1024);
        Assert.That(log.TryRead(0, 100, long.MaxValue), Is.Not.Null, "nothing is durable yet: all in memory");
        log.OnPersisted(10, finished: false);
        Assert.That(log.TryRead(0, 100, long.MaxValue), Is.Null, "the oldest events are only in the store now");
        Assert.That(log.TryRead(9, 100, long.MaxValue)!.Select(e => e.Seq), Is.EqualTo(new long[] { 10 }), "recent ones stay in memory");
        log.OnPersisted(10, finished: true);
        Assert.That(log.TryRead(9, 100, long.MaxValue), Is.Null, "a finished run keeps nothing in memory");
        Assert.That(log.TryRead(10, 100, long.MaxValue), Is.Empty);
    }

    [Test]
    public void Events_not_yet_durable_are_never_evicted()
    {
        var log = Filled(RunLog.WindowBytes * 4, 10, 1024 * 1024);
        log.OnPersisted(3, finished: true);
        Assert.That(log.TryRead(2, 100, long.MaxValue), Is.Null);
        Assert.That(log.TryRead(3, 100, long.MaxValue)!.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(4, 7).Select(i => (long)i)));
    }

    [Test]
    public void A_read_respects_its_event_and_byte_bounds_but_returns_at_least_one()
    {
        var log = Filled(10_000, 10, 100);
        Assert.That(log.TryRead(0, 3, long.MaxValue)!.Count, Is.EqualTo(3));
        Assert.That(log.TryRead(0, 100, 250)!.Count, Is.EqualTo(3));
        Assert.That(log.TryRead(0, 100, 1)!.Count, Is.EqualTo(1));
    }

    [Test]
    public void An_event_larger_than_the_head_still_starts_the_head()
    {
        var log = new RunLog("r1", 100);
        log.Append(Output(1, 80), 0);
        log.Append(Output(2, 10), 80);
        log.Append(Output(3, 10), 90);
        Assert.That(log.TryRead(0, 10, long.MaxValue)!.First().Seq, Is.EqualTo(1));
    }
}
