using System.Text.Json;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs;

/// <summary>
/// The JSON payloads of the subscribe and unsubscribe events carry the same kind of strings as
/// REST bodies; one that cannot be read as text is refused in the ack, never left unanswered.
/// </summary>
[TestFixture]
public sealed class SocketSubscribeInputTests
{
    private RunsServerHost _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await RunsServerHost.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    [TestCase("subscribe")]
    [TestCase("unsubscribe")]
    public async Task A_socket_run_id_with_an_unpaired_surrogate_is_refused_in_the_ack(string eventName)
    {
        // The same JSON strings reach the server over Socket.IO: before, reading the id threw
        // inside the handler and the client's ack never came.
        var uri = new Uri(_server.Url.Replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket");
        await using var client = await RawWebSocketClient.ConnectAsync(uri);
        Assert.That(await client.ReceiveTextAsync(), Does.StartWith("0{"));
        await RawSocketIOClient.ConnectAsync(client, "/", $"{{\"token\":\"{RunsServerHost.Token}\"}}");
        await client.SendTextAsync($"421[\"{eventName}\",{{\"runId\":\"run-\\ud800\"}}]");
        var ack = await client.ReceiveTextAsync().WaitAsync(TimeSpan.FromSeconds(60));
        while (!ack.StartsWith("431", StringComparison.Ordinal))
        {
            ack = await client.ReceiveTextAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        var answer = JsonDocument.Parse(ack[3..]).RootElement[0];
        Assert.That(answer.GetProperty("ok").GetBoolean(), Is.False, ack);
        Assert.That(answer.GetProperty("error").GetString(), Does.Contain("runId"), ack);
    }
}
