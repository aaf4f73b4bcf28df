using System.Diagnostics;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>
/// The v4 heartbeat on the compliance host (pingInterval 300 ms, pingTimeout 200 ms): the server
/// pings, a client that does not answer is dropped, one that answers stays.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class EngineSessionHeartbeatTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private RawHost _host = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _host = await RawHost.StartComplianceAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    [Test]
    public async Task Over_polling_the_server_pings_after_the_ping_interval()
    {
        var clock = Stopwatch.StartNew();
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, autoPong: false);

        var body = await client.GetBodyAsync();

        Assert.That(body, Is.EqualTo("2"));
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)));
    }

    [Test]
    public async Task Over_polling_a_session_that_does_not_pong_is_closed_after_the_ping_timeout()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, autoPong: false);
        Assert.That(await client.GetBodyAsync(), Is.EqualTo("2"));

        await RawEventually.WaitUntilAsync(() => client.IsSessionGoneAsync(), "the session is refused as unknown", Timeout);
    }

    [Test]
    public async Task Over_polling_a_poll_held_when_the_ping_times_out_is_answered_with_close()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, autoPong: false);
        Assert.That(await client.GetBodyAsync(), Is.EqualTo("2"));

        using var body = await client.GetAsync();

        Assert.That(((int)body.StatusCode, await body.Content.ReadAsStringAsync().WaitAsync(Timeout)), Is.EqualTo((200, "1")).Or.EqualTo((400, "{\"code\":1,\"message\":\"Session ID unknown\"}")));
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task Over_polling_a_session_that_pongs_stays_open_through_many_pings()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, autoPong: true);

        while (client.PingsAnswered < 5)
        {
            Assert.That(await client.PollAsync(), Is.Empty, "nothing but pings is sent");
        }
        await client.PostAsync("4alive");

        Assert.That(await client.ReceiveOneAsync(), Is.EqualTo("4alive"));
    }

    [Test]
    public async Task Over_websocket_the_server_pings_and_closes_a_session_that_does_not_pong()
    {
        await using var client = await RawWebSocketClient.OpenEngineAsync(_host.Server, autoPong: false);

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("2"));
        var rest = await client.WaitForCloseAsync();

        Assert.That(rest.Select(m => m.Text), Is.All.EqualTo("2"), "nothing but pings before the close");
        Assert.That(client.CloseStatus, Is.Not.Null, "the server closes with a close frame");
    }

    [Test]
    public async Task Over_websocket_a_session_that_pongs_stays_open_through_many_pings()
    {
        await using var client = await RawWebSocketClient.OpenEngineAsync(_host.Server, autoPong: true);

        await RawEventually.WaitUntilAsync(() => client.PingCount >= 5, "five pings were answered", Timeout);
        await client.SendTextAsync("4alive");

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("4alive"));
        Assert.That(client.Closed.IsCompleted, Is.False);
    }

    [Test]
    public async Task A_pong_without_a_ping_does_no_harm()
    {
        await using var client = await RawWebSocketClient.OpenEngineAsync(_host.Server, autoPong: true);

        await client.SendTextAsync("3");
        await client.SendTextAsync("4after-pong");

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("4after-pong"));
    }
}
