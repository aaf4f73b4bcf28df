using System.Net.WebSockets;
using System.Text;
using RunsStream.Protocol.EngineIO;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>
/// The upgrade from long-polling to WebSocket (engine.io-protocol v4, "Upgrade"): the probe
/// sequence, what happens to the old transport and to extra WebSockets, and above all that no
/// packet is lost, duplicated or reordered while the transports are swapped.
/// </summary>
[TestFixture(false)]
[TestFixture(true)]
[NonParallelizable]
public sealed class EngineSessionUpgradeTests(bool webSocketsBeforeHttp)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private RawHost? _host;
    private readonly TestClients _clients = new();

    [TearDown]
    public async Task DisposeAll()
    {
        await _clients.DisposeAllAsync();
        if (_host is not null)
        {
            await _host.DisposeAsync();
            _host = null;
        }
    }

    private async Task<RawEngineClient> OpenPollingAsync() => _clients.Add(await RawEngineClient.OpenAsync(_host!.BaseUri));

    private async Task<RawWebSocketClient> OpenProbeAsync(string sid)
    {
        return _clients.Add(await RawWebSocketClient.ConnectAsync(new Uri($"{_host!.Server.WebSocketUrl}/engine.io/?EIO=4&transport=websocket&sid={Uri.EscapeDataString(sid)}")));
    }

    /// <summary>Polls (answering pings) until a NOOP arrives; returns the other packets that came first.</summary>
    private static async Task<List<string>> PollUntilNoopAsync(RawEngineClient client, Task<List<string>>? pending = null)
    {
        var before = new List<string>();
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            var packets = pending is not null ? await pending.WaitAsync(Timeout) : await client.PollAsync();
            pending = null;
            var noop = packets.IndexOf("6");
            if (noop >= 0)
            {
                before.AddRange(packets.Take(noop));
                return before;
            }
            before.AddRange(packets);
        }
        throw new TimeoutException("No NOOP arrived.");
    }

    [Test]
    public async Task The_probe_sequence_upgrades_the_session_and_releases_the_pending_poll_with_noop()
    {
        _host = await RawHost.StartComplianceAsync();
        var polling = await OpenPollingAsync();
        var held = _host.Tap.ExpectPoll(polling.Sid);
        var pendingPoll = polling.PollAsync();
        await held.WaitAsync(Timeout);
        var probe = await OpenProbeAsync(polling.Sid);

        await probe.SendTextAsync("2probe");

        Assert.That(await probe.ReceiveTextAsync(), Is.EqualTo("3probe"));
        Assert.That(await PollUntilNoopAsync(polling, pendingPoll), Is.Empty);

        await probe.SendTextAsync("5");
        await probe.SendTextAsync("4hello");
        Assert.That(await probe.ReceiveTextAsync(), Is.EqualTo("4hello"));
    }

    [Test]
    public async Task After_the_upgrade_a_poll_with_the_same_sid_is_refused_with_code_3()
    {
        _host = await RawHost.StartComplianceAsync();
        var polling = await OpenPollingAsync();
        var probe = await OpenProbeAsync(polling.Sid);
        await probe.SendTextAsync("2probe");
        Assert.That(await probe.ReceiveTextAsync(), Is.EqualTo("3probe"));
        await PollUntilNoopAsync(polling);
        await probe.SendTextAsync("5");
        await probe.SendTextAsync("4ready");
        Assert.That(await probe.ReceiveTextAsync(), Is.EqualTo("4ready"));

        using var poll = await polling.GetAsync();
        using var post = await polling.PostRawAsync("4late");

        Assert.That(((int)poll.StatusCode, await poll.Content.ReadAsStringAsync().WaitAsync(Timeout)), Is.EqualTo((400, "{\"code\":3,\"message\":\"Bad request\"}")));
        Assert.That(((int)post.StatusCode, await post.Content.ReadAsStringAsync().WaitAsync(Timeout)), Is.EqualTo((400, "{\"code\":3,\"message\":\"Bad request\"}")));
        await probe.SendTextAsync("4still-open");
        Assert.That(await probe.ReceiveTextAsync(), Is.EqualTo("4still-open"));
    }

    [Test]
    public async Task After_the_upgrade_a_second_websocket_with_the_same_sid_is_closed_and_the_first_keeps_working()
    {
        _host = await RawHost.StartRelaxedAsync(webSocketsBeforeHttp: webSocketsBeforeHttp);
        var polling = await OpenPollingAsync();
        var probe = await OpenProbeAsync(polling.Sid);
        await probe.SendTextAsync("2probe");
        Assert.That(await probe.ReceiveTextAsync(), Is.EqualTo("3probe"));
        await PollUntilNoopAsync(polling);
        await probe.SendTextAsync("5");

        var second = await OpenProbeAsync(polling.Sid);
        await second.WaitForCloseAsync();

        Assert.That(second.CloseStatus, Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
        await probe.SendTextAsync("4hello");
        Assert.That(await probe.ReceiveTextAsync(), Is.EqualTo("4hello"));
        Assert.That(_host.Echo.TryGetSession(polling.Sid, out var session), Is.True);
        Assert.That(session.TransportName, Is.EqualTo("websocket"));
    }

    [Test]
    public async Task A_second_websocket_during_a_probe_is_closed_and_the_probe_still_completes()
    {
        _host = await RawHost.StartRelaxedAsync(webSocketsBeforeHttp: webSocketsBeforeHttp);
        var polling = await OpenPollingAsync();
        var probe = await OpenProbeAsync(polling.Sid);
        await probe.SendTextAsync("2probe");
        Assert.That(await probe.ReceiveTextAsync(), Is.EqualTo("3probe"));

        var second = await OpenProbeAsync(polling.Sid);
        await second.WaitForCloseAsync();

        Assert.That(second.CloseStatus, Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
        await PollUntilNoopAsync(polling);
        await probe.SendTextAsync("5");
        await probe.SendTextAsync("4hello");
        Assert.That(await probe.ReceiveTextAsync(), Is.EqualTo("4hello"));
    }

    [Test]
    public async Task A_probe_that_sends_anything_but_the_probe_ping_is_closed_and_polling_goes_on()
    {
        _host = await RawHost.StartRelaxedAsync(webSocketsBeforeHttp: webSocketsBeforeHttp);
        var polling = await OpenPollingAsync();
        var probe = await OpenProbeAsync(polling.Sid);

        await probe.SendTextAsync("4not-a-probe");
        await probe.WaitForCloseAsync();

        Assert.That(probe.CloseStatus, Is.EqualTo(WebSocketCloseStatus.ProtocolError));
        await polling.PostAsync("4still-polling");
        Assert.That(await polling.ReceiveOneAsync(), Is.EqualTo("4still-polling"));
    }

    [Test]
    public async Task No_echo_is_lost_duplicated_or_reordered_while_the_client_upgrades()
    {
        _host = await RawHost.StartRelaxedAsync(webSocketsBeforeHttp: webSocketsBeforeHttp);
        var polling = await OpenPollingAsync();
        var received = new List<string>();
        var stopPolling = false;
        var poller = Task.Run(async () =>
        {
            while (!Volatile.Read(ref stopPolling))
            {
                var packets = await polling.PollAsync();
                lock (received)
                {
                    received.AddRange(packets.Where(p => p != "6"));
                }
            }
        });
        var next = 0;
        async Task PostSomeAsync(int count)
        {
            for (var i = 0; i < count; i++, next++)
            {
                await polling.PostAsync("4m" + next);
            }
        }

        await PostSomeAsync(50);
        var probe = await OpenProbeAsync(polling.Sid);
        await PostSomeAsync(25);
        await probe.SendTextAsync("2probe");
        await PostSomeAsync(25);
        Assert.That(await probe.ReceiveTextAsync(), Is.EqualTo("3probe"));
        await PostSomeAsync(25);
        Volatile.Write(ref stopPolling, true);
        await poller.WaitAsync(Timeout);
        await PostSomeAsync(25);
        await probe.SendTextAsync("5");
        for (var i = 0; i < 100; i++, next++)
        {
            await probe.SendTextAsync("4m" + next);
        }
        while (true)
        {
            var packet = await probe.ReceiveTextAsync();
            received.Add(packet);
            if (packet == "4m" + (next - 1))
            {
                break;
            }
        }

        Assert.That(received, Is.EqualTo(Enumerable.Range(0, next).Select(i => "4m" + i)));
    }

    [Test]
    public async Task No_server_message_is_lost_duplicated_or_reordered_while_the_client_upgrades()
    {
        _host = await RawHost.StartRelaxedAsync(webSocketsBeforeHttp: webSocketsBeforeHttp);
        var polling = await OpenPollingAsync();
        Assert.That(_host.Echo.TryGetSession(polling.Sid, out var session), Is.True);
        var upgraded = false;
        var sent = 0;
        var producer = Task.Run(async () =>
        {
            // Sends all through the upgrade, then 200 more over the new transport.
            var after = 0;
            while (after < 200)
            {
                if (!session.Send(EngineFrame.Message(Encoding.UTF8.GetBytes("n" + sent))))
                {
                    throw new InvalidOperationException("The session refused a message.");
                }
                sent++;
                if (Volatile.Read(ref upgraded))
                {
                    after++;
                }
                if (sent % 10 == 0)
                {
                    await Task.Delay(1);
                }
            }
        });
        var byPolling = new List<string>();
        var stopPolling = false;
        var poller = Task.Run(async () =>
        {
            while (!Volatile.Read(ref stopPolling))
            {
                var packets = (await polling.PollAsync()).Where(p => p != "6").ToList();
                lock (byPolling)
                {
                    byPolling.AddRange(packets);
                }
            }
        });

        await Eventually.WaitUntilAsync(() => { lock (byPolling) return byPolling.Count > 0; }, "the first messages arrived by polling", Timeout);
        var probe = await OpenProbeAsync(polling.Sid);
        await probe.SendTextAsync("2probe");
        Assert.That(await probe.ReceiveTextAsync(), Is.EqualTo("3probe"));
        Volatile.Write(ref stopPolling, true);
        await poller.WaitAsync(Timeout);
        await probe.SendTextAsync("5");
        Volatile.Write(ref upgraded, true);
        await producer.WaitAsync(Timeout);
        var byWebSocket = new List<string>();
        while (byPolling.Count + byWebSocket.Count < sent)
        {
            byWebSocket.Add(await probe.ReceiveTextAsync());
        }

        Assert.That(byPolling.Concat(byWebSocket), Is.EqualTo(Enumerable.Range(0, sent).Select(i => "4n" + i)));
        Assert.That(byWebSocket, Has.Count.GreaterThanOrEqualTo(200), "messages sent after the upgrade travel by websocket");
    }

    [Test]
    public async Task A_server_close_during_the_upgrade_reaches_the_client_on_the_new_transport()
    {
        _host = await RawHost.StartRelaxedAsync(webSocketsBeforeHttp: webSocketsBeforeHttp);
        var polling = await OpenPollingAsync();
        Assert.That(_host.Echo.TryGetSession(polling.Sid, out var session), Is.True);
        var probe = await OpenProbeAsync(polling.Sid);
        await probe.SendTextAsync("2probe");
        Assert.That(await probe.ReceiveTextAsync(), Is.EqualTo("3probe"));
        await PollUntilNoopAsync(polling);

        session.Send(EngineFrame.Message("bye"u8));
        session.Close("test");
        await probe.SendTextAsync("5");
        var before = await probe.WaitForCloseAsync();

        Assert.That(before.Select(m => m.Text), Is.EqualTo(new[] { "4bye" }));
        Assert.That(probe.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure));
        await Eventually.WaitUntilAsync(() => !_host.Echo.TryGetSession(polling.Sid, out _), "the session is gone", Timeout);
    }

    [Test]
    public async Task A_probe_that_never_sends_the_probe_ping_is_closed_after_the_upgrade_timeout_and_polling_goes_on()
    {
        _host = await RawHost.StartRelaxedAsync(options => options with { Engine = options.Engine with { UpgradeTimeout = TimeSpan.FromMilliseconds(300) } }, webSocketsBeforeHttp: webSocketsBeforeHttp);
        using var polling = await RawEngineClient.OpenAsync(_host.BaseUri, "/socket.io/");
        var probe = await RawWebSocketClient.ConnectAsync(new Uri($"{_host.Server.WebSocketUrl}/socket.io/?EIO=4&transport=websocket&sid={polling.Sid}"));
        _clients.Add(probe);

        await probe.WaitForCloseAsync();

        Assert.That(probe.CloseStatus, Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
        await polling.PostAsync("40");
        Assert.That((await polling.ReceiveAsync(2))[0], Does.StartWith("40{\"sid\":"));
    }

    [Test]
    public async Task A_probe_that_never_sends_upgrade_is_closed_after_the_upgrade_timeout_and_polling_holds_again()
    {
        _host = await RawHost.StartRelaxedAsync(options => options with { Engine = options.Engine with { UpgradeTimeout = TimeSpan.FromMilliseconds(300) } }, webSocketsBeforeHttp: webSocketsBeforeHttp);
        using var polling = await RawEngineClient.OpenAsync(_host.BaseUri, "/socket.io/");
        var probe = await RawWebSocketClient.ConnectAsync(new Uri($"{_host.Server.WebSocketUrl}/socket.io/?EIO=4&transport=websocket&sid={polling.Sid}"));
        _clients.Add(probe);
        await probe.SendTextAsync("2probe");
        Assert.That(await probe.ReceiveTextAsync(), Is.EqualTo("3probe"));

        await probe.WaitForCloseAsync();

        Assert.That(probe.CloseStatus, Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
        await polling.PostAsync("40");
        var connected = (await polling.ReceiveAsync(2)).Where(p => p != "6").ToList();
        Assert.That(connected[0], Does.StartWith("40{\"sid\":"));
        var socket = _host.IO.Root.Sockets.Single();

        // At most one NOOP may be left over from the upgrade attempt; after that a poll is held
        // again until there is something to send.
        var noops = 0;
        var events = new List<string>();
        for (var round = 0; !events.Contains("42[\"round\",2]"); round++)
        {
            Assert.That(round, Is.LessThan(10), "polls keep coming back without the events");
            var held = _host.Tap.ExpectPoll(polling.Sid);
            var poll = polling.PollAsync();
            await held.WaitAsync(Timeout);
            if (round < 3)
            {
                socket.Emit("round", round);
            }
            var packets = await poll.WaitAsync(Timeout);
            noops += packets.Count(p => p == "6");
            events.AddRange(packets.Where(p => p != "6"));
        }
        Assert.That(events, Is.EqualTo(new[] { "42[\"round\",0]", "42[\"round\",1]", "42[\"round\",2]" }));
        Assert.That(noops, Is.LessThanOrEqualTo(1));

        var last = _host.Tap.ExpectPoll(polling.Sid);
        var lastPoll = polling.PollAsync();
        await last.WaitAsync(Timeout);
        socket.Emit("final");
        Assert.That(await lastPoll.WaitAsync(Timeout), Is.EqualTo(new[] { "42[\"final\"]" }), "the poll was held until the event");
    }

    [Test]
    public async Task Without_upgrades_the_handshake_offers_none_and_a_probe_is_closed()
    {
        _host = await RawHost.StartRelaxedAsync(options => options with { Engine = options.Engine with { AllowUpgrades = false } }, webSocketsBeforeHttp: webSocketsBeforeHttp);
        using var polling = await RawEngineClient.OpenAsync(_host.BaseUri, "/socket.io/");
        Assert.That(polling.Open.GetProperty("upgrades").GetArrayLength(), Is.Zero);

        var probe = await RawWebSocketClient.ConnectAsync(new Uri($"{_host.Server.WebSocketUrl}/socket.io/?EIO=4&transport=websocket&sid={polling.Sid}"));
        _clients.Add(probe);
        await probe.WaitForCloseAsync();

        Assert.That(probe.CloseStatus, Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
        await polling.PostAsync("40");
        Assert.That((await polling.ReceiveAsync(2))[0], Does.StartWith("40{\"sid\":"));
    }
}
