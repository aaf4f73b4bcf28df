using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using RunsStream.Server.Fleet.Routing;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Fleet.Routing;

/// <summary>
/// Two real nodes with their own sid tags and one node directory: a request for a session
/// reaches the node that holds it whichever node it is sent to (polling GET and POST, and the
/// WebSocket upgrade), and what cannot be forwarded gets the reference's "Session ID unknown".
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SessionForwardingTests
{
    private const string Connect = "40{\"token\":\"" + RunsServerHost.Token + "\"}";
    private const string UnknownSession = "{\"code\":1,\"message\":\"Session ID unknown\"}";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly NodeDirectory _directory = new();
    private RunsServerHost _a = null!;
    private RunsServerHost _b = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartNodes()
    {
        _a = await RunsServerHost.StartAsync(o => o with { Routing = new SessionRouting("node-a", _directory) });
        _b = await RunsServerHost.StartAsync(o => o with { Routing = new SessionRouting("node-b", _directory) });
        _directory.Update(new Dictionary<string, Uri>
        {
            [NodeTags.For("node-a")] = new Uri(_a.Url),
            [NodeTags.For("node-b")] = new Uri(_b.Url),
        });
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    }

    [OneTimeTearDown]
    public async Task StopNodes()
    {
        _http.Dispose();
        await _b.DisposeAsync();
        await _a.DisposeAsync();
    }

    [Test]
    public async Task A_polling_session_opened_on_A_is_served_when_its_POST_and_GET_go_to_B()
    {
        using var client = await RawEngineClient.OpenAsync(new Uri(_a.Url), "/socket.io/");
        Assert.That(client.Sid, Does.StartWith(NodeTags.For("node-a") + "."));
        var forwardedBefore = Forwarded(_b);

        using var post = await _http.PostAsync(_b.Url + client.SessionUrl, new StringContent(Connect)).WaitAsync(Timeout);
        using var get = await _http.GetAsync(_b.Url + client.SessionUrl).WaitAsync(Timeout);
        var body = await get.Content.ReadAsStringAsync();

        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await post.Content.ReadAsStringAsync(), Is.EqualTo("ok"));
        Assert.That(get.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body, Does.StartWith("40{\"sid\":"), "A answered the CONNECT sent through B, through B");
        Assert.That(Forwarded(_b) - forwardedBefore, Is.EqualTo(2));
        Assert.That(Engine(_b).HoldsSession(client.Sid), Is.False);
        Assert.That(Engine(_a).HoldsSession(client.Sid), Is.True);
    }

    [Test]
    public async Task A_websocket_upgrade_sent_to_B_for_a_session_of_A_upgrades_it_on_A()
    {
        using var client = await RawEngineClient.OpenAsync(new Uri(_a.Url), "/socket.io/");

        await using var socket = await RawWebSocketClient.ConnectAsync(
            new Uri($"ws{_b.Url[4..]}/socket.io/?EIO=4&transport=websocket&sid={Uri.EscapeDataString(client.Sid)}"));
        await socket.SendTextAsync("2probe");
        Assert.That(await socket.ReceiveTextAsync(), Is.EqualTo("3probe"));
        await socket.SendTextAsync("5");
        await socket.SendTextAsync(Connect);

        Assert.That(await socket.ReceiveTextAsync(), Does.StartWith("40{\"sid\":"), "the Socket.IO CONNECT went to A and its answer came back over the forwarded WebSocket");
        await Eventually.WaitUntilAsync(
            () => Engine(_a).TryGetSession(client.Sid, out var session) && session.WebSocket is not null,
            "the session on A runs on the WebSocket", Timeout);
    }

    [Test]
    public async Task A_sid_of_an_unknown_tag_gets_session_id_unknown()
    {
        await AssertUnknownSessionAsync(_b.Url, "zzzzzzzz.AAAAAAAAAAAAAAAAAAAA");
    }

    [Test]
    public async Task A_sid_of_this_nodes_own_tag_that_it_does_not_hold_gets_session_id_unknown()
    {
        var forwardedBefore = Forwarded(_b);

        await AssertUnknownSessionAsync(_b.Url, NodeTags.For("node-b") + ".AAAAAAAAAAAAAAAAAAAA");

        Assert.That(Forwarded(_b), Is.EqualTo(forwardedBefore));
    }

    [Test]
    public async Task A_request_already_forwarded_once_is_never_forwarded_again()
    {
        using var client = await RawEngineClient.OpenAsync(new Uri(_a.Url), "/socket.io/");
        var forwardedBefore = Forwarded(_b);
        using var request = new HttpRequestMessage(HttpMethod.Get, _b.Url + client.SessionUrl);
        request.Headers.Add("X-RunsStream-Forwarded", "someone");

        using var response = await _http.SendAsync(request).WaitAsync(Timeout);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo(UnknownSession));
        Assert.That(Forwarded(_b), Is.EqualTo(forwardedBefore));
    }

    [Test]
    public async Task A_session_of_a_node_that_is_down_gets_session_id_unknown_at_once_not_a_hang()
    {
        var downTag = NodeTags.For("node-down");
        var directory = new NodeDirectory(new Dictionary<string, Uri> { [downTag] = new Uri($"http://127.0.0.1:{ClosedPort()}") });
        await using var node = await RunsServerHost.StartAsync(o => o with { Routing = new SessionRouting("node-c", directory) });
        var sid = downTag + ".AAAAAAAAAAAAAAAAAAAA";

        await AssertUnknownSessionAsync(node.Url, sid);
        using var post = await _http.PostAsync($"{node.Url}/socket.io/?EIO=4&transport=polling&sid={sid}", new StringContent(Connect)).WaitAsync(Timeout);
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await post.Content.ReadAsStringAsync(), Is.EqualTo(UnknownSession));
        Assert.That(Forwarded(node), Is.EqualTo(2), "both requests were forwarded, and failed");
    }

    [Test]
    public async Task A_node_without_routing_opens_plain_sids_and_forwards_nothing()
    {
        await using var single = await RunsServerHost.StartAsync();

        using var client = await RawEngineClient.OpenAsync(new Uri(single.Url), "/socket.io/");

        Assert.That(client.Sid, Does.Match("^[A-Za-z0-9_-]{20}$"));
        Assert.That(single.Services.GetService<SessionForwarder>(), Is.Null);
        await AssertUnknownSessionAsync(single.Url, NodeTags.For("node-a") + ".AAAAAAAAAAAAAAAAAAAA");
    }

    private async Task AssertUnknownSessionAsync(string node, string sid)
    {
        using var response = await _http.GetAsync($"{node}/socket.io/?EIO=4&transport=polling&sid={sid}").WaitAsync(Timeout);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo(UnknownSession));
    }

    private static long Forwarded(RunsServerHost node) => node.Services.GetRequiredService<SessionForwarder>().Forwarded;

    private static RunsStream.Protocol.EngineIO.EngineServer Engine(RunsServerHost node) =>
        node.Services.GetRequiredService<RunsStream.Protocol.SocketIO.SocketIOServer>().Engine;

    /// <summary>A loopback port with nothing listening: connections to it are refused.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
