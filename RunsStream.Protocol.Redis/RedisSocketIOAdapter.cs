using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Protocol.SocketIO;
using RunsStream.Protocol.SocketIO.Rooms;
using StackExchange.Redis;

namespace RunsStream.Protocol.Redis;

/// <summary>
/// A namespace's rooms shared by every server on one Redis: membership stays local (as in
/// <see cref="InMemoryAdapter"/>), a broadcast is delivered here at once and published once,
/// encoded, on the namespace's channel; every other server delivers it to its own sockets.
/// Install with <see cref="Factory"/> on <see cref="SocketIOOptions.AdapterFactory"/>.
/// </summary>
/// <remarks>
/// As the reference's redis adapter: the packet is encoded once on the sending server and its
/// bytes travel, with the rooms, the except set and the sender's id (a server ignores its own
/// echo). Pub/sub is at most once: while Redis is unreachable other servers miss broadcasts
/// (the local sockets still get them). Messages of one channel arrive in publish order
/// (StackExchange.Redis' <see cref="ChannelMessageQueue"/>).
/// </remarks>
public sealed partial class RedisSocketIOAdapter : InMemoryAdapter
{
    private readonly ISubscriber _subscriber;
    private readonly RedisChannel _channel;
    private readonly string _serverId;
    private readonly ILogger _logger;
    private readonly ChannelMessageQueue _queue;

    /// <summary>An adapter for <paramref name="ns"/> over <paramref name="redis"/>; subscribes to the namespace's channel.</summary>
    public RedisSocketIOAdapter(SocketIONamespace ns, IConnectionMultiplexer redis, RedisAdapterOptions? options = null, ILogger? logger = null)
        : base(ns)
    {
        ArgumentNullException.ThrowIfNull(redis);
        options ??= new RedisAdapterOptions();
        _serverId = options.ServerId;
        _logger = logger ?? NullLogger.Instance;
        _subscriber = redis.GetSubscriber();
        _channel = RedisChannel.Literal(ChannelName(options.ChannelPrefix, ns.Name));
        // Fire and forget: recorded at once and sent when there is a connection (again after
        // each reconnect), so a server starts while Redis is down and its namespaces work locally.
        _queue = _subscriber.Subscribe(_channel, CommandFlags.FireAndForget);
        _queue.OnMessage(OnMessage);
    }

    /// <summary>
    /// An <see cref="SocketIOOptions.AdapterFactory"/> making one adapter per namespace over
    /// <paramref name="redis"/>, all with the same server id (that of <paramref name="options"/>).
    /// </summary>
    public static Func<SocketIONamespace, SocketIOAdapter> Factory(IConnectionMultiplexer redis, RedisAdapterOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        options ??= new RedisAdapterOptions();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<RedisSocketIOAdapter>();
        return ns => new RedisSocketIOAdapter(ns, redis, options, logger);
    }

    /// <summary>The channel of namespace <paramref name="ns"/>: <c>{prefix}#{ns}#</c>.</summary>
    public static string ChannelName(string prefix, string ns) => prefix + "#" + ns + "#";

    /// <inheritdoc/>
    public override int Broadcast(SocketIOEncodedPacket packet, IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except)
    {
        var delivered = DeliverLocally(packet, rooms, except);
        if (!_subscriber.IsConnected(_channel))
        {
            // Redis is unreachable: the other servers miss this one. It is not queued for a
            // later connection either, where it would arrive late, after newer local traffic.
            return delivered;
        }
        try
        {
            // Fire and forget: a broadcast never waits on Redis, and never fails the caller
            // because it is down (the other servers then miss it; pub/sub keeps nothing).
            _subscriber.Publish(_channel, RedisBroadcastMessage.Encode(_serverId, rooms, except, packet), CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            Log.PublishFailed(_logger, Namespace.Name, e);
        }
        return delivered;
    }

    private void OnMessage(ChannelMessage message)
    {
        RedisBroadcastMessage broadcast;
        try
        {
            broadcast = RedisBroadcastMessage.Decode(((ReadOnlyMemory<byte>)message.Message).Span);
        }
        catch (FormatException e)
        {
            Log.MalformedMessage(_logger, Namespace.Name, e);
            return;
        }
        if (broadcast.ServerId == _serverId)
        {
            return;
        }
        try
        {
            DeliverLocally(broadcast.Packet, broadcast.Rooms, broadcast.Except);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The channel's later broadcasts must still be delivered.
            Log.DeliveryFailed(_logger, Namespace.Name, e);
        }
    }

    /// <summary>Unsubscribes from the namespace's channel.</summary>
    public override void Dispose()
    {
        try
        {
            _queue.Unsubscribe(CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            Log.PublishFailed(_logger, Namespace.Name, e);
        }
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Redis adapter of namespace {Namespace}: a broadcast could not be published to the other servers")]
        public static partial void PublishFailed(ILogger logger, string @namespace, Exception exception);

        [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "Redis adapter of namespace {Namespace}: a message on its channel is not a broadcast and was ignored")]
        public static partial void MalformedMessage(ILogger logger, string @namespace, Exception exception);

        [LoggerMessage(EventId = 5203, Level = LogLevel.Error, Message = "Redis adapter of namespace {Namespace}: delivering another server's broadcast failed")]
        public static partial void DeliveryFailed(ILogger logger, string @namespace, Exception exception);
    }
}
