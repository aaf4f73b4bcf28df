using StackExchange.Redis;

namespace RunsStream.Server.Runs.Fleet;

internal sealed partial class RedisRunBus
{
    /// <summary>
    /// Delivers the events published for <paramref name="runId"/> to <paramref name="onEvent"/>,
    /// one at a time in publish order, until the handle is disposed. Returns at once, Redis up
    /// or not; <see cref="RunChannelSubscription.Ready"/> completes once Redis has the
    /// subscription (after a reconnect it is restored with the others).
    /// </summary>
    public RunChannelSubscription SubscribeRun(string runId, Action<RunEvent> onEvent)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(onEvent);
        var channel = RunChannel(runId);
        var queue = Subscribe(channel, message =>
        {
            IReadOnlyList<RunEvent> events;
            try
            {
                events = FleetEventCodec.DecodeEvents(((ReadOnlyMemory<byte>)message.Message).Span);
            }
            catch (FormatException e)
            {
                Log.MalformedMessage(_logger, channel.ToString(), e);
                return;
            }
            foreach (var e in events)
            {
                if (e.RunId == runId)
                {
                    onEvent(e);
                }
            }
        });
        return new RunChannelSubscription(queue, ReadyAsync());
    }

    /// <summary>
    /// Completes once the subscriptions sent so far are in effect: a PING on the subscriber is
    /// answered after every command sent before it on that connection. While Redis is down it
    /// waits for the connection to come back.
    /// </summary>
    private async Task ReadyAsync()
    {
        while (!_disposed.IsCancellationRequested)
        {
            if (_redis.IsConnected)
            {
                try
                {
                    await _subscriber.PingAsync();
                    return;
                }
                catch (RedisException)
                {
                    // Lost meanwhile: wait for it to come back.
                }
            }
            try
            {
                await Task.Delay(ProbeInterval, _disposed.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>One run's channel subscription; disposing it unsubscribes.</summary>
internal sealed class RunChannelSubscription : IAsyncDisposable
{
    private readonly ChannelMessageQueue _queue;
    private int _disposed;

    internal RunChannelSubscription(ChannelMessageQueue queue, Task ready)
    {
        _queue = queue;
        Ready = ready;
    }

    /// <summary>Completes once Redis has the subscription: events published after it are delivered.</summary>
    public Task Ready { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            await _queue.UnsubscribeAsync(CommandFlags.FireAndForget);
        }
        catch (RedisException)
        {
            // Redis is down: the subscription went with the connection, and is not restored
            // because the queue is no longer registered.
        }
    }
}
