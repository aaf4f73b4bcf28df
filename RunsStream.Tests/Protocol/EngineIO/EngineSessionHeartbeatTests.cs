using Microsoft.Extensions.Time.Testing;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>
/// The v4 heartbeat on a manual clock: the server pings once pingInterval has passed (not a
/// moment before), closes a session that does not pong within pingTimeout, and keeps one that
/// does. The clock moves only when a test advances it, so no test waits for a real timer.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class EngineSessionHeartbeatTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    private FakeTimeProvider _time = null!;
    private RawHost _host = null!;

    private TimeSpan PingInterval => RawHost.RelaxedEngineOptions().PingInterval;

    private TimeSpan PingTimeout => RawHost.RelaxedEngineOptions().PingTimeout;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _time = new FakeTimeProvider();
        _host = await RawHost.StartRelaxedAsync(time: _time);
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    /// <summary>Starts a poll and returns once the server holds it.</summary>
    private async Task<Task<string>> HoldPollAsync(RawEngineClient client)
    {
        var held = _host.Tap.ExpectPoll(client.Sid);
        var poll = client.GetBodyAsync();
        await held.WaitAsync(Timeout);
        return poll;
    }

    [Test]
    public async Task Over_polling_the_server_pings_once_the_ping_interval_has_passed()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, autoPong: false);

        var poll = await HoldPollAsync(client);
        _time.Advance(PingInterval - Tick);
        await client.PostAsync("4not yet");
        Assert.That(await poll.WaitAsync(Timeout), Is.EqualTo("4not yet"), "no ping a moment before the interval");

        poll = await HoldPollAsync(client);
        _time.Advance(Tick);
        Assert.That(await poll.WaitAsync(Timeout), Is.EqualTo("2"));
    }

    [Test]
    public async Task Over_polling_a_session_that_does_not_pong_is_closed_after_the_ping_timeout()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, autoPong: false);
        _time.Advance(PingInterval);
        Assert.That(await client.GetBodyAsync(), Is.EqualTo("2"));

        _time.Advance(PingTimeout - Tick);
        await client.PostAsync("4still open");
        Assert.That(await client.GetBodyAsync(), Is.EqualTo("4still open"), "open a moment before the timeout");
        _time.Advance(Tick);

        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task Over_polling_a_poll_held_when_the_ping_times_out_is_answered_with_close()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, autoPong: false);
        _time.Advance(PingInterval);
        Assert.That(await client.GetBodyAsync(), Is.EqualTo("2"));

        var poll = await HoldPollAsync(client);
        _time.Advance(PingTimeout);

        Assert.That(await poll.WaitAsync(Timeout), Is.EqualTo("1"));
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task Over_polling_a_session_that_pongs_stays_open_through_many_pings()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, autoPong: true);

        for (var ping = 1; ping <= 5; ping++)
        {
            _time.Advance(PingInterval);
            Assert.That(await client.PollAsync(), Is.Empty, "nothing but the ping is sent");
            Assert.That(client.PingsAnswered, Is.EqualTo(ping));
            _time.Advance(PingTimeout - Tick); // the pong started a new interval: no timeout
        }
        await client.PostAsync("4alive");

        Assert.That(await client.ReceiveOneAsync(), Is.EqualTo("4alive"));
    }

    [Test]
    public async Task Over_websocket_the_server_pings_and_closes_a_session_that_does_not_pong()
    {
        await using var client = await RawWebSocketClient.OpenEngineAsync(_host.Server, autoPong: false);

        _time.Advance(PingInterval);
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("2"));
        _time.Advance(PingTimeout);
        var rest = await client.WaitForCloseAsync();

        Assert.That(rest, Is.Empty, "nothing after the ping but the close");
        Assert.That(client.CloseStatus, Is.Not.Null, "the server closes with a close frame");
    }

    [Test]
    public async Task Over_websocket_a_session_that_pongs_stays_open_through_many_pings()
    {
        await using var client = await RawWebSocketClient.OpenEngineAsync(_host.Server, autoPong: false);

        for (var ping = 1; ping <= 5; ping++)
        {
            _time.Advance(PingInterval);
            Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("2"));
            await client.SendTextAsync("3");
            await client.SendTextAsync("4pong " + ping); // echoed once the pong before it was read
            Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("4pong " + ping));
            _time.Advance(PingTimeout - Tick);
        }

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
