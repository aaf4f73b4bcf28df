using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.SocketIO;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.SocketIO.Rooms;

/// <summary>
/// Broadcasts through rooms, driven in process on the server while raw clients read the wire:
/// each broadcast reaches exactly its targets, once, and is encoded once for all of them.
/// </summary>
[TestFixture(false)]
[TestFixture(true)]
[NonParallelizable]
public sealed class BroadcastOperatorTests(bool webSocketsBeforeHttp)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private RawHost _host = null!;
    private readonly TestClients _clients = new();

    [SetUp]
    public async Task StartServer() => _host = await RawHost.StartRelaxedAsync(webSocketsBeforeHttp: webSocketsBeforeHttp);

    [TearDown]
    public async Task StopServer()
    {
        await _clients.DisposeAllAsync();
        await _host.DisposeAsync();
    }

    private SocketIONamespace Root => _host.IO.Root;

    private async Task<(RawWebSocketClient Client, SocketIOSocket Socket)> ConnectAsync(string ns = "/")
    {
        var (client, id) = await RawSocketIOClient.OpenAndConnectAsync(_host.Server, ns);
        _clients.Add(client);
        Assert.That(_host.IO.Of(ns).TryGetSocket(id, out var socket), Is.True);
        return (client, socket);
    }

    /// <summary>Sends a sentinel to each socket directly and returns what each client read before it.</summary>
    private static async Task<List<string>[]> DrainAsync(params (RawWebSocketClient Client, SocketIOSocket Socket)[] members)
    {
        foreach (var (_, socket) in members)
        {
            Assert.That(socket.Emit("sentinel"), Is.True);
        }
        var received = new List<string>[members.Length];
        for (var i = 0; i < members.Length; i++)
        {
            received[i] = new List<string>();
            var sentinel = members[i].Socket.Namespace.Name == "/" ? "42[\"sentinel\"]" : $"42{members[i].Socket.Namespace.Name},[\"sentinel\"]";
            while (await members[i].Client.ReceiveTextAsync() is var packet && packet != sentinel)
            {
                received[i].Add(packet);
            }
        }
        return received;
    }

    [Test]
    public async Task Each_broadcast_reaches_exactly_the_sockets_its_rooms_select()
    {
        var a = await ConnectAsync();
        var ab = await ConnectAsync();
        var b = await ConnectAsync();
        var none = await ConnectAsync();
        a.Socket.Join("a");
        ab.Socket.Join("a");
        ab.Socket.Join("b");
        b.Socket.Join("b");

        Assert.That(Root.To("a").Emit("news", "to a"), Is.EqualTo(2));
        Assert.That(Root.To("a").To("b").Emit("news", "to a or b"), Is.EqualTo(3));
        Assert.That(Root.To("a").Except("b").Emit("news", "to a except b"), Is.EqualTo(1));
        Assert.That(Root.Except("a").Emit("news", "except a"), Is.EqualTo(2));
        Assert.That(Root.Emit("news", "all"), Is.EqualTo(4));
        Assert.That(Root.To("nobody").Emit("news", "nobody"), Is.Zero);
        Assert.That(Root.To(none.Socket.Id).Emit("news", "by socket id"), Is.EqualTo(1));

        var received = await DrainAsync(a, ab, b, none);

        static string News(string text) => $"42[\"news\",\"{text}\"]";
        Assert.That(received[0], Is.EqualTo(new[] { News("to a"), News("to a or b"), News("to a except b"), News("all") }), "member of a");
        Assert.That(received[1], Is.EqualTo(new[] { News("to a"), News("to a or b"), News("all") }), "member of a and b");
        Assert.That(received[2], Is.EqualTo(new[] { News("to a or b"), News("except a"), News("all") }), "member of b");
        Assert.That(received[3], Is.EqualTo(new[] { News("except a"), News("all"), News("by socket id") }), "member of no room");
    }

    [Test]
    public async Task A_socket_that_left_a_room_or_disconnected_no_longer_receives_its_broadcasts()
    {
        var stays = await ConnectAsync();
        var leaves = await ConnectAsync();
        var drops = await ConnectAsync();
        foreach (var member in new[] { stays, leaves, drops })
        {
            member.Socket.Join("room");
        }
        var dropped = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        drops.Socket.OnDisconnect(reason => dropped.TrySetResult(reason));

        leaves.Socket.Leave("room");
        await drops.Client.DisposeAsync();
        await dropped.Task.WaitAsync(Timeout);

        Assert.That(Root.Adapter.CountMembers("room"), Is.EqualTo(1));
        Assert.That(Root.To("room").Emit("news", 1), Is.EqualTo(1));
        var received = await DrainAsync(stays, leaves);
        Assert.That(received[0], Is.EqualTo(new[] { "42[\"news\",1]" }));
        Assert.That(received[1], Is.Empty);
        Assert.That(Root.Adapter.RoomsOf(leaves.Socket), Is.EquivalentTo(new[] { leaves.Socket.Id }));
    }

    [Test]
    public async Task A_socket_that_leaves_its_own_room_gets_nothing_sent_to_its_id_until_it_joins_it_again()
    {
        var owner = await ConnectAsync();
        var other = await ConnectAsync();
        owner.Socket.Join("x");
        Assert.That(Root.Adapter.RoomsOf(owner.Socket), Is.EquivalentTo(new[] { owner.Socket.Id, "x" }));

        owner.Socket.Leave(owner.Socket.Id);
        Assert.That(Root.Adapter.RoomsOf(owner.Socket), Is.EqualTo(new[] { "x" }));
        Assert.That(Root.Adapter.CountMembers(owner.Socket.Id), Is.Zero);
        Assert.That(Root.To(owner.Socket.Id).Emit("news", "left"), Is.Zero);
        Assert.That(Root.Except(owner.Socket.Id).Emit("news", "all but the left room"), Is.EqualTo(2), "no one is in it");

        owner.Socket.Join(owner.Socket.Id);
        Assert.That(Root.To(owner.Socket.Id).Emit("news", "back"), Is.EqualTo(1));
        Assert.That(Root.Except(owner.Socket.Id).Emit("news", "all but the owner"), Is.EqualTo(1));

        var received = await DrainAsync(owner, other);
        static string News(string text) => $"42[\"news\",\"{text}\"]";
        Assert.That(received[0], Is.EqualTo(new[] { News("all but the left room"), News("back") }));
        Assert.That(received[1], Is.EqualTo(new[] { News("all but the left room"), News("all but the owner") }));
    }

    [Test]
    public async Task A_room_named_after_a_socket_id_reaches_its_owner_and_those_who_joined_it_once_each()
    {
        var owner = await ConnectAsync();
        var guest = await ConnectAsync();
        var outsider = await ConnectAsync();
        guest.Socket.Join(owner.Socket.Id);

        Assert.That(Root.Adapter.CountMembers(owner.Socket.Id), Is.EqualTo(2));
        Assert.That(Root.To(owner.Socket.Id).Emit("news", "one"), Is.EqualTo(2));
        Assert.That(Root.To(owner.Socket.Id).To(guest.Socket.Id).Emit("news", "two"), Is.EqualTo(2), "each once");
        Assert.That(Root.To(outsider.Socket.Id).Except(owner.Socket.Id).Emit("news", "three"), Is.EqualTo(1));

        var received = await DrainAsync(owner, guest, outsider);
        static string News(string text) => $"42[\"news\",\"{text}\"]";
        Assert.That(received[0], Is.EqualTo(new[] { News("one"), News("two") }));
        Assert.That(received[1], Is.EqualTo(new[] { News("one"), News("two") }));
        Assert.That(received[2], Is.EqualTo(new[] { News("three") }));
    }

    [Test]
    public async Task A_broadcast_stays_in_its_namespace()
    {
        var root = await ConnectAsync("/");
        var custom = await ConnectAsync("/custom");
        root.Socket.Join("shared");
        custom.Socket.Join("shared");

        Assert.That(_host.IO.Of("/custom").To("shared").Emit("news", "custom only"), Is.EqualTo(1));

        var received = await DrainAsync(root, custom);
        Assert.That(received[0], Is.Empty);
        Assert.That(received[1], Is.EqualTo(new[] { "42/custom,[\"news\",\"custom only\"]" }));
    }

    [Test]
    public async Task A_broadcast_with_binary_reaches_every_target_with_its_attachment()
    {
        var first = await ConnectAsync();
        var second = await ConnectAsync();

        Assert.That(Root.Emit("file", new byte[] { 1, 2, 3 }), Is.EqualTo(2));

        foreach (var (client, _) in new[] { first, second })
        {
            Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("451-[\"file\",{\"_placeholder\":true,\"num\":0}]"));
            Assert.That(await client.ReceiveBinaryAsync(), Is.EqualTo(new byte[] { 1, 2, 3 }));
        }
    }

    [Test]
    public async Task A_broadcast_hands_the_same_encoded_frames_to_every_connection()
    {
        // Polling clients that do not poll: what the broadcast queued stays in each session's
        // outbound queue, where the test can compare the frame objects themselves.
        var sids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var client = await RawEngineClient.OpenAsync(_host.BaseUri, "/socket.io/");
            _clients.Add(client);
            await client.PostAsync("40");
            var connected = await client.ReceiveAsync(2);
            Assert.That(connected[1], Is.EqualTo("42[\"auth\",{}]"));
            sids.Add(client.Sid);
        }
        var sessions = sids.Select(sid =>
        {
            Assert.That(_host.IO.Engine.TryGetSession(sid, out var session), Is.True);
            return session;
        }).ToList();

        Assert.That(Root.Emit("news", "once", new byte[] { 7 }), Is.EqualTo(5));
        var packet = SocketIOEncodedPacket.Event("/", "prebuilt", ["x"]);
        Assert.That(Root.To("nobody").Send(packet), Is.Zero);
        Assert.That(new RunsStream.Protocol.SocketIO.Rooms.BroadcastOperator(Root).Send(packet), Is.EqualTo(5));

        var queued = sessions.Select(session =>
        {
            var frames = new List<EngineFrame>();
            session.Queue.Drain(frames);
            return frames;
        }).ToList();
        foreach (var frames in queued)
        {
            Assert.That(frames, Has.Count.EqualTo(3), "text packet, its attachment, then the prebuilt packet");
            for (var i = 0; i < 3; i++)
            {
                Assert.That(frames[i], Is.SameAs(queued[0][i]), $"frame {i} is the very same object for every connection");
            }
            Assert.That(frames[2], Is.SameAs(packet.Frames[0]));
        }
    }
}
