using Microsoft.Extensions.Time.Testing;
using RunsStream.Protocol.SocketIO;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.SocketIO;

/// <summary>
/// A server emit's ack timeout on a manual clock: the wait fails once the timeout has passed,
/// not a moment before, and an ack arriving after it is ignored without harm.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SocketIOSocketAckTimeoutTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    private FakeTimeProvider _time = null!;
    private RawHost _host = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _time = new FakeTimeProvider();
        _host = await RawHost.StartRelaxedAsync(time: _time);
    }

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    private async Task<(RawWebSocketClient Client, SocketIOSocket Socket)> ConnectAsync()
    {
        var (client, id) = await RawSocketIOClient.OpenAndConnectAsync(_host.Server);
        Assert.That(_host.IO.Root.TryGetSocket(id, out var socket), Is.True);
        return (client, socket);
    }

    [Test]
    public async Task A_server_emit_with_ack_times_out_when_the_client_never_acks()
    {
        var (client, socket) = await ConnectAsync();
        await using var _ = client;

        var answer = socket.EmitWithAckAsync("question", AckTimeout, 1);
        Assert.That(await client.ReceiveTextAsync(), Does.StartWith("42"));
        _time.Advance(AckTimeout - Tick);
        Assert.That(answer.IsCompleted, Is.False, "still waiting a moment before the timeout");
        _time.Advance(Tick);

        Assert.That(async () => await answer.WaitAsync(Timeout), Throws.InstanceOf<TimeoutException>());
    }

    [Test]
    public async Task A_late_ack_after_the_timeout_is_ignored_and_the_connection_stays_open()
    {
        var (client, socket) = await ConnectAsync();
        await using var _ = client;
        var answer = socket.EmitWithAckAsync("question", AckTimeout);
        var question = await client.ReceiveTextAsync();
        _time.Advance(AckTimeout);
        Assert.That(async () => await answer.WaitAsync(Timeout), Throws.InstanceOf<TimeoutException>());

        await client.SendTextAsync($"43{question[2..question.IndexOf('[')]}[\"late\"]");
        await client.SendTextAsync("42[\"message\",\"after\"]");

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("42[\"message-back\",\"after\"]"));
    }
}
