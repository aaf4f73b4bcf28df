using RunsStream.Protocol.SocketIO;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>
/// The slow-consumer policy (EngineIOOptions.MaxBufferedBytes): a client that stops reading is
/// disconnected once its outbound buffer is full, while a client that keeps reading on the same
/// server gets every message, in order.
/// </summary>
[TestFixture(false)]
[TestFixture(true)]
[NonParallelizable]
public sealed class EngineSessionSlowConsumerTests(bool webSocketsBeforeHttp)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private const int Limit = 64 * 1024;

    private RawHost _host = null!;
    private readonly List<IAsyncDisposable> _clients = new();

    [SetUp]
    public async Task StartServer() => _host = await RawHost.StartRelaxedAsync(options => options with
    {
        Engine = options.Engine with { MaxBufferedBytes = Limit, MaxPayload = Limit },
    }, webSocketsBeforeHttp: webSocketsBeforeHttp);

    [TearDown]
    public async Task StopServer()
    {
        // Clients first: a server write blocked on a client that never reads ends with it.
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
        _clients.Clear();
        await _host.DisposeAsync();
    }

    [Test]
    public async Task A_client_that_stops_reading_is_disconnected_while_a_reading_client_receives_everything()
    {
        var slow = await RawTcpWebSocket.ConnectAsync(_host.BaseUri, "/socket.io/?EIO=4&transport=websocket", receiveBufferSize: 4096);
        _clients.Add(slow);
        Assert.That(await slow.ReadTextAsync(), Does.StartWith("0{"));
        await slow.SendTextAsync("40");
        var slowAnswer = await slow.ReadTextAsync();
        Assert.That(slowAnswer, Does.StartWith("40{\"sid\":\""));
        Assert.That(await slow.ReadTextAsync(), Is.EqualTo("42[\"auth\",{}]"));
        Assert.That(_host.IO.Root.TryGetSocket(slowAnswer[10..^2], out var slowSocket), Is.True);
        var slowReason = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        slowSocket.OnDisconnect(reason => slowReason.TrySetResult(reason));

        var (fast, fastId) = await RawSocketIOClient.OpenAndConnectAsync(_host.Server);
        _clients.Add(fast);
        Assert.That(_host.IO.Root.TryGetSocket(fastId, out var fastSocket), Is.True);
        Assert.That(_host.IO.Engine.SessionCount, Is.EqualTo(2));

        var fastReceived = new List<string>();
        var reader = Task.Run(async () =>
        {
            while (await fast.ReceiveTextAsync() is var packet && packet != "42[\"done\"]")
            {
                fastReceived.Add(packet);
            }
        });

        var payload = new string('x', 8 * 1024);
        var sent = await ProduceUntilDroppedAsync(fastSocket, slowReason.Task, payload);
        Assert.That(fastSocket.Emit("done"), Is.True);
        await reader.WaitAsync(Timeout);

        Assert.That(await slowReason.Task.WaitAsync(Timeout), Does.Contain("slow consumer"));
        Assert.That(slowSocket.Connected, Is.False);
        await RawEventually.WaitUntilAsync(() => _host.IO.Engine.SessionCount == 1, "only the reading client's session is left", Timeout);
        Assert.That(fastSocket.Connected, Is.True);
        Assert.That(fastReceived, Has.Count.EqualTo(sent));
        for (var i = 0; i < sent; i++)
        {
            if (fastReceived[i] != $"42[\"data\",{i},\"{payload}\"]")
            {
                Assert.Fail($"message {i} of {sent} is wrong: {fastReceived[i][..Math.Min(40, fastReceived[i].Length)]}");
            }
        }
    }

    [Test]
    public async Task A_dropped_slow_consumer_gets_a_close_frame_once_it_reads_again()
    {
        var slow = await RawTcpWebSocket.ConnectAsync(_host.BaseUri, "/socket.io/?EIO=4&transport=websocket", receiveBufferSize: 4096);
        _clients.Add(slow);
        Assert.That(await slow.ReadTextAsync(), Does.StartWith("0{"));
        await slow.SendTextAsync("40");
        var answer = await slow.ReadTextAsync();
        Assert.That(await slow.ReadTextAsync(), Is.EqualTo("42[\"auth\",{}]"));
        Assert.That(_host.IO.Root.TryGetSocket(answer[10..^2], out var socket), Is.True);
        var reason = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.OnDisconnect(r => reason.TrySetResult(r));

        await ProduceUntilDroppedAsync(null, reason.Task, new string('y', 8 * 1024));

        Assert.That(await reason.Task.WaitAsync(Timeout), Does.Contain("slow consumer"));
        Assert.That(await slow.ReadUntilCloseAsync(), Is.Not.Null, "the server ends the WebSocket with a close frame");
    }

    /// <summary>
    /// Broadcasts 8 KiB events to the main namespace, paced to the reading client (never more
    /// than half the limit buffered for it), until the slow client is dropped and 50 more were
    /// sent. Returns how many events were broadcast.
    /// </summary>
    private async Task<int> ProduceUntilDroppedAsync(SocketIOSocket? reading, Task dropped, string payload)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        var sent = 0;
        var afterDrop = 0;
        while (afterDrop < 50)
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The slow client was not dropped after {sent} events of {payload.Length} bytes.");
            }
            while (reading is not null && reading.BufferedBytes > Limit / 2)
            {
                if (DateTime.UtcNow > deadline)
                {
                    Assert.Fail("The reading client fell behind.");
                }
                await Task.Delay(1);
            }
            _host.IO.Root.Emit("data", sent, payload);
            sent++;
            if (dropped.IsCompleted)
            {
                afterDrop++;
            }
            else if (sent % 64 == 0)
            {
                await Task.Yield();
            }
        }
        return sent;
    }

    [Test]
    public async Task A_polling_client_that_stops_polling_is_disconnected_when_its_buffer_is_full()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, "/socket.io/");
        await client.PostAsync("40");
        var connected = await client.ReceiveAsync(2);
        Assert.That(_host.IO.Root.TryGetSocket(connected[0][10..^2], out var socket), Is.True);
        var reason = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.OnDisconnect(r => reason.TrySetResult(r));

        var accepted = 0;
        for (var i = 0; i < 100 && socket.Emit("data", new string('z', 8 * 1024)); i++)
        {
            accepted++;
        }

        Assert.That(accepted, Is.InRange(1, (Limit / (8 * 1024)) + 1));
        Assert.That(await reason.Task.WaitAsync(Timeout), Does.Contain("slow consumer"));
        await RawEventually.WaitUntilAsync(() => client.IsSessionGoneAsync(), "the session is refused as unknown", Timeout);
    }
}
