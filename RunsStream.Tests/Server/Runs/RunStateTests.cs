using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Tests.Server.Runs;

public sealed class RunStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 6, 0, 0, TimeSpan.Zero);

    private static RunEvent? AppendOutput(RunState run, string text) =>
        run.Append(seq => new RunEvent(run.RunId, seq, RunEventType.Stdout, text, Now));

    private static RunState NewRun(IRunStore? store = null, long cap = 1 << 20) =>
        new("r1", cap, store ?? new InMemoryRunStore(), "true", null, Now);

    [Test]
    public void Appending_assigns_the_next_seq_counts_bytes_and_stops_at_the_terminal_status()
    {
        var run = NewRun();
        run.Append(seq => RunEvent.ForStatus(run.RunId, seq, RunStatus.Running, Now));
        Assert.That(AppendOutput(run, "héllo")!.Seq, Is.EqualTo(2));
        run.Append(seq => RunEvent.ForStatus(run.RunId, seq, RunStatus.Succeeded, Now, exitCode: 0));

        Assert.That(AppendOutput(run, "late"), Is.Null, "a finished run takes no more events");
        var record = run.Snapshot()!;
        Assert.That(record.LastSeq, Is.EqualTo(3));
        Assert.That(record.StdoutBytes, Is.EqualTo(6), "UTF-8 bytes");
        Assert.That(record.Status, Is.EqualTo(RunStatus.Succeeded));
        Assert.That(record.ExitCode, Is.EqualTo(0));
    }

    [Test]
    public async Task A_subscriber_that_catches_up_while_events_are_appended_neither_misses_nor_repeats_one()
    {
        var run = NewRun();
        for (var i = 0; i < 100; i++)
        {
            AppendOutput(run, $"{i}\n");
        }
        var subscriber = new RecordingSubscriber(since: 10);
        run.AddSubscriber(subscriber);
        var appending = Task.Run(() =>
        {
            for (var i = 100; i < 5000; i++)
            {
                AppendOutput(run, $"{i}\n");
            }
        });
        await subscriber.CatchUpAsync(run);
        await appending.WaitAsync(TimeSpan.FromSeconds(60));
        await subscriber.CatchUpAsync(run); // a no-op once live; catches the rest if it went live at the very end

        Assert.That(subscriber.Received.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(11, 4990).Select(i => (long)i)));
        Assert.That(run.SubscriberCount, Is.EqualTo(1));
        run.RemoveSubscriber(subscriber);
        Assert.That(run.SubscriberCount, Is.Zero);
    }

    [Test]
    public async Task Events_older_than_the_memory_window_are_read_from_the_store()
    {
        var store = new ObservedRunStore(new InMemoryRunStore());
        var run = NewRun(store, cap: 1L << 30);
        var chunk = new string('x', 1024 * 1024);
        for (var i = 0; i < 12; i++)
        {
            AppendOutput(run, chunk); // 12 MiB: more than the 8 MiB a live run keeps in memory once durable
        }
        // Once the store acknowledges them, the oldest leave memory: a read from the start goes to the store.
        Assert.That(await Eventually(async () => (await run.ReadEventsAsync(0, 1, long.MaxValue)).Count == 1 && store.EventReads > 0), Is.True);
        var all = new List<RunEvent>();
        long after = 0;
        while ((await run.ReadEventsAsync(after)) is { Count: > 0 } batch)
        {
            all.AddRange(batch);
            after = batch[^1].Seq;
        }
        Assert.That(all.Select(e => e.Seq), Is.EqualTo(Enumerable.Range(1, 12).Select(i => (long)i)));
        Assert.That(all.All(e => e.DataBytes == chunk.Length), Is.True);
    }

    [Test]
    public async Task Waiting_for_an_event_completes_when_one_is_appended()
    {
        var run = NewRun();
        AppendOutput(run, "a");
        Assert.That(run.WaitForEventAsync(0, CancellationToken.None).IsCompleted, Is.True);
        var wait = run.WaitForEventAsync(1, CancellationToken.None);
        Assert.That(wait.IsCompleted, Is.False);
        AppendOutput(run, "b");
        await wait.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Test]
    public void A_fenced_run_asks_its_execution_to_end_as_failed_lease_lost()
    {
        var run = NewRun();
        Assert.That(run.Execution.End, Is.Null);

        ((IPersistenceListener)run).OnFenced(run.RunId);

        Assert.That(run.Execution.End, Is.EqualTo(new RequestedEnd(RunStatus.Failed, "lease lost")));
    }

    [Test]
    public void A_published_batch_creates_an_external_run_and_is_refused_whole_once_it_finished()
    {
        var run = new RunState("ext-1", 1 << 20, new InMemoryRunStore());
        Assert.That(run.Publish([], TimeProvider.System), Is.EqualTo(PublishOutcome.NothingToCreate));
        Assert.That(run.Exists, Is.False);

        Assert.That(run.Publish([new PublishedEvent(RunEventType.Stdout, "out")], TimeProvider.System), Is.EqualTo(PublishOutcome.Accepted));
        Assert.That(run.Status, Is.EqualTo(RunStatus.Running), "output first: running without a status event");
        Assert.That(run.IsExternal, Is.True);
        Assert.That(run.LastSeq, Is.EqualTo(1));

        Assert.That(run.Publish([new PublishedEvent(RunEventType.Status, "failed", RunStatus.Failed)], TimeProvider.System), Is.EqualTo(PublishOutcome.Accepted));
        Assert.That(run.Reason, Is.EqualTo("Failed"), "the default reason");
        Assert.That(run.Publish([new PublishedEvent(RunEventType.Stdout, "more")], TimeProvider.System), Is.EqualTo(PublishOutcome.Finished));
        Assert.That(run.LastSeq, Is.EqualTo(2));
    }

    [Test]
    public void A_run_this_server_executes_takes_no_published_events()
    {
        var run = NewRun();
        run.Append(seq => RunEvent.ForStatus(run.RunId, seq, RunStatus.Queued, Now));
        Assert.That(run.Publish([new PublishedEvent(RunEventType.Stdout, "x")], TimeProvider.System), Is.EqualTo(PublishOutcome.ExecutedHere));
        Assert.That(run.LastSeq, Is.EqualTo(1));
    }

    [Test]
    public void An_awaited_run_is_retired_only_without_subscribers_and_then_takes_no_events()
    {
        var run = new RunState("awaited", 1 << 20, new InMemoryRunStore());
        var subscriber = new RecordingSubscriber();
        run.AddSubscriber(subscriber);
        Assert.That(run.TryRetire(), Is.False, "someone still waits for it");
        run.RemoveSubscriber(subscriber);
        Assert.That(run.TryRetire(), Is.True);
        Assert.That(run.Publish([new PublishedEvent(RunEventType.Stdout, "x")], TimeProvider.System), Is.EqualTo(PublishOutcome.Retired));
        Assert.That(run.Exists, Is.False);

        var created = new RunState("created", 1 << 20, new InMemoryRunStore());
        created.Publish([new PublishedEvent(RunEventType.Stdout, "x")], TimeProvider.System);
        Assert.That(created.TryRetire(), Is.False, "a run that exists is never retired");
    }

    private static async Task<bool> Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(10);
        }
        return true;
    }
}
