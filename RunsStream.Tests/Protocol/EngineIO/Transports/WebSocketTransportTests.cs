using System.Net.WebSockets;
using RunsStream.Protocol.EngineIO.WebSockets;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO.Transports;

/// <summary>
/// The WebSocket transport against the raw Engine.IO echo at /engine.io/: a session opened
/// directly over WebSocket, echo of text and binary, and the close codes of RFC 6455 for
/// frames and packets that break the rules.
/// </summary>
[TestFixture(false)]
[TestFixture(true)]
[NonParallelizable]
public sealed class WebSocketTransportTests(bool webSocketsBeforeHttp)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const string EnginePath = "/engine.io/?EIO=4&transport=websocket";

    private RawHost _host = null!;
    private readonly TestClients _clients = new();

    [OneTimeSetUp]
    public async Task StartServer() => _host = await RawHost.StartRelaxedAsync(webSocketsBeforeHttp: webSocketsBeforeHttp);

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    [TearDown]
    public Task DisposeClients() => _clients.DisposeAllAsync();

    private async Task<RawWebSocketClient> OpenAsync() => _clients.Add(await RawWebSocketClient.OpenEngineAsync(_host.Server));

    private async Task<RawTcpWebSocket> OpenRawAsync()
    {
        var client = _clients.Add(await RawTcpWebSocket.ConnectAsync(_host.BaseUri, EnginePath));
        Assert.That(await client.ReadTextAsync(), Does.StartWith("0{\"sid\":"));
        return client;
    }

    [Test]
    public async Task A_session_opened_directly_over_websocket_echoes_text_messages()
    {
        var client = await OpenAsync();

        await client.SendTextAsync("4hello");

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("4hello"));
        Assert.That(_host.Echo.TryGetSession(client.Sid, out var session), Is.True);
        Assert.That(session.TransportName, Is.EqualTo("websocket"));
    }

    [Test]
    public async Task A_binary_message_is_echoed_as_a_binary_frame_without_a_type_byte()
    {
        var client = await OpenAsync();

        await client.SendBinaryAsync([1, 2, 3, 4]);

        Assert.That(await client.ReceiveBinaryAsync(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
    }

    [Test]
    public async Task A_large_binary_message_is_echoed_intact()
    {
        var client = await OpenAsync();
        var data = new byte[700_000];
        new Random(7).NextBytes(data);

        await client.SendBinaryAsync(data);

        Assert.That(await client.ReceiveBinaryAsync(), Is.EqualTo(data));
    }

    [Test]
    public async Task A_thousand_messages_are_echoed_in_order()
    {
        var client = await OpenAsync();

        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < 1000; i++)
            {
                await client.SendTextAsync("4m" + i);
            }
        });
        var received = new List<string>();
        for (var i = 0; i < 1000; i++)
        {
            received.Add(await client.ReceiveTextAsync());
        }
        await sending.WaitAsync(Timeout);

        Assert.That(received, Is.EqualTo(Enumerable.Range(0, 1000).Select(i => "4m" + i)));
    }

    [Test]
    public async Task A_ping_packet_from_the_client_is_answered_with_a_pong_packet()
    {
        var client = await OpenAsync();

        await client.SendTextAsync("2");

        Assert.That(await client.ReceiveTextAsync(), Is.EqualTo("3"));
    }

    [Test]
    public async Task A_fragmented_message_is_reassembled_before_it_is_read()
    {
        var client = await OpenRawAsync();

        await client.SendRawAsync(RawFrames.Client(RawFrames.Text, "4he"u8));
        await client.SendRawAsync(RawFrames.Client(RawFrames.Fin | RawFrames.Ping, "between"u8));
        await client.SendRawAsync(RawFrames.Client(0, "l"u8));
        await client.SendRawAsync(RawFrames.Client(RawFrames.Fin, "lo"u8));

        var pong = await client.ReadFrameAsync();
        Assert.That((pong?.Opcode, pong?.Text), Is.EqualTo((RawFrames.Pong, "between")));
        Assert.That(await client.ReadTextAsync(), Is.EqualTo("4hello"));
    }

    [Test]
    public async Task A_websocket_ping_frame_is_answered_with_a_pong_frame_carrying_the_same_payload()
    {
        var client = await OpenRawAsync();

        await client.SendRawAsync(RawFrames.Client(RawFrames.Fin | RawFrames.Ping, "abc"u8));

        var frame = await client.ReadFrameAsync();
        Assert.That((frame?.Opcode, frame?.Text, frame?.Masked), Is.EqualTo((RawFrames.Pong, "abc", false)));
    }

    [TestCase("9")]
    [TestCase("abc")]
    [TestCase("")]
    public async Task An_invalid_engine_packet_closes_the_socket_with_protocol_error(string packet)
    {
        var client = await OpenAsync();

        await client.SendTextAsync(packet);
        await client.WaitForCloseAsync();

        Assert.That(client.CloseStatus, Is.EqualTo(WebSocketCloseStatus.ProtocolError));
        await Eventually.WaitUntilAsync(() => !_host.Echo.TryGetSession(client.Sid, out _), "the session is gone", Timeout);
    }

    [Test]
    public async Task An_unmasked_client_frame_closes_the_socket_with_protocol_error()
    {
        var client = await OpenRawAsync();

        await client.SendRawAsync(RawFrames.Client(RawFrames.Fin | RawFrames.Text, "4hello"u8, masked: false));

        Assert.That(await client.ReadUntilCloseAsync(), Is.EqualTo(WebSocketCloseCodes.ProtocolError));
    }

    [Test]
    public async Task A_frame_with_a_reserved_bit_closes_the_socket_with_protocol_error()
    {
        var client = await OpenRawAsync();

        await client.SendRawAsync(RawFrames.Client(RawFrames.Fin | 0x40 | RawFrames.Text, "4hello"u8));

        Assert.That(await client.ReadUntilCloseAsync(), Is.EqualTo(WebSocketCloseCodes.ProtocolError));
    }

    [Test]
    public async Task A_continuation_without_a_started_message_closes_the_socket_with_protocol_error()
    {
        var client = await OpenRawAsync();

        await client.SendRawAsync(RawFrames.Client(RawFrames.Fin, "4hello"u8));

        Assert.That(await client.ReadUntilCloseAsync(), Is.EqualTo(WebSocketCloseCodes.ProtocolError));
    }

    [Test]
    public async Task A_frame_over_max_payload_closes_the_socket_with_message_too_big()
    {
        var client = await OpenRawAsync();
        var header = RawFrames.Client(RawFrames.Fin | RawFrames.Binary, new byte[1_000_001])[..14];

        await client.SendRawAsync(header);

        Assert.That(await client.ReadUntilCloseAsync(), Is.EqualTo(WebSocketCloseCodes.MessageTooBig));
    }

    [Test]
    public async Task A_fragmented_message_growing_over_max_payload_closes_the_socket_with_message_too_big()
    {
        var client = await OpenRawAsync();

        await client.SendRawAsync(RawFrames.Client(RawFrames.Binary, new byte[600_000]));
        await client.SendRawAsync(RawFrames.Client(RawFrames.Fin, new byte[600_000]));

        Assert.That(await client.ReadUntilCloseAsync(), Is.EqualTo(WebSocketCloseCodes.MessageTooBig));
    }

    [Test]
    public async Task A_text_frame_of_invalid_utf8_closes_the_socket_with_invalid_payload()
    {
        var client = await OpenRawAsync();

        await client.SendRawAsync(RawFrames.Client(RawFrames.Fin | RawFrames.Text, new byte[] { (byte)'4', 0xC3, 0x28 }));

        Assert.That(await client.ReadUntilCloseAsync(), Is.EqualTo(WebSocketCloseCodes.InvalidPayload));
    }

    [Test]
    public async Task A_close_frame_from_the_client_is_echoed_and_ends_the_session()
    {
        var client = await OpenRawAsync();
        var sessions = _host.Echo.SessionCount;

        await client.SendRawAsync(RawFrames.ClientClose(1000));

        Assert.That(await client.ReadUntilCloseAsync(), Is.EqualTo(1000));
        Assert.That(await client.ReadFrameAsync(), Is.Null, "the server ends the TCP connection after the close handshake");
        await Eventually.WaitUntilAsync(() => _host.Echo.SessionCount == sessions - 1, "the session is gone", Timeout);
    }

    [Test]
    public async Task A_close_packet_from_the_client_ends_the_session_and_the_socket()
    {
        var client = await OpenAsync();

        await client.SendTextAsync("1");
        await client.WaitForCloseAsync();

        await Eventually.WaitUntilAsync(() => !_host.Echo.TryGetSession(client.Sid, out _), "the session is gone", Timeout);
    }

    [Test]
    public async Task A_dropped_tcp_connection_ends_the_session()
    {
        var client = await OpenAsync();
        Assert.That(_host.Echo.TryGetSession(client.Sid, out _), Is.True);

        await client.DisposeAsync();

        await Eventually.WaitUntilAsync(() => !_host.Echo.TryGetSession(client.Sid, out _), "the session is gone", Timeout);
    }

    [Test]
    public async Task A_server_close_sends_the_queued_packets_then_a_normal_close_frame()
    {
        var client = await OpenAsync();
        Assert.That(_host.Echo.TryGetSession(client.Sid, out var session), Is.True);

        session.Send(RunsStream.Protocol.EngineIO.EngineFrame.Message("one"u8));
        session.Send(RunsStream.Protocol.EngineIO.EngineFrame.Message("two"u8));
        session.Close("test");
        var before = await client.WaitForCloseAsync();

        Assert.That(before.Select(m => m.Text), Is.EqualTo(new[] { "4one", "4two" }));
        Assert.That(client.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure));
        await Eventually.WaitUntilAsync(() => !_host.Echo.TryGetSession(client.Sid, out _), "the session is gone", Timeout);
    }

    [Test]
    public async Task A_character_split_across_fragments_is_valid_utf8_once_reassembled()
    {
        var client = await OpenRawAsync();

        await client.SendRawAsync(RawFrames.Client(RawFrames.Text, new byte[] { (byte)'4', 0xC3 }));
        await client.SendRawAsync(RawFrames.Client(RawFrames.Fin, new byte[] { 0xA9 }));

        Assert.That(await client.ReadTextAsync(), Is.EqualTo("4é"));
    }
}
