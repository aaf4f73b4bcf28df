using RunsStream.Server.Runs;

namespace RunsStream.Tests.Server.Runs;

public sealed class RunLogTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 6, 0, 0, TimeSpan.Zero);

    private static RunEvent Output(long seq, int bytes) => new("r1", seq, RunEventType.Stdout, new string('x', bytes), Now);

    [Test]
    public void Under_the_cap_every_event_is_read_back_in_order()
    {
        var log = new RunLog("r1", 1000);
        for (var seq = 1; seq <= 10; seq++)
        {
            log.Append(Output(seq, 10));
        }
        Assert.That(log.Read(0, 100, long.MaxValue).Select(e => e.Seq), Is.EqualTo(Enumerable.Range(1, 10).Select(i => (long)i)));
        Assert.That(log.Read(7, 100, long.MaxValue).Select(e => e.Seq), Is.EqualTo(new long[] { 8, 9, 10 }));
        Assert.That(log.Read(10, 100, long.MaxValue), Is.Empty);
        Assert.That(log.DroppedBytes, Is.Zero);
    }

    [Test]
    public void Past_the_cap_the_head_and_tail_stay_and_one_marker_replaces_the_middle()
    {
        var log = new RunLog("r1", 100); // 50 bytes of head, 50 of tail
        for (var seq = 1; seq <= 20; seq++)
        {
            log.Append(Output(seq, 10));
        }
        var events = log.Read(0, 1000, long.MaxValue);
        var seqs = events.Select(e => e.Seq).ToArray();
        Assert.That(seqs.Take(5), Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }), "head");
        var marker = events[5];
        Assert.That(marker.IsMarker, Is.True);
        Assert.That(marker.DroppedFromSeq, Is.EqualTo(6));
        Assert.That(marker.Seq, Is.EqualTo(15), "the marker carries the last seq it replaces");
        Assert.That(marker.DroppedBytes, Is.EqualTo(100));
        Assert.That(seqs.Skip(6), Is.EqualTo(new long[] { 16, 17, 18, 19, 20 }), "tail");
        Assert.That(log.RetainedBytes, Is.EqualTo(100));
    }

    [Test]
    public void Reading_from_inside_the_dropped_stretch_gives_the_marker_then_the_tail()
    {
        var log = new RunLog("r1", 100);
        for (var seq = 1; seq <= 20; seq++)
        {
            log.Append(Output(seq, 10));
        }
        Assert.That(log.Read(8, 1000, long.MaxValue).Select(e => e.Seq), Is.EqualTo(new long[] { 15, 16, 17, 18, 19, 20 }));
        Assert.That(log.Read(15, 1000, long.MaxValue).Select(e => e.Seq), Is.EqualTo(new long[] { 16, 17, 18, 19, 20 }));
    }

    [Test]
    public void A_read_respects_its_event_and_byte_bounds_but_returns_at_least_one()
    {
        var log = new RunLog("r1", 10_000);
        for (var seq = 1; seq <= 10; seq++)
        {
            log.Append(Output(seq, 100));
        }
        Assert.That(log.Read(0, 3, long.MaxValue).Count, Is.EqualTo(3));
        Assert.That(log.Read(0, 100, 250).Count, Is.EqualTo(3));
        Assert.That(log.Read(0, 100, 1).Count, Is.EqualTo(1));
    }

    [Test]
    public void An_event_larger_than_the_head_still_starts_the_head()
    {
        var log = new RunLog("r1", 100);
        log.Append(Output(1, 80));
        log.Append(Output(2, 10));
        log.Append(Output(3, 10));
        Assert.That(log.Read(0, 10, long.MaxValue).First().Seq, Is.EqualTo(1));
    }
}
