using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>
/// The fleet's fast paths over Redis pub/sub (docs/fleet.md): a run's committed events to the
/// nodes that mirror it, cancel requests to the node executing a run, and "a run was queued"
/// to wake idle nodes. One <see cref="IConnectionMultiplexer"/> per node, made with
/// AbortOnConnectFail off: a node starts and runs while Redis is down.
/// </summary>
/// <remarks>
/// Redis is never the only copy of anything: events are in PostgreSQL before they are
/// published, a cancel is in runs.cancel_reason, a queued run is its row. So while Redis is
/// unreachable a publish is dropped and counted (<see cref="DroppedPublishes"/>), not queued:
/// it never blocks or fails the caller, holds no memory for an outage of any length, and a
/// queue replayed after the outage would only repeat what the mirrors re-read from the store
/// on <see cref="Resynced"/> (and what their every-second check against the store fills).
/// Each channel's messages reach its handler one at a time in publish order
/// (<see cref="ChannelMessageQueue"/>).
/// </remarks>
internal sealed partial class RedisRunBus : IAsyncDisposable
{
    public const string RunChannelPrefix = "runsstream:run:";
    public const string CancelChannelName = "runsstream:cancel";
    public const string ResizeChannelName = "runsstream:resize";
    public const string QueueChannelName = "runsstream:queue";
    private const string ProbeChannelPrefix = "runsstream:probe:";

    /// <summary>Above this much output in one message, a run's batch is split (Redis handles big values poorly).</summary>
    internal const int MaxMessageDataBytes = 1 << 20;

    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(250);

    private readonly IConnectionMultiplexer _redis;
    private readonly bool _ownsConnection;
    private readonly ISubscriber _subscriber;
    private readonly ILogger _logger;
    private readonly RedisChannel _probeChannel;
    private readonly byte[] _probeMessage = Guid.NewGuid().ToByteArray();
    private readonly ChannelMessageQueue _cancelQueue;
    private readonly ChannelMessageQueue _resizeQueue;
    private readonly ChannelMessageQueue _queuedQueue;
    private readonly ChannelMessageQueue _probeQueue;
    private readonly CancellationTokenSource _disposed = new();
    // 1 from a connection failure until this node hears its own probe again.
    private int _lost;
    private int _probing;
    private long _droppedPublishes;

    /// <param name="redis">The node's connection (AbortOnConnectFail off).</param>
    /// <param name="ownsConnection">Whether disposing the bus disposes <paramref name="redis"/>.</param>
    public RedisRunBus(IConnectionMultiplexer redis, ILogger? logger = null, bool ownsConnection = false)
    {
        _redis = redis;
        _ownsConnection = ownsConnection;
        _logger = logger ?? NullLogger.Instance;
        _subscriber = redis.GetSubscriber();
        _probeChannel = RedisChannel.Literal(ProbeChannelPrefix + Guid.NewGuid().ToString("N"));
        // Fire and forget: the subscriptions are recorded at once and sent when there is a
        // connection (and again after each reconnect), so a node starts while Redis is down.
        _cancelQueue = Subscribe(RedisChannel.Literal(CancelChannelName), OnCancelMessage);
        _resizeQueue = Subscribe(RedisChannel.Literal(ResizeChannelName), OnResizeMessage);
        _queuedQueue = Subscribe(RedisChannel.Literal(QueueChannelName), _ => Raise(RunQueued, nameof(RunQueued)));
        _probeQueue = Subscribe(_probeChannel, OnProbe);
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
    }

    /// <summary>Connects to REDIS_URL <paramref name="redisUrl"/> without waiting for Redis to be up.</summary>
    public static async Task<RedisRunBus> ConnectAsync(string redisUrl, ILogger? logger = null)
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(RedisUrl.Parse(redisUrl));
        return new RedisRunBus(redis, logger, ownsConnection: true);
    }

    /// <summary>The node's Redis connection (for the Socket.IO adapter: one connection per node).</summary>
    public IConnectionMultiplexer Connection => _redis;

    /// <summary>Whether Redis is reachable now (for /healthz).</summary>
    public bool IsConnected => _redis.IsConnected;

    /// <summary>Publishes dropped because Redis was unreachable (their data is in the store).</summary>
    public long DroppedPublishes => Interlocked.Read(ref _droppedPublishes);

    /// <summary>A cancel request for a run, from any node (the owner acts on those of its runs).</summary>
    public event Action<CancelRequest>? CancelRequested;

    /// <summary>A tty run's terminal was resized on some node (the executing node applies it).</summary>
    public event Action<ResizeRequest>? ResizeRequested;

    /// <summary>Some node queued a run: an idle node claims now rather than at its next poll.</summary>
    public event Action? RunQueued;

    /// <summary>
    /// The connection came back after a loss and live delivery works again (this node heard its
    /// own probe through its restored subscriptions): every mirror re-reads from the store what
    /// it missed meanwhile.
    /// </summary>
    public event Action? Resynced;

    /// <summary>
    /// Publishes committed events, each run's on its channel in order, several of one run in
    /// one message. Never throws or waits on Redis (see the remarks on the class).
    /// </summary>
    public Task PublishRunEventsAsync(IReadOnlyList<RunEvent> events)
    {
        if (events.Count == 0)
        {
            return Task.CompletedTask;
        }
        var start = 0;
        var dataBytes = 0L;
        for (var i = 0; i < events.Count; i++)
        {
            if (i > start && (events[i].RunId != events[start].RunId || dataBytes + events[i].DataBytes > MaxMessageDataBytes))
            {
                PublishBatch(events, start, i);
                start = i;
                dataBytes = 0;
            }
            dataBytes += events[i].DataBytes;
        }
        PublishBatch(events, start, events.Count);
        return Task.CompletedTask;
    }

    /// <summary>Asks the run's owner to cancel it (it also sees runs.cancel_reason at its next renewal).</summary>
    public Task PublishCancelAsync(string runId, string reason, string by)
    {
        Publish(RedisChannel.Literal(CancelChannelName), FleetEventCodec.EncodeCancel(new CancelRequest(runId, reason, by)));
        return Task.CompletedTask;
    }

    /// <summary>Sends a tty run's new terminal size to the node that executes it.</summary>
    public Task PublishResizeAsync(string runId, Execution.TerminalSize size)
    {
        Publish(RedisChannel.Literal(ResizeChannelName), FleetEventCodec.EncodeResize(new ResizeRequest(runId, size)));
        return Task.CompletedTask;
    }

    /// <summary>Tells idle nodes a run was queued (they also poll the queue every second).</summary>
    public Task PublishQueuedAsync()
    {
        Publish(RedisChannel.Literal(QueueChannelName), Array.Empty<byte>());
        return Task.CompletedTask;
    }

    public static RedisChannel RunChannel(string runId) => RedisChannel.Literal(RunChannelPrefix + runId);

    private void PublishBatch(IReadOnlyList<RunEvent> events, int start, int end)
    {
        var batch = new RunEvent[end - start];
        for (var i = start; i < end; i++)
        {
            batch[i - start] = events[i];
        }
        Publish(RunChannel(batch[0].RunId), FleetEventCodec.EncodeEvents(batch));
    }

    private void Publish(RedisChannel channel, byte[] message)
    {
        if (!_redis.IsConnected)
        {
            Interlocked.Increment(ref _droppedPublishes);
            return;
        }
        try
        {
            // Fire and forget keeps the order of one connection and never waits for an answer.
            _subscriber.Publish(channel, message, CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            Interlocked.Increment(ref _droppedPublishes);
            Log.PublishFailed(_logger, channel.ToString(), e);
        }
    }

    private ChannelMessageQueue Subscribe(RedisChannel channel, Action<ChannelMessage> handler)
    {
        var queue = _subscriber.Subscribe(channel, CommandFlags.FireAndForget);
        queue.OnMessage(message =>
        {
            try
            {
                handler(message);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // One bad message or handler must not stop the channel's later messages.
                Log.HandlerFailed(_logger, channel.ToString(), e);
            }
        });
        return queue;
    }

    private void OnResizeMessage(ChannelMessage message)
    {
        if (TryDecode(message, ResizeChannelName, FleetEventCodec.DecodeResize, out var request))
        {
            ResizeRequested?.Invoke(request);
        }
    }

    private void OnCancelMessage(ChannelMessage message)
    {
        if (TryDecode(message, CancelChannelName, FleetEventCodec.DecodeCancel, out var request))
        {
            CancelRequested?.Invoke(request);
        }
    }

    private delegate T Decoder<T>(ReadOnlySpan<byte> message);

    /// <summary>Decodes a request; one that is not (another version's, or garbage) is logged and skipped.</summary>
    private bool TryDecode<T>(ChannelMessage message, string channelName, Decoder<T> decode, out T request)
    {
        try
        {
            request = decode(((ReadOnlyMemory<byte>)message.Message).Span);
            return true;
        }
        catch (FormatException e)
        {
            Log.MalformedMessage(_logger, channelName, e);
            request = default!;
            return false;
        }
    }

    private void Raise(Action? handlers, string name)
    {
        try
        {
            handlers?.Invoke();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.HandlerFailed(_logger, name, e);
        }
    }
}
