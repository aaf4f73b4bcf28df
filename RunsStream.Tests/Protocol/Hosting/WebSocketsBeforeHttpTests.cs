using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.Hosting;

/// <summary>
/// <c>UseSocketIOWebSockets</c> / <c>UseEngineIOWebSockets</c>: a connection whose first request
/// is a valid Engine.IO WebSocket handshake or probe is answered before Kestrel's HTTP layer
/// (recognisable: Kestrel's own 101 carries a Date header, ours does not); everything else,
/// including what the server refuses, is answered by HTTP exactly as without it.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class WebSocketsBeforeHttpTests
{
    private const string EngineHandshake = "/engine.io/?EIO=4&transport=websocket";

    private RawHost _host = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _host = await RawHost.StartRelaxedAsync(webSocketsBeforeHttp: true);

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    private static bool FromKestrel(string head) => head.Contains("\r\nDate:", StringComparison.OrdinalIgnoreCase);

    [TestCase("/engine.io/?EIO=4&transport=websocket")]
    [TestCase("/socket.io/?EIO=4&transport=websocket")]
    public async Task A_handshake_is_answered_at_the_connection_and_the_session_works(string target)
    {
        await using var ws = await RawTcpWebSocket.ConnectAsync(_host.BaseUri, target);

        Assert.That(FromKestrel(ws.HandshakeResponse), Is.False, ws.HandshakeResponse);
        Assert.That(await ws.ReadTextAsync(), Does.StartWith("0{\"sid\":"));
        if (target.StartsWith("/engine.io/"))
        {
            await ws.SendTextAsync("4hello");
            Assert.That(await ws.ReadTextAsync(), Is.EqualTo("4hello"));
        }
        else
        {
            await ws.SendTextAsync("40");
            Assert.That(await ws.ReadTextAsync(), Does.StartWith("40{\"sid\":"));
        }
    }

    [Test]
    public async Task Without_it_the_same_handshake_is_an_upgraded_http_request()
    {
        await using var host = await RawHost.StartRelaxedAsync(webSocketsBeforeHttp: false);
        await using var ws = await RawTcpWebSocket.ConnectAsync(host.BaseUri, EngineHandshake);

        Assert.That(FromKestrel(ws.HandshakeResponse), Is.True, ws.HandshakeResponse);
    }

    [TestCase("/engine.io/?EIO=3&transport=websocket", 5, TestName = "an unsupported protocol version")]
    [TestCase("/engine.io/?EIO=4&transport=websocket&sid=nope", 1, TestName = "an unknown sid")]
    [TestCase("/engine.io/?EIO=4&transport=carrier-pigeon", 0, TestName = "an unknown transport")]
    public async Task A_refused_handshake_gets_the_reference_error_from_http(string target, int code)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var response = await RawHttp.SendAsync(_host.BaseUri,
            $"GET {target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n");

        Assert.That(response.StatusCode, Is.EqualTo(400));
        Assert.That(response.Body, Does.Contain($"\"code\":{code}"));
    }

    [Test]
    public async Task A_handshake_without_a_valid_key_is_left_to_http()
    {
        var response = await RawHttp.SendAsync(_host.BaseUri,
            $"GET {EngineHandshake} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n");

        Assert.That(response.StatusCode, Is.EqualTo(400));
        Assert.That(response.Body, Does.Contain("\"code\":3"));
    }

    [Test]
    public async Task A_keep_alive_connection_that_polled_first_upgrades_through_http()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(_host.BaseUri.Host, _host.BaseUri.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n"));
        var open = await RawHttp.ReadResponseAsync(socket);
        var sid = open.Body.Split('"')[3];
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"GET /engine.io/?EIO=4&transport=websocket&sid={sid} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" +
            $"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var (head, _) = await RawHttp.ReadHeadAsync(socket);

        Assert.That(open.StatusCode, Is.EqualTo(200));
        Assert.That(head, Does.StartWith("HTTP/1.1 101"));
        Assert.That(FromKestrel(head), Is.True, "not the first request of its connection: HTTP's");
    }

    [Test]
    public async Task A_probe_on_a_new_connection_is_answered_at_the_connection_and_upgrades()
    {
        using var polling = await RawEngineClient.OpenAsync(_host.BaseUri);
        await using var probe = await RawTcpWebSocket.ConnectAsync(_host.BaseUri, $"/engine.io/?EIO=4&transport=websocket&sid={Uri.EscapeDataString(polling.Sid)}");

        await probe.SendTextAsync("2probe");
        Assert.That(await probe.ReadTextAsync(), Is.EqualTo("3probe"));
        await probe.SendTextAsync("5");
        await probe.SendTextAsync("4after the upgrade");

        Assert.That(FromKestrel(probe.HandshakeResponse), Is.False, probe.HandshakeResponse);
        Assert.That(await probe.ReadTextAsync(), Is.EqualTo("4after the upgrade"));
    }

    [Test]
    public async Task Plain_http_is_untouched()
    {
        var response = await RawHttp.SendAsync(_host.BaseUri, "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.That(response.StatusCode, Is.EqualTo(200));
        Assert.That(response.Body, Does.StartWith("0{\"sid\":"));
    }
}
