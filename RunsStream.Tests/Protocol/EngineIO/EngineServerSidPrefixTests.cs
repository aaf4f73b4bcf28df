using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.Hosting;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>
/// A fleet node's sids start with its prefix whatever the first transport, and the server can
/// say which sids it holds (what the fleet's forwarding asks before it forwards).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class EngineServerSidPrefixTests
{
    private const string Prefix = "Tag_-123.";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private TestServer _server = null!;
    private EngineServer _engine = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _engine = new EngineServer(new EngineIOOptions { SidPrefix = Prefix }, _ => new SilentHandler());
        _server = await TestServer.StartAsync(
            _ => { },
            app => app.MapEngineIO("/engine.io/", _engine));
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _engine.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task A_polling_session_id_is_the_prefix_then_the_20_random_characters()
    {
        using var client = await RawEngineClient.OpenAsync(_server.BaseUri);

        Assert.That(client.Sid, Does.Match("^" + System.Text.RegularExpressions.Regex.Escape(Prefix) + "[A-Za-z0-9_-]{20}$"));
    }

    [Test]
    public async Task A_websocket_session_id_carries_the_prefix_too()
    {
        await using var client = await RawWebSocketClient.ConnectAsync(new Uri(_server.WebSocketUrl + "/engine.io/?EIO=4&transport=websocket"));
        var open = await client.ReceiveTextAsync();

        Assert.That(open, Does.StartWith("0{\"sid\":\"" + Prefix));
    }

    [Test]
    public async Task HoldsSession_is_true_for_a_live_session_and_false_once_it_is_closed_or_never_was()
    {
        using var client = await RawEngineClient.OpenAsync(_server.BaseUri);

        Assert.That(_engine.HoldsSession(client.Sid), Is.True);
        Assert.That(_engine.HoldsSession(Prefix + "AAAAAAAAAAAAAAAAAAAA"), Is.False);

        await client.PostAsync("1");
        await Eventually.WaitUntilAsync(() => !_engine.HoldsSession(client.Sid), "the closed session is no longer held", Timeout);
    }

    [Test]
    public async Task A_prefixed_sid_the_server_does_not_hold_gets_session_id_unknown()
    {
        using var response = await _server.Http.GetAsync($"/engine.io/?EIO=4&transport=polling&sid={Prefix}AAAAAAAAAAAAAAAAAAAA").WaitAsync(Timeout);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("{\"code\":1,\"message\":\"Session ID unknown\"}"));
    }

    private sealed class SilentHandler : IEngineSessionHandler
    {
        public void OnMessage(RunsStream.Protocol.EngineIO.Parser.EnginePacket packet)
        {
        }

        public void OnClose(string reason)
        {
        }
    }
}
