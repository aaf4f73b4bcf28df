using RunsStream.Protocol.SocketIO;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.SocketIO;

/// <summary>
/// A namespace socket on the wire: events, acks both ways and binary attachments, against
/// the compliance echo (and the relaxed host where the server side is driven in process).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SocketIOSocketTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const string Placeholder0 = "{\"_placeholder\":true,\"num\":0}";
    private const string Placeholder1 = "{\"_placeholder\":true,\"num\":1}";

    private RawHost _host = null!;
    private readonly TestClients _clients = new();

    [OneTimeSetUp]
    public async Task StartServer() => _host = await RawHost.StartRelaxedAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    [TearDown]
    public Task DisposeClients() => _clients.DisposeAllAsync();

    private async Task<(RawWebSocketClient Client, SocketIOSocket Socket)> ConnectAsync(string ns = "/", TestServer? server = null)
    {
        var (client, id) = await RawSocketIOClient.OpenAndConnectAsync(server ?? _host.Server, ns);
        _clients.Add(client);
        var io = server is null ? _host.IO : (SocketIOServer)server.Services.GetService(typeof(SocketIOServer))!;
        Assert.That(io.Of(ns).TryGetSocket(id, out var socket), Is.True);
        return (client, socket);
    }

    [Test]
    public async Task An_event_is_echoed_with_its_arguments_unchanged()
    {
        var (client, _) = await ConnectAsync();

        await client.SendTextAsync("42[\"message\",1,\"2\",{\"3\":[true]},null,1.5e300]");

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("42[\"message-back\",1,\"2\",{\"3\":[true]},null,1.5e300]"));
    }

    [Test]
    public async Task An_event_with_an_ack_id_is_answered_with_an_ack_of_the_same_id()
    {
        var (client, _) = await ConnectAsync();

        await client.SendTextAsync("421[\"message-with-ack\",1,\"2\",{\"3\":[true]}]");
        await client.SendTextAsync("42456[\"message-with-ack\"]");

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("431[1,\"2\",{\"3\":[true]}]"));
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("43456[]"));
    }

    [Test]
    public async Task An_event_with_an_ack_id_in_a_custom_namespace_is_acked_in_that_namespace()
    {
        var (client, _) = await ConnectAsync("/custom");

        await client.SendTextAsync("42/custom,17[\"message-with-ack\",{\"a\":true}]");

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("43/custom,17[{\"a\":true}]"));
    }

    [Test]
    public async Task A_binary_event_is_echoed_as_a_binary_event_with_its_attachment()
    {
        var (client, _) = await ConnectAsync();

        await client.SendTextAsync($"451-[\"message\",{Placeholder0}]");
        await client.SendBinaryAsync([1, 2, 3]);

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo($"451-[\"message-back\",{Placeholder0}]"));
        Assert.That(await client.ReceiveBinaryAsync(), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public async Task A_binary_event_with_two_attachments_keeps_their_order_and_nesting()
    {
        var (client, _) = await ConnectAsync("/custom");

        await client.SendTextAsync($"452-/custom,[\"message\",{Placeholder0},{{\"nested\":[{Placeholder1}]}}]");
        await client.SendBinaryAsync([1, 2]);
        await client.SendBinaryAsync([3, 4]);

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo($"452-/custom,[\"message-back\",{Placeholder0},{{\"nested\":[{Placeholder1}]}}]"));
        Assert.That(await client.ReceiveBinaryAsync(), Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(await client.ReceiveBinaryAsync(), Is.EqualTo(new byte[] { 3, 4 }));
    }

    [Test]
    public async Task A_binary_event_with_an_ack_id_is_answered_with_a_binary_ack()
    {
        var (client, _) = await ConnectAsync();

        await client.SendTextAsync($"451-5[\"message-with-ack\",{Placeholder0}]");
        await client.SendBinaryAsync([9, 8, 7]);

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo($"461-5[{Placeholder0}]"));
        Assert.That(await client.ReceiveBinaryAsync(), Is.EqualTo(new byte[] { 9, 8, 7 }));
    }

    [Test]
    public async Task A_server_emit_with_ack_completes_with_the_clients_ack_arguments()
    {
        var (client, socket) = await ConnectAsync();

        var answer = socket.EmitWithAckAsync("question", TimeSpan.FromSeconds(10), 1, "two");
        var question = await client.ReceiveTextAsync();
        Assert.That(question, Does.Match("^42(\\d+)\\[\"question\",1,\"two\"\\]$"));
        var id = question[2..question.IndexOf('[')];
        await client.SendTextAsync($"43{id}[\"answer\",{{\"ok\":true}}]");

        var args = await answer.WaitAsync(Timeout);
        Assert.That(args.Count, Is.EqualTo(2));
        Assert.That(args.Get<string>(0), Is.EqualTo("answer"));
        Assert.That(args[1].GetRawText(), Is.EqualTo("{\"ok\":true}"));
    }

    [Test]
    public async Task Each_server_emit_with_ack_gets_its_own_id_and_acks_may_come_in_any_order()
    {
        var (client, socket) = await ConnectAsync("/custom");

        var first = socket.EmitWithAckAsync("q", TimeSpan.FromSeconds(10), "a");
        var second = socket.EmitWithAckAsync("q", TimeSpan.FromSeconds(10), "b");
        var firstPacket = await client.ReceiveTextAsync();
        var secondPacket = await client.ReceiveTextAsync();
        var firstId = firstPacket["42/custom,".Length..firstPacket.IndexOf('[')];
        var secondId = secondPacket["42/custom,".Length..secondPacket.IndexOf('[')];
        Assert.That(firstId, Is.Not.EqualTo(secondId));

        await client.SendTextAsync($"43/custom,{secondId}[\"B\"]");
        await client.SendTextAsync($"43/custom,{firstId}[\"A\"]");

        Assert.That((await first.WaitAsync(Timeout)).Get<string>(0), Is.EqualTo("A"));
        Assert.That((await second.WaitAsync(Timeout)).Get<string>(0), Is.EqualTo("B"));
    }

    [Test]
    public async Task A_binary_ack_from_the_client_delivers_its_attachment()
    {
        var (client, socket) = await ConnectAsync();

        var answer = socket.EmitWithAckAsync("file-please", TimeSpan.FromSeconds(10));
        var question = await client.ReceiveTextAsync();
        var id = question[2..question.IndexOf('[')];
        await client.SendTextAsync($"461-{id}[{Placeholder0}]");
        await client.SendBinaryAsync([4, 2]);

        var args = await answer.WaitAsync(Timeout);
        Assert.That(args.IsBinary(0), Is.True);
        Assert.That(args.GetBytes(0), Is.EqualTo(new byte[] { 4, 2 }));
    }

    [Test]
    public async Task A_pending_server_ack_fails_when_the_client_goes_away()
    {
        var (client, socket) = await ConnectAsync();
        var answer = socket.EmitWithAckAsync("question", TimeSpan.FromSeconds(30));
        await client.ReceiveTextAsync();

        await client.DisposeAsync();

        Assert.That(async () => await answer.WaitAsync(Timeout), Throws.InstanceOf<InvalidOperationException>());
    }

    [Test]
    public async Task A_server_side_disconnect_sends_disconnect_for_the_namespace_and_the_disconnect_reason()
    {
        var (client, socket) = await ConnectAsync("/custom");
        var reason = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.OnDisconnect(r => reason.TrySetResult(r));

        socket.Disconnect();

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("41/custom,"));
        Assert.That(await reason.Task.WaitAsync(Timeout), Is.EqualTo("server namespace disconnect"));
        Assert.That(socket.Connected, Is.False);
    }

    [Test]
    public async Task A_server_emit_of_a_byte_array_arrives_as_a_binary_event()
    {
        var (client, socket) = await ConnectAsync();

        Assert.That(socket.Emit("file", "name.bin", new byte[] { 1, 2, 3, 4 }), Is.True);

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo($"451-[\"file\",\"name.bin\",{Placeholder0}]"));
        Assert.That(await client.ReceiveBinaryAsync(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
    }

    [Test]
    public async Task The_compliance_host_acks_and_echoes_binary_as_the_reference_does()
    {
        await using var compliance = await RawHost.StartComplianceAsync();
        var (client, _) = await ConnectAsync("/", compliance.Server);

        await client.SendTextAsync("4212[\"message-with-ack\",\"foo\"]");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("4312[\"foo\"]"));

        await client.SendTextAsync($"451-[\"message\",{Placeholder0}]");
        await client.SendBinaryAsync([1, 2, 3, 4]);
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo($"451-[\"message-back\",{Placeholder0}]"));
        Assert.That(await client.ReceiveBinaryAsync(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
        await client.DisposeAsync();
    }

    [Test]
    public async Task A_binary_event_over_polling_travels_as_base64_packets_in_the_payload()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, "/socket.io/");
        await client.PostAsync("40");
        Assert.That(await client.ReceiveAsync(2), Has.Count.EqualTo(2));

        await client.PostAsync($"451-[\"message\",{Placeholder0}]\u001ebAQIDBA==");

        Assert.That(await client.ReceiveAsync(2), Is.EqualTo(new[] { $"451-[\"message-back\",{Placeholder0}]", "bAQIDBA==" }));
    }

    [Test]
    public async Task Emitting_to_a_disconnected_socket_is_refused()
    {
        var (client, socket) = await ConnectAsync();
        var gone = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.OnDisconnect(reason => gone.TrySetResult(reason));

        await client.SendTextAsync("41");
        await gone.Task.WaitAsync(Timeout);

        Assert.That(socket.Emit("late"), Is.False);
        Assert.That(socket.Connected, Is.False);
    }
}
