using System.Net.WebSockets;
using RunsStream.Protocol.SocketIO;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.SocketIO;

/// <summary>
/// What a connection may make the server hold for binary attachments: the count a packet may
/// announce, the bytes of one packet's attachments (maxPayload), and nothing at all before the
/// packet's namespace is joined. Each limit is probed with an engine PING after every message:
/// the server reads a connection's messages in order, so a PONG proves the message before it was
/// taken and the connection kept, and a close without that PONG proves where it ended.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SocketIOConnectionAttachmentLimitTests
{
    private const int MaxPayload = 1_000_000;
    private const string Placeholder0 = "{\"_placeholder\":true,\"num\":0}";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private RawHost _host = null!;
    private readonly TestClients _clients = new();

    [OneTimeSetUp]
    public async Task StartServer() => _host = await RawHost.StartRelaxedAsync(configureIO: io =>
        io.Of("/private").Use(_ => throw new ConnectionRefusedException("Unauthorized")));

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    [TearDown]
    public Task DisposeClients() => _clients.DisposeAllAsync();

    private async Task<RawWebSocketClient> OpenAsync() => _clients.Add(await RawSocketIOClient.OpenAsync(_host.Server));

    private async Task<RawWebSocketClient> OpenConnectedAsync() => _clients.Add((await RawSocketIOClient.OpenAndConnectAsync(_host.Server)).Client);

    private static string Placeholders(int count) =>
        string.Join(',', Enumerable.Range(0, count).Select(i => $"{{\"_placeholder\":true,\"num\":{i}}}"));

    /// <summary>
    /// Sends an engine PING and reads the next message: true for the PONG, false when the
    /// connection closed instead (a send refused because it is already closed counts as closed).
    /// </summary>
    private static async Task<bool> SurvivesAsync(RawWebSocketClient client, Func<Task> send)
    {
        try
        {
            await send();
            await client.SendTextAsync("2");
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
        }
        var next = await client.ReceiveOrCloseAsync();
        if (next is { } message)
        {
            Assert.That(message.ToString(), Is.EqualTo("3"), "nothing but the PONG is expected here");
            return true;
        }
        await client.Closed.WaitAsync(Timeout);
        return false;
    }

    [Test]
    public async Task Announcing_a_thousand_attachments_without_connecting_closes_the_connection_on_the_header()
    {
        var client = await OpenAsync();

        Assert.That(await SurvivesAsync(client, () => client.SendTextAsync($"451000-[\"x\",{Placeholder0}]")), Is.False);
        Assert.That(client.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure));
    }

    [Test]
    public async Task A_binary_packet_before_any_connect_closes_the_connection_before_an_attachment_is_held()
    {
        var client = await OpenAsync();

        Assert.That(await SurvivesAsync(client, () => client.SendTextAsync($"451-[\"x\",{Placeholder0}]")), Is.False);
    }

    [Test]
    public async Task A_binary_packet_after_a_refused_connect_closes_the_connection_before_an_attachment_is_held()
    {
        var client = await OpenAsync();
        await client.SendTextAsync("40/private,");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("44/private,{\"message\":\"Unauthorized\"}"));

        Assert.That(await SurvivesAsync(client, () => client.SendTextAsync($"451-/private,[\"x\",{Placeholder0}]")), Is.False);
    }

    [Test]
    public async Task A_binary_packet_for_a_namespace_not_joined_closes_the_connection_on_the_header()
    {
        var client = await OpenConnectedAsync();

        Assert.That(await SurvivesAsync(client, () => client.SendTextAsync($"451-/custom,[\"message\",{Placeholder0}]")), Is.False);
    }

    [Test]
    public async Task Announcing_more_than_ten_attachments_closes_the_connection_ten_are_accepted()
    {
        var ten = await OpenConnectedAsync();
        var eleven = await OpenConnectedAsync();

        Assert.That(await SurvivesAsync(ten, () => ten.SendTextAsync($"4510-[\"message\",{Placeholders(10)}]")), Is.True);
        Assert.That(await SurvivesAsync(eleven, () => eleven.SendTextAsync($"4511-[\"message\",{Placeholders(11)}]")), Is.False);
    }

    [Test]
    public async Task Attachments_of_one_packet_past_max_payload_close_the_connection_at_the_attachment_that_crosses_it()
    {
        var client = await OpenConnectedAsync();
        var part = new byte[400_000];
        Assert.That(await SurvivesAsync(client, () => client.SendTextAsync($"4510-[\"message\",{Placeholders(10)}]")), Is.True);

        var survived = new List<bool>();
        for (var i = 0; i < 10 && (survived.Count == 0 || survived[^1]); i++)
        {
            survived.Add(await SurvivesAsync(client, () => client.SendBinaryAsync(part)));
        }

        Assert.That(survived, Is.EqualTo(new[] { true, true, false }), "800,000 bytes held, the third 400,000 would pass 1,000,000");
    }

    [Test]
    public async Task Attachments_filling_max_payload_exactly_are_delivered()
    {
        var client = await OpenConnectedAsync();
        var first = Enumerable.Repeat((byte)1, MaxPayload / 2).ToArray();
        var second = Enumerable.Repeat((byte)2, MaxPayload / 2).ToArray();

        await client.SendTextAsync($"452-[\"message\",{Placeholders(2)}]");
        await client.SendBinaryAsync(first);
        await client.SendBinaryAsync(second);

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo($"452-[\"message-back\",{Placeholders(2)}]"));
        Assert.That(await client.ReceiveBinaryAsync(), Is.EqualTo(first));
        Assert.That(await client.ReceiveBinaryAsync(), Is.EqualTo(second));
    }

    [Test]
    public async Task Over_polling_a_binary_packet_before_any_connect_closes_the_session()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, "/socket.io/");

        await client.PostAsync($"451-[\"x\",{Placeholder0}]\u001e2");

        Assert.That(await client.PollAsync(), Is.EqualTo(new[] { "1" }), "closed on the header: the PING after it is not answered");
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task Over_polling_attachments_past_max_payload_close_the_session()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, "/socket.io/");
        await client.PostAsync("40");
        Assert.That(await client.ReceiveAsync(2), Has.Count.EqualTo(2), "the CONNECT answer and the auth event");
        var part = "b" + Convert.ToBase64String(new byte[400_000]);
        await client.PostAsync($"4510-[\"message\",{Placeholders(10)}]");

        var answers = new List<string>();
        for (var i = 0; i < 10 && !answers.Contains("1"); i++)
        {
            await client.PostAsync(part + "\u001e2");
            answers.AddRange(await client.PollAsync());
        }

        Assert.That(answers, Is.EqualTo(new[] { "3", "3", "1" }), "two attachments taken, the third closes the session");
    }
}
