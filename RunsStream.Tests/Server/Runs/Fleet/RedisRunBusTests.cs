using System.Collections.Concurrent;
using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Execution;
using RunsStream.Server.Runs.Fleet;
using RunsStream.Tests.Support;
using StackExchange.Redis;

namespace RunsStream.Tests.Server.Runs.Fleet;

/// <summary>
/// Two nodes' buses, each with its own connection, on one real redis-server (restarted by the
/// outage tests): what one publishes, the other hears, in order, and an outage costs the
/// callers nothing and ends with <see cref="RedisRunBus.Resynced"/> and live delivery again.
/// </summary>
[NonParallelizable]
public sealed class RedisRunBusTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly DateTimeOffset T0 = DateTimeOffset.UnixEpoch.AddYears(56);

    private RedisServer _redis = null!;
    private readonly List<RedisRunBus> _buses = new();

    [SetUp]
    public async Task StartRedis() => _redis = await RedisServer.StartNewAsync();

    [TearDown]
    public async Task StopAll()
    {
        foreach (var bus in _buses)
        {
            await bus.DisposeAsync();
        }
        _buses.Clear();
        await _redis.DisposeAsync();
    }

    private async Task<RedisRunBus> BusAsync()
    {
        var bus = await RedisRunBus.ConnectAsync(_redis.Url);
        _buses.Add(bus);
        return bus;
    }

    private static RunEvent Line(string runId, long seq) => new(runId, seq, RunEventType.Stdout, $"line {seq} ✓\n", T0);

    /// <summary>What a subscription received, and a wait for a count of it.</summary>
    private sealed class Received
    {
        private readonly ConcurrentQueue<RunEvent> _events = new();

        public void Add(RunEvent e) => _events.Enqueue(e);

        public IReadOnlyList<long> Seqs => _events.Select(e => e.Seq).ToList();

        public Task WaitForAsync(int count, string what) =>
            Eventually.WaitUntilAsync(() => _events.Count >= count, $"{count} events {what} (have {_events.Count})", Timeout);
    }

    [Test]
    public async Task Events_published_on_one_node_arrive_on_another_in_order_each_run_on_its_own_channel()
    {
        var a = await BusAsync();
        var b = await BusAsync();
        var run1 = new Received();
        var run2 = new Received();
        await using var sub1 = b.SubscribeRun("run-1", run1.Add);
        await using var sub2 = b.SubscribeRun("run-2", run2.Add);
        await Task.WhenAll(sub1.Ready, sub2.Ready).WaitAsync(Timeout);

        await a.PublishRunEventsAsync([Line("run-1", 1), Line("run-2", 1), Line("run-1", 2)]);
        await a.PublishRunEventsAsync([Line("run-1", 3), RunEvent.ForStatus("run-1", 4, RunStatus.Succeeded, T0, exitCode: 0, stdoutBytes: 30, stderrBytes: 0)]);
        await a.PublishRunEventsAsync([Line("run-2", 2)]);

        await run1.WaitForAsync(4, "of run-1");
        await run2.WaitForAsync(2, "of run-2");
        Assert.That(run1.Seqs, Is.EqualTo(new long[] { 1, 2, 3, 4 }));
        Assert.That(run2.Seqs, Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(a.DroppedPublishes, Is.Zero);
    }

    [Test]
    public async Task Ten_thousand_events_arrive_in_order_published_one_by_one_and_in_batches()
    {
        var a = await BusAsync();
        var b = await BusAsync();
        var received = new Received();
        await using var sub = b.SubscribeRun("run-big", received.Add);
        await sub.Ready.WaitAsync(Timeout);

        for (var seq = 1; seq <= 5_000; seq++)
        {
            await a.PublishRunEventsAsync([Line("run-big", seq)]);
        }
        for (var seq = 5_001; seq <= 10_000; seq += 100)
        {
            await a.PublishRunEventsAsync(Enumerable.Range(seq, 100).Select(s => Line("run-big", s)).ToList());
        }

        await received.WaitForAsync(10_000, "of run-big");
        Assert.That(received.Seqs, Is.EqualTo(Enumerable.Range(1, 10_000).Select(s => (long)s)));
    }

    [Test]
    public async Task A_batch_with_more_output_than_one_message_holds_is_split_and_still_arrives_in_order()
    {
        var a = await BusAsync();
        var b = await BusAsync();
        var received = new Received();
        await using var sub = b.SubscribeRun("run-wide", received.Add);
        await sub.Ready.WaitAsync(Timeout);
        var big = new string('x', 300_000);

        await a.PublishRunEventsAsync(Enumerable.Range(1, 10).Select(s => new RunEvent("run-wide", s, RunEventType.Stdout, big, T0)).ToList());

        await received.WaitForAsync(10, "of run-wide");
        Assert.That(received.Seqs, Is.EqualTo(Enumerable.Range(1, 10).Select(s => (long)s)));
    }

    [Test]
    public async Task Cancel_requests_and_queued_runs_reach_every_node()
    {
        var a = await BusAsync();
        var b = await BusAsync();
        var cancel = new TaskCompletionSource<CancelRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        b.CancelRequested += request => cancel.TrySetResult(request);
        b.RunQueued += () => queued.TrySetResult();
        // The bus's own channels are subscribed when it is made; a run subscription's Ready
        // comes after them on the same connection.
        await using var probe = b.SubscribeRun("unused", _ => { });
        await probe.Ready.WaitAsync(Timeout);

        await a.PublishCancelAsync("run-7", "cancelled by user ✓", "node-a");
        await a.PublishQueuedAsync();

        Assert.That(await cancel.Task.WaitAsync(Timeout), Is.EqualTo(new CancelRequest("run-7", "cancelled by user ✓", "node-a")));
        await queued.Task.WaitAsync(Timeout);
    }

    [Test]
    public async Task A_redis_restart_mid_stream_costs_callers_nothing_and_ends_with_Resynced_and_live_delivery()
    {
        var a = await BusAsync();
        var b = await BusAsync();
        var received = new Received();
        await using var sub = b.SubscribeRun("run-r", received.Add);
        await sub.Ready.WaitAsync(Timeout);
        var resyncedA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resyncedB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        a.Resynced += () => resyncedA.TrySetResult();
        b.Resynced += () => resyncedB.TrySetResult();
        await a.PublishRunEventsAsync([Line("run-r", 1), Line("run-r", 2)]);
        await received.WaitForAsync(2, "before the restart");

        await _redis.StopAsync();
        await Eventually.WaitUntilAsync(() => !a.IsConnected && !b.IsConnected, "both buses to see Redis gone", Timeout);
        var publishing = Task.Run(async () =>
        {
            for (var seq = 3; seq <= 5; seq++)
            {
                await a.PublishRunEventsAsync([Line("run-r", seq)]);
            }
            await a.PublishCancelAsync("run-r", "r", "a");
            await a.PublishQueuedAsync();
        });
        await publishing.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(a.DroppedPublishes, Is.EqualTo(5), "dropped and counted, not thrown or held");
        Assert.That(resyncedA.Task.IsCompleted || resyncedB.Task.IsCompleted, Is.False);

        await _redis.StartAsync();
        await Task.WhenAll(resyncedA.Task, resyncedB.Task).WaitAsync(Timeout);
        Assert.That(a.IsConnected && b.IsConnected, Is.True);

        await a.PublishRunEventsAsync([Line("run-r", 6), Line("run-r", 7)]);
        await received.WaitForAsync(4, "after the restart");
        Assert.That(received.Seqs, Is.EqualTo(new long[] { 1, 2, 6, 7 }), "the outage's events are in the store, not on the bus");
    }

    [Test]
    public async Task A_node_started_while_redis_is_down_runs_and_connects_when_redis_comes()
    {
        await _redis.StopAsync();
        var a = await BusAsync().WaitAsync(Timeout);
        var b = await BusAsync().WaitAsync(Timeout);
        Assert.That(a.IsConnected, Is.False);
        var received = new Received();
        var sub = b.SubscribeRun("run-late", received.Add);
        await using (sub)
        {
            await a.PublishRunEventsAsync([Line("run-late", 1)]);
            Assert.That(a.DroppedPublishes, Is.EqualTo(1));

            await _redis.StartAsync();
            await sub.Ready.WaitAsync(Timeout);
            await Eventually.WaitUntilAsync(() => a.IsConnected, "the publishing node to connect", Timeout);
            await a.PublishRunEventsAsync([Line("run-late", 2)]);

            await received.WaitForAsync(1, "after Redis came");
            Assert.That(received.Seqs, Is.EqualTo(new long[] { 2 }));
        }
    }

    [Test]
    public async Task A_malformed_message_on_a_run_channel_is_ignored_and_later_events_arrive()
    {
        var a = await BusAsync();
        var b = await BusAsync();
        var received = new Received();
        await using var sub = b.SubscribeRun("run-m", received.Add);
        await sub.Ready.WaitAsync(Timeout);

        await a.Connection.GetSubscriber().PublishAsync(RedisRunBus.RunChannel("run-m"), "garbage"u8.ToArray());
        await a.Connection.GetSubscriber().PublishAsync(RedisChannel.Literal(RedisRunBus.CancelChannelName), "{"u8.ToArray());
        await a.PublishRunEventsAsync([Line("run-m", 1)]);

        await received.WaitForAsync(1, "after the garbage");
        Assert.That(received.Seqs, Is.EqualTo(new long[] { 1 }));
    }

    [Test]
    public async Task Garbage_on_the_cancel_and_resize_channels_is_skipped_and_later_requests_arrive()
    {
        var a = await BusAsync();
        var b = await BusAsync();
        var cancels = new ConcurrentQueue<CancelRequest>();
        var resizes = new ConcurrentQueue<ResizeRequest>();
        b.CancelRequested += cancels.Enqueue;
        b.ResizeRequested += resizes.Enqueue;
        await using var probe = b.SubscribeRun("unused", _ => { });
        await probe.Ready.WaitAsync(Timeout);

        var subscriber = a.Connection.GetSubscriber();
        await subscriber.PublishAsync(RedisChannel.Literal(RedisRunBus.CancelChannelName), "not a cancel"u8.ToArray());
        await subscriber.PublishAsync(RedisChannel.Literal(RedisRunBus.ResizeChannelName), new byte[] { 0xff, 0x01 });
        await a.PublishCancelAsync("run-9", "cancelled by user", "node-a");
        await a.PublishResizeAsync("run-9", new TerminalSize(120, 40));

        await Eventually.WaitUntilAsync(() => !cancels.IsEmpty && !resizes.IsEmpty, "the valid cancel and resize after the garbage", Timeout);
        Assert.That(cancels, Is.EqualTo(new[] { new CancelRequest("run-9", "cancelled by user", "node-a") }));
        Assert.That(resizes, Is.EqualTo(new[] { new ResizeRequest("run-9", new TerminalSize(120, 40)) }));
    }
}
