using System.Text.Json;
using RunsStream.Tests.Support;
using SocketIOClient;
using SocketIOClient.Transport;

namespace RunsStream.Tests.RealClients;

/// <summary>The .NET SocketIOClient 3.0.6 against the scenario host, over both transports.</summary>
[TestFixture]
[NonParallelizable]
public sealed class DotNetSocketIOClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private TestServer _server = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _server = await ScenarioHost.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    private SocketIO CreateClient(TransportProtocol transport, string ns = "", string token = "good") =>
        new(_server.Url + ns, new SocketIOOptions
        {
            Transport = transport,
            Auth = new Dictionary<string, string> { ["token"] = token },
            Reconnection = false,
            ConnectionTimeout = Timeout,
        });

    private static Task<SocketIOResponse> NextAsync(SocketIO client, string eventName)
    {
        var received = new TaskCompletionSource<SocketIOResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.On(eventName, response => received.TrySetResult(response));
        return received.Task.WaitAsync(Timeout);
    }

    [TestCase(TransportProtocol.WebSocket)]
    [TestCase(TransportProtocol.Polling)]
    public async Task It_connects_with_auth_and_receives_the_auth_echo(TransportProtocol transport)
    {
        using var client = CreateClient(transport);
        var auth = NextAsync(client, "auth");
        await client.ConnectAsync().WaitAsync(Timeout);
        Assert.That(client.Connected, Is.True);
        Assert.That((await auth).GetValue<JsonElement>(0).GetProperty("token").GetString(), Is.EqualTo("good"));
        await client.DisconnectAsync();
    }

    [TestCase(TransportProtocol.WebSocket)]
    [TestCase(TransportProtocol.Polling)]
    public async Task It_emits_and_receives_text_and_binary(TransportProtocol transport)
    {
        using var client = CreateClient(transport);
        await client.ConnectAsync().WaitAsync(Timeout);
        var back = NextAsync(client, "message-back");
        await client.EmitAsync("message", 1, "two", new byte[] { 1, 2, 3 });
        var response = await back;
        Assert.That(response.GetValue<int>(0), Is.EqualTo(1));
        Assert.That(response.GetValue<string>(1), Is.EqualTo("two"));
        Assert.That(response.GetValue<byte[]>(2), Is.EqualTo(new byte[] { 1, 2, 3 }));
        await client.DisconnectAsync();
    }

    [TestCase(TransportProtocol.WebSocket)]
    [TestCase(TransportProtocol.Polling)]
    public async Task Acks_work_in_both_directions(TransportProtocol transport)
    {
        using var client = CreateClient(transport);
        await client.ConnectAsync().WaitAsync(Timeout);

        var acked = new TaskCompletionSource<SocketIOResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        await client.EmitAsync("message-with-ack", response => acked.TrySetResult(response), "x", 42);
        var ack = await acked.Task.WaitAsync(Timeout);
        Assert.That(ack.GetValue<string>(0), Is.EqualTo("x"));
        Assert.That(ack.GetValue<int>(1), Is.EqualTo(42));

        client.On("server-ack-request", async request => await request.CallbackAsync("got", request.GetValue<JsonElement>(0)));
        var result = NextAsync(client, "server-ack-result");
        await client.EmitAsync("request-server-ack", new { n = 7 });
        var answer = (await result).GetValue<JsonElement>(0);
        Assert.That(answer[0].GetString(), Is.EqualTo("got"));
        Assert.That(answer[1].GetProperty("n").GetInt32(), Is.EqualTo(7));
        await client.DisconnectAsync();
    }

    [Test]
    public async Task It_connects_to_a_second_namespace()
    {
        using var client = CreateClient(TransportProtocol.WebSocket, "/custom");
        await client.ConnectAsync().WaitAsync(Timeout);
        var back = NextAsync(client, "message-back");
        await client.EmitAsync("message", "in custom");
        Assert.That((await back).GetValue<string>(0), Is.EqualTo("in custom"));
        await client.DisconnectAsync();
    }

    [Test]
    public async Task A_refused_connection_reports_Unauthorized()
    {
        using var client = CreateClient(TransportProtocol.WebSocket, token: "bad");
        var error = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.OnError += (_, message) => error.TrySetResult(message);
        _ = client.ConnectAsync();
        Assert.That(await error.Task.WaitAsync(Timeout), Does.Contain("Unauthorized"));
        Assert.That(client.Connected, Is.False);
    }

    [Test]
    public async Task A_server_side_disconnect_is_reported()
    {
        using var client = CreateClient(TransportProtocol.WebSocket);
        await client.ConnectAsync().WaitAsync(Timeout);
        var disconnected = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.OnDisconnected += (_, reason) => disconnected.TrySetResult(reason);
        await client.EmitAsync("disconnect-me");
        Assert.That(await disconnected.Task.WaitAsync(Timeout), Is.EqualTo("io server disconnect"));
    }
}
