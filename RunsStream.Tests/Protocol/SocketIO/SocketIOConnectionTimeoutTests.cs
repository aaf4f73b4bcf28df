using Microsoft.Extensions.Time.Testing;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.SocketIO;

/// <summary>
/// The connect timeout on a manual clock: a connection that joins no namespace is closed once
/// connectTimeout has passed, not a moment before; one that joined stays.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SocketIOConnectionTimeoutTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    private FakeTimeProvider _time = null!;
    private RawHost _host = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _time = new FakeTimeProvider();
        _host = await RawHost.StartRelaxedAsync(options => options with { ConnectTimeout = ConnectTimeout }, time: _time);
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    [Test]
    public async Task Over_websocket_a_connection_that_joins_no_namespace_is_closed_when_the_timeout_passes()
    {
        await using var client = await RawSocketIOClient.OpenAsync(_host.Server);

        _time.Advance(ConnectTimeout - Tick);
        await client.SendTextAsync("2");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("3"), "open a moment before the timeout");
        _time.Advance(Tick);

        Assert.That(await client.WaitForCloseAsync(), Is.Empty);
        Assert.That(client.CloseStatus, Is.Not.Null, "closed with a close frame");
    }

    [Test]
    public async Task Over_polling_a_connection_that_joins_no_namespace_is_closed_when_the_timeout_passes()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, "/socket.io/");

        _time.Advance(ConnectTimeout - Tick);
        await client.PostAsync("2");
        Assert.That(await client.GetBodyAsync(), Is.EqualTo("3"), "open a moment before the timeout");
        _time.Advance(Tick);

        await client.WaitForSessionEndAsync();
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task A_connection_that_joined_a_namespace_in_time_stays_open_past_the_timeout()
    {
        var (client, _) = await RawSocketIOClient.OpenAndConnectAsync(_host.Server);
        await using var _ = client;

        _time.Advance(ConnectTimeout * 2);
        await client.SendTextAsync("42[\"message\",\"still here\"]");

        Assert.That(await client.ReceiveTextAsync().WaitAsync(Timeout), Is.EqualTo("42[\"message-back\",\"still here\"]"));
    }
}
