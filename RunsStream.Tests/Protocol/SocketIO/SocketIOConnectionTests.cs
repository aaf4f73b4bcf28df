using RunsStream.Protocol.SocketIO;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.SocketIO;

/// <summary>
/// Socket.IO v5 on the wire against the compliance host: CONNECT to namespaces, the auth
/// payload, unknown namespaces, refused connections and malformed packets (the connect timeout:
/// SocketIOConnectionTimeoutTests).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SocketIOConnectionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const string SidPattern = "\\{\"sid\":\"[A-Za-z0-9_-]{20}\"\\}";

    private RawHost _host = null!;
    private readonly TestClients _clients = new();

    [OneTimeSetUp]
    public async Task StartServer() => _host = await RawHost.StartComplianceAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    [TearDown]
    public Task DisposeClients() => _clients.DisposeAllAsync();

    private async Task<RawWebSocketClient> OpenAsync(TestServer? server = null) => _clients.Add(await RawSocketIOClient.OpenAsync(server ?? _host.Server));

    private async Task<RawWebSocketClient> OpenConnectedAsync() => _clients.Add((await RawSocketIOClient.OpenAndConnectAsync(_host.Server)).Client);

    [Test]
    public async Task Connect_to_the_main_namespace_is_answered_with_the_socket_id_then_the_auth_event()
    {
        var client = await OpenAsync();

        await client.SendTextAsync("40");

        Assert.That(await client.ReceiveTextAsync(), Does.Match("^40" + SidPattern + "$"));
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("42[\"auth\",{}]"));
    }

    [Test]
    public async Task The_auth_object_of_connect_reaches_the_namespace_unchanged()
    {
        var client = await OpenAsync();

        await client.SendTextAsync("40{\"token\":\"123\",\"n\":[1,true,null]}");

        Assert.That(await client.ReceiveTextAsync(), Does.Match("^40" + SidPattern + "$"));
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("42[\"auth\",{\"token\":\"123\",\"n\":[1,true,null]}]"));
    }

    [Test]
    public async Task Connect_to_a_custom_namespace_is_answered_in_that_namespace()
    {
        var client = await OpenAsync();

        await client.SendTextAsync("40/custom,");

        Assert.That(await client.ReceiveTextAsync(), Does.Match("^40/custom," + SidPattern + "$"));
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("42/custom,[\"auth\",{}]"));
    }

    [Test]
    public async Task Connect_to_a_custom_namespace_with_auth_echoes_the_auth_there()
    {
        var client = await OpenAsync();

        await client.SendTextAsync("40/custom,{\"token\":\"abc\"}");

        Assert.That(await client.ReceiveTextAsync(), Does.Match("^40/custom," + SidPattern + "$"));
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("42/custom,[\"auth\",{\"token\":\"abc\"}]"));
    }

    [Test]
    public async Task One_connection_carries_two_namespaces_and_routes_each_packet_to_its_own()
    {
        var client = await OpenAsync();
        var rootId = await RawSocketIOClient.ConnectAsync(client, "/");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("42[\"auth\",{}]"));
        var customId = await RawSocketIOClient.ConnectAsync(client, "/custom");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("42/custom,[\"auth\",{}]"));

        await client.SendTextAsync("42[\"message\",1]");
        await client.SendTextAsync("42/custom,[\"message\",2]");

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("42[\"message-back\",1]"));
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("42/custom,[\"message-back\",2]"));
        Assert.That(rootId, Is.Not.EqualTo(customId));
    }

    [Test]
    public async Task Connect_to_an_unknown_namespace_gets_exactly_the_reference_connect_error_and_the_connection_stays()
    {
        var client = await OpenAsync();

        await client.SendTextAsync("40/random,");

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("44/random,{\"message\":\"Invalid namespace\"}"));
        await client.SendTextAsync("40");
        Assert.That(await client.ReceiveTextAsync(), Does.Match("^40" + SidPattern + "$"));
    }

    [Test]
    public async Task A_middleware_refusing_the_connection_sends_connect_error_with_its_message()
    {
        await using var scenario = await ScenarioHost.StartAsync();
        var client = await OpenAsync(scenario);

        await client.SendTextAsync("40{\"token\":\"bad\"}");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("44{\"message\":\"Unauthorized\"}"));

        await client.SendTextAsync("40/custom,{\"token\":\"bad\"}");
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("44/custom,{\"message\":\"Unauthorized\"}"));

        await client.SendTextAsync("40{\"token\":\"good\"}");
        Assert.That(await client.ReceiveTextAsync(), Does.Match("^40" + SidPattern + "$"));
        await client.DisposeAsync();
    }

    [Test]
    public async Task Connect_and_an_event_work_over_polling_as_in_the_sample_session()
    {
        using var client = await RawEngineClient.OpenAsync(_host.BaseUri, "/socket.io/");

        await client.PostAsync("40");
        var answers = await client.ReceiveAsync(2);
        await client.PostAsync("42[\"message\",\"hey\",\"Jude\"]");

        Assert.That(answers[0], Does.Match("^40" + SidPattern + "$"));
        Assert.That(answers[1], Is.EqualTo("42[\"auth\",{}]"));
        Assert.That(await client.ReceiveOneAsync(), Is.EqualTo("42[\"message-back\",\"hey\",\"Jude\"]"));
    }

    [TestCase("42{}", TestName = "An event whose payload is an object closes the connection")]
    [TestCase("42abc", TestName = "An event whose payload is not json closes the connection")]
    [TestCase("42[]", TestName = "An event without a name closes the connection")]
    [TestCase("42[\"connect\"]", TestName = "An event with a reserved name closes the connection")]
    [TestCase("47", TestName = "An unknown socket packet type closes the connection")]
    [TestCase("4abc", TestName = "A socket packet that is not a packet closes the connection")]
    [TestCase("4", TestName = "An empty socket packet closes the connection")]
    [TestCase("43[]", TestName = "An ack without an id closes the connection")]
    [TestCase("45-[\"x\",{\"_placeholder\":true,\"num\":0}]", TestName = "A binary event without an attachment count closes the connection")]
    [TestCase("451-[\"x\",{\"_placeholder\":true,\"num\":3}]", TestName = "A binary event with a placeholder beyond its attachments closes the connection")]
    [TestCase("44{\"message\":\"from the client\"}", TestName = "A connect error from the client is parsed but closes the connection")]
    [TestCase("42/custom,[\"message\",1]", TestName = "An event for a namespace the client did not join closes the connection")]
    [TestCase("41{}", TestName = "A disconnect with a payload closes the connection")]
    public async Task A_malformed_packet_closes_the_connection(string packet)
    {
        var client = await OpenConnectedAsync();

        await client.SendTextAsync(packet);
        var before = await client.WaitForCloseAsync();

        Assert.That(before.Select(m => m.ToString()), Is.Empty, "no answer before the close");
    }

    [Test]
    public async Task A_placeholder_whose_num_is_not_a_number_closes_the_connection()
    {
        var client = await OpenConnectedAsync();

        await client.SendTextAsync("451-[\"message\",{\"_placeholder\":true,\"num\":\"0\"}]");
        await client.SendTextAsync("42[\"message\",\"still-there\"]");
        var next = await client.ReceiveOrCloseAsync();

        Assert.That(next?.ToString(), Is.Null, "the malformed packet must close the connection before the next event is answered");
    }

    [Test]
    public async Task A_binary_message_when_no_attachment_is_expected_closes_the_connection()
    {
        var client = await OpenConnectedAsync();

        await client.SendBinaryAsync([1, 2, 3]);

        Assert.That(await client.WaitForCloseAsync(), Is.Empty);
    }

    [Test]
    public async Task A_text_packet_while_attachments_are_expected_closes_the_connection()
    {
        var client = await OpenConnectedAsync();

        await client.SendTextAsync("452-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
        await client.SendBinaryAsync([1]);
        await client.SendTextAsync("42[\"message\",1]");

        Assert.That(await client.WaitForCloseAsync(), Is.Empty);
    }

    [Test]
    public async Task Disconnect_from_a_namespace_leaves_the_connection_open_for_a_new_connect()
    {
        var io = _host.IO;
        var client = await OpenAsync();
        var first = await RawSocketIOClient.ConnectAsync(client);
        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("42[\"auth\",{}]"));

        await client.SendTextAsync("41");
        await Eventually.WaitUntilAsync(() => !io.Root.TryGetSocket(first, out _), "the socket left the namespace", Timeout);
        var second = await RawSocketIOClient.ConnectAsync(client);

        Assert.That(second, Is.Not.EqualTo(first));
        Assert.That(io.Root.TryGetSocket(second, out var socket), Is.True);
        Assert.That(socket.Transport, Is.EqualTo("websocket"));
    }
}
