using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Fleet;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Tests.Server.Runs.Fleet;

/// <summary>
/// A mirror on one node of a run another node executes, against the store both share: the
/// executing node's events reach the mirror's subscribers in seq order, each once, whether
/// they come from the live feed, late, twice, or only through the store.
/// </summary>
public sealed class MirrorSyncTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 6, 0, 0, TimeSpan.Zero);

    private static RunState Executing(IRunStore store) => new("r1", 1 << 20, store, "true", null, Now);

    private static RunEvent Output(RunState run, string text) =>
        run.Append(seq => new RunEvent(run.RunId, seq, RunEventType.Stdout, text, Now))!;

    private static RunEvent Status(RunState run, RunStatus status) =>
        run.Append(seq => RunEvent.ForStatus(run.RunId, seq, status, Now, exitCode: status == RunStatus.Succeeded ? 0 : null))!;

    [Test]
    public async Task Events_from_the_feed_reach_a_live_subscriber_in_order_and_a_duplicate_is_dropped()
    {
        var store = new InMemoryRunStore();
        var owner = Executing(store);
        var queued = Status(owner, RunStatus.Queued);
        var mirror = RunState.Mirror(store.GetRun("r1")!, 1 << 20, store);
        var sync = new MirrorSync(mirror, store);
        var subscriber = new RecordingSubscriber();
        mirror.AddSubscriber(subscriber);
        await subscriber.CatchUpAsync(mirror);

        var running = Status(owner, RunStatus.Running);
        var hello = Output(owner, "hello\n");
        await sync.ApplyAsync(running);
        await sync.ApplyAsync(hello);
        await sync.ApplyAsync(hello);
        await sync.ApplyAsync(queued);

        Assert.That(subscriber.Received.Select(e => e.Seq), Is.EqualTo(new long[] { 1, 2, 3 }));
        Assert.That(mirror.Status, Is.EqualTo(RunStatus.Running));
        Assert.That(mirror.StdoutBytes, Is.EqualTo(6));
    }

    [Test]
    public async Task Events_the_feed_missed_are_read_from_the_store_before_the_next_one()
    {
        var store = new InMemoryRunStore();
        var owner = Executing(store);
        Status(owner, RunStatus.Queued);
        var mirror = RunState.Mirror(store.GetRun("r1")!, 1 << 20, store);
        var sync = new MirrorSync(mirror, store);
        var subscriber = new RecordingSubscriber();
        mirror.AddSubscriber(subscriber);
        await subscriber.CatchUpAsync(mirror);

        Status(owner, RunStatus.Running);
        for (var i = 0; i < 2500; i++)
        {
            Output(owner, $"line {i}\n"); // published while the feed was away
        }
        var last = Status(owner, RunStatus.Succeeded);
        await sync.ApplyAsync(last);

        Assert.That(subscriber.Received.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(1, 2503).Select(i => (long)i)));
        Assert.That(subscriber.Received[^1].Status, Is.EqualTo(RunStatus.Succeeded));
        Assert.That(mirror.IsFinished, Is.True);
    }

    [Test]
    public async Task A_mirror_made_before_the_run_existed_hands_its_waiting_subscriber_every_event_from_the_first()
    {
        var store = new InMemoryRunStore();
        var mirror = RunState.Mirror("r1", 1 << 20, store);
        var sync = new MirrorSync(mirror, store);
        var subscriber = new RecordingSubscriber();
        mirror.AddSubscriber(subscriber);
        await subscriber.CatchUpAsync(mirror);
        Assert.That(mirror.Exists, Is.False);

        var owner = Executing(store);
        owner.CreatedBy = "alice";
        Status(owner, RunStatus.Queued);
        Status(owner, RunStatus.Running);
        var output = Output(owner, "out\n");
        await sync.ApplyAsync(output);

        Assert.That(subscriber.Received.Select(e => e.Seq), Is.EqualTo(new long[] { 1, 2, 3 }));
        Assert.That(mirror.Command, Is.EqualTo("true"));
        Assert.That(mirror.CreatedBy, Is.EqualTo("alice"), "the whole record is adopted, who started it included");
    }

    [Test]
    public async Task A_periodic_fill_finds_what_no_feed_delivered_and_a_caught_up_subscriber_replays_from_any_seq()
    {
        var store = new InMemoryRunStore();
        var owner = Executing(store);
        Status(owner, RunStatus.Queued);
        var mirror = RunState.Mirror(store.GetRun("r1")!, 1 << 20, store);
        var sync = new MirrorSync(mirror, store);
        Status(owner, RunStatus.Running);
        Output(owner, "a\n");
        Output(owner, "b\n");

        await sync.FillAsync();
        var late = new RecordingSubscriber(since: 2);
        mirror.AddSubscriber(late);
        await late.CatchUpAsync(mirror);

        Assert.That(mirror.LastSeq, Is.EqualTo(4));
        Assert.That(late.Received.Select(e => e.Data), Is.EqualTo(new[] { "a\n", "b\n" }));
    }

    [Test]
    public void A_mirror_refuses_local_appends_and_becomes_the_executing_run_only_at_the_stored_last_seq()
    {
        var store = new InMemoryRunStore();
        var owner = Executing(store);
        Status(owner, RunStatus.Queued);
        var record = store.GetRun("r1")!;
        var mirror = RunState.Mirror(record, 1 << 20, store);

        Assert.Throws<InvalidOperationException>(() => Output(mirror, "x"));
        Assert.That(mirror.TakeOwnership(record with { LastSeq = 2 }, fence: 7), Is.False, "behind the store: fill first");
        Assert.That(mirror.TakeOwnership(record, fence: 7), Is.True);
        Assert.That(mirror.IsMirror, Is.False);
        Assert.That(mirror.Fence, Is.EqualTo(7));
        Assert.That(Status(mirror, RunStatus.Running).Seq, Is.EqualTo(2));
    }
}
