using RunsStream.Server.Runs;

namespace RunsStream.Tests.Server.Runs;

public sealed class RunFanoutTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 6, 0, 0, TimeSpan.Zero);

    private static RunEvent Output(long seq) => new("r1", seq, RunEventType.Stdout, $"line {seq}\n", Now);

    [Test]
    public void Every_live_subscriber_gets_each_event_in_order()
    {
        var fanout = new RunFanout();
        var a = new RecordingSubscriber();
        var b = new RecordingSubscriber();
        foreach (var s in new[] { a, b })
        {
            fanout.Add(s);
            fanout.GoLive(s);
        }
        for (var seq = 1; seq <= 3; seq++)
        {
            fanout.Deliver(Output(seq));
        }
        Assert.That(a.Received.Select(e => e.Seq), Is.EqualTo(new long[] { 1, 2, 3 }));
        Assert.That(b.Received.Select(e => e.Seq), Is.EqualTo(new long[] { 1, 2, 3 }));
    }

    [Test]
    public void A_subscriber_that_does_not_take_an_event_leaves_the_live_list_but_stays_subscribed()
    {
        var fanout = new RunFanout();
        var slow = new RecordingSubscriber();
        var fast = new RecordingSubscriber();
        foreach (var s in new[] { slow, fast })
        {
            fanout.Add(s);
            fanout.GoLive(s);
        }
        fanout.Deliver(Output(1));
        slow.Refuse = true;
        fanout.Deliver(Output(2));
        slow.Refuse = false;
        fanout.Deliver(Output(3));

        Assert.That(slow.Received.Select(e => e.Seq), Is.EqualTo(new long[] { 1 }), "it catches up from the log instead");
        Assert.That(fast.Received.Select(e => e.Seq), Is.EqualTo(new long[] { 1, 2, 3 }), "the others are not held up");
        Assert.That(fanout.IsLive(slow), Is.False);
        Assert.That(fanout.Count, Is.EqualTo(2));
        Assert.That(fanout.LiveCount, Is.EqualTo(1));
    }

    [Test]
    public void Each_fall_back_from_live_to_catching_up_is_counted_and_keeping_up_is_not()
    {
        var fanout = new RunFanout();
        var slow = new RecordingSubscriber();
        var fast = new RecordingSubscriber();
        foreach (var s in new[] { slow, fast })
        {
            fanout.Add(s);
            fanout.GoLive(s);
        }
        fanout.Deliver(Output(1));
        Assert.That(fanout.LiveFallbacks, Is.Zero, "both took the event");

        slow.Refuse = true;
        fanout.Deliver(Output(2));
        fanout.Deliver(Output(3));
        Assert.That(fanout.LiveFallbacks, Is.EqualTo(1), "the slow one left the live list once; it is not asked again while out");

        slow.Refuse = false;
        slow.NextSeq = 4; // caught up from the log
        fanout.GoLive(slow);
        fanout.Deliver(Output(4));
        slow.Refuse = true;
        fanout.Deliver(Output(5));
        Assert.That(fanout.LiveFallbacks, Is.EqualTo(2), "a second fall back after going live again counts again");
    }

    [Test]
    public void Only_a_subscriber_that_is_still_subscribed_can_go_live_and_only_once()
    {
        var fanout = new RunFanout();
        var gone = new RecordingSubscriber();
        fanout.GoLive(gone);
        Assert.That(fanout.IsLive(gone), Is.False, "it left (or never came): going live must not bring it back");

        var present = new RecordingSubscriber();
        fanout.Add(present);
        fanout.GoLive(present);
        fanout.GoLive(present);
        fanout.Deliver(Output(1));
        Assert.That(present.Received, Has.Count.EqualTo(1), "listed once, handed each event once");

        fanout.Remove(present);
        fanout.Deliver(Output(2));
        Assert.That(present.Received, Has.Count.EqualTo(1));
        Assert.That(fanout.Count, Is.Zero);
    }
}
