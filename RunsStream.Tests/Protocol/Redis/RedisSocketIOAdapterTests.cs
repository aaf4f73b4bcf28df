using RunsStream.Protocol.Redis;
using RunsStream.Protocol.SocketIO;
using RunsStream.Tests.Support;
using StackExchange.Redis;

namespace RunsStream.Tests.Protocol.Redis;

/// <summary>
/// Two in-process Socket.IO servers, each with its own connection to one real redis-server:
/// a broadcast on either reaches the sockets it selects on both, once each, and nothing else.
/// Each client's reading ends at a sentinel broadcast to the whole namespace by the server that
/// broadcast last: one publisher's messages arrive in publish order, so whatever that server
/// broadcast before reached the other first.
/// </summary>
[NonParallelizable]
public sealed class RedisSocketIOAdapterTests
{
    private RedisServer _redis = null!;
    private readonly List<ConnectionMultiplexer> _connections = new();
    private RawHost _a = null!;
    private RawHost _b = null!;
    private readonly TestClients _clients = new();

    [OneTimeSetUp]
    public async Task StartRedis() => _redis = await RedisServer.StartNewAsync();

    [OneTimeTearDown]
    public async Task StopRedis() => await _redis.DisposeAsync();

    [SetUp]
    public async Task StartServers()
    {
        _a = await StartHostAsync();
        _b = await StartHostAsync();
    }

    [TearDown]
    public async Task StopServers()
    {
        await _clients.DisposeAllAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
        _connections.Clear();
    }

    private async Task<RawHost> StartHostAsync(RedisServer? redisServer = null)
    {
        var redis = await ConnectionMultiplexer.ConnectAsync((redisServer ?? _redis).Configuration);
        _connections.Add(redis);
        return await RawHost.StartRelaxedAsync(options => options with { AdapterFactory = RedisSocketIOAdapter.Factory(redis) });
    }

    private async Task<(RawWebSocketClient Client, SocketIOSocket Socket)> ConnectAsync(RawHost host, string ns = "/")
    {
        var (client, id) = await RawSocketIOClient.OpenAndConnectAsync(host.Server, ns);
        _clients.Add(client);
        Assert.That(host.IO.Of(ns).TryGetSocket(id, out var socket), Is.True);
        return (client, socket);
    }

    /// <summary>Broadcasts a sentinel from <paramref name="from"/> to <paramref name="ns"/> and returns what each client read before it.</summary>
    private static async Task<List<string>[]> DrainAsync(RawHost from, string ns, params (RawWebSocketClient Client, SocketIOSocket Socket)[] members)
    {
        from.IO.Of(ns).Emit("sentinel");
        var sentinel = ns == "/" ? "42[\"sentinel\"]" : $"42{ns},[\"sentinel\"]";
        var received = new List<string>[members.Length];
        for (var i = 0; i < members.Length; i++)
        {
            received[i] = new List<string>();
            while (await members[i].Client.ReceiveTextAsync() is var packet && packet != sentinel)
            {
                received[i].Add(packet);
            }
        }
        return received;
    }

    private static string News(string text) => $"42[\"news\",\"{text}\"]";

    [Test]
    public async Task A_room_broadcast_from_one_server_reaches_the_rooms_sockets_on_both_servers_once_each()
    {
        var onA = await ConnectAsync(_a);
        var onB = await ConnectAsync(_b);
        var outsideA = await ConnectAsync(_a);
        var outsideB = await ConnectAsync(_b);
        onA.Socket.Join("room");
        onB.Socket.Join("room");

        Assert.That(_a.IO.Root.To("room").Emit("news", "from a"), Is.EqualTo(1), "A's own sockets that accepted it");
        var fromA = await DrainAsync(_a, "/", onA, onB, outsideA, outsideB);

        Assert.That(_b.IO.Root.To("room").Emit("news", "from b"), Is.EqualTo(1), "B's own sockets that accepted it");
        Assert.That(_b.IO.Root.To(onA.Socket.Id).Emit("news", "to a socket of A by its id"), Is.Zero, "not a socket of B");
        var fromB = await DrainAsync(_b, "/", onA, onB, outsideA, outsideB);

        Assert.That(fromA[0], Is.EqualTo(new[] { News("from a") }), "member on A");
        Assert.That(fromA[1], Is.EqualTo(new[] { News("from a") }), "member on B");
        Assert.That(fromB[0], Is.EqualTo(new[] { News("from b"), News("to a socket of A by its id") }), "member on A");
        Assert.That(fromB[1], Is.EqualTo(new[] { News("from b") }), "member on B");
        Assert.That(fromA[2].Concat(fromB[2]), Is.Empty, "not a member, on A");
        Assert.That(fromA[3].Concat(fromB[3]), Is.Empty, "not a member, on B");
    }

    [Test]
    public async Task Except_leaves_out_the_excluded_rooms_sockets_on_every_server()
    {
        var aOnly = await ConnectAsync(_a);
        var aAndBOnB = await ConnectAsync(_b);
        var aOnB = await ConnectAsync(_b);
        aOnly.Socket.Join("a");
        aAndBOnB.Socket.Join("a");
        aAndBOnB.Socket.Join("b");
        aOnB.Socket.Join("a");

        _a.IO.Root.To("a").Except("b").Emit("news", "a except b");
        _a.IO.Root.Except("a").Emit("news", "except a");
        _a.IO.Root.To("a").Except(aOnB.Socket.Id).Emit("news", "a except one socket of B");

        var received = await DrainAsync(_a, "/", aOnly, aAndBOnB, aOnB);
        Assert.That(received[0], Is.EqualTo(new[] { News("a except b"), News("a except one socket of B") }));
        Assert.That(received[1], Is.EqualTo(new[] { News("a except one socket of B") }));
        Assert.That(received[2], Is.EqualTo(new[] { News("a except b") }));
    }

    [Test]
    public async Task A_socket_that_left_the_room_or_disconnected_on_the_other_server_gets_nothing()
    {
        var stays = await ConnectAsync(_b);
        var leaves = await ConnectAsync(_b);
        var drops = await ConnectAsync(_b);
        foreach (var member in new[] { stays, leaves, drops })
        {
            member.Socket.Join("room");
        }
        var dropped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        drops.Socket.OnDisconnect(_ => dropped.TrySetResult());
        leaves.Socket.Leave("room");
        await drops.Client.DisposeAsync();
        await dropped.Task.WaitAsync(TimeSpan.FromSeconds(20));

        _a.IO.Root.To("room").Emit("news", "after leaving");

        var received = await DrainAsync(_a, "/", stays, leaves);
        Assert.That(received[0], Is.EqualTo(new[] { News("after leaving") }));
        Assert.That(received[1], Is.Empty);
    }

    [Test]
    public async Task A_broadcast_stays_in_its_namespace_on_the_other_server()
    {
        var root = await ConnectAsync(_b);
        var custom = await ConnectAsync(_b, "/custom");
        root.Socket.Join("room");
        custom.Socket.Join("room");

        _a.IO.Of("/custom").To("room").Emit("news", "custom");
        _a.IO.Root.To("room").Emit("news", "root");

        var rootReceived = await DrainAsync(_a, "/", root);
        var customReceived = await DrainAsync(_a, "/custom", custom);
        Assert.That(rootReceived[0], Is.EqualTo(new[] { News("root") }));
        Assert.That(customReceived[0], Is.EqualTo(new[] { "42/custom,[\"news\",\"custom\"]" }));
    }

    [Test]
    public async Task A_message_on_the_channel_that_is_not_a_broadcast_is_ignored_and_later_broadcasts_still_arrive()
    {
        var onB = await ConnectAsync(_b);
        onB.Socket.Join("room");
        var channel = RedisChannel.Literal(RedisSocketIOAdapter.ChannelName(RedisAdapterOptions.DefaultChannelPrefix, "/"));
        await _connections[0].GetSubscriber().PublishAsync(channel, "not a broadcast"u8.ToArray());
        await _connections[0].GetSubscriber().PublishAsync(channel, new byte[] { 1, 0, 0, 0, 200 });

        _a.IO.Root.To("room").Emit("news", "after garbage");

        var received = await DrainAsync(_a, "/", onB);
        Assert.That(received[0], Is.EqualTo(new[] { News("after garbage") }));
    }

    [Test]
    public async Task A_server_starts_while_redis_is_down_broadcasts_locally_and_reaches_the_other_server_once_redis_is_up()
    {
        await using var redis = await RedisServer.StartNewAsync();
        await redis.StopAsync();
        await using var a = await StartHostAsync(redis).WaitAsync(TimeSpan.FromSeconds(60));
        await using var b = await StartHostAsync(redis).WaitAsync(TimeSpan.FromSeconds(60));
        var onA = await ConnectAsync(a);
        var onB = await ConnectAsync(b);
        onA.Socket.Join("room");
        onB.Socket.Join("room");

        Assert.That(a.IO.Root.To("room").Emit("news", "while down"), Is.EqualTo(1));
        Assert.That(await onA.Client.ReceiveTextAsync(), Is.EqualTo(News("while down")));

        await redis.StartAsync();
        // Pub/sub keeps nothing for later: B hears A once both are subscribed again, so A
        // broadcasts until B hears one, then a last one that must come through in order.
        var heard = false;
        var receiving = onB.Client.ReceiveTextAsync();
        await Eventually.WaitUntilAsync(() =>
        {
            a.IO.Root.To("room").Emit("news", "probe");
            heard = receiving.Wait(TimeSpan.FromMilliseconds(200));
            return heard;
        }, "B to hear A's broadcasts through the restarted Redis", TimeSpan.FromSeconds(60));
        Assert.That(receiving.Result, Is.EqualTo(News("probe")));
        Assert.That(a.IO.Root.To("room").Emit("news", "after"), Is.EqualTo(1));
        var received = await DrainAsync(a, "/", onB);
        Assert.That(received[0][^1], Is.EqualTo(News("after")));
        Assert.That(received[0][..^1], Is.All.EqualTo(News("probe")), "probes, then the last once; never what was sent while down");
    }
}
