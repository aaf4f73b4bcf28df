using System.Net;
using System.Net.Sockets;
using System.Text;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO.Transports;

/// <summary>
/// HTTP long-polling (engine.io-protocol v4, "HTTP long-polling") against the raw Engine.IO
/// echo at /engine.io/, with a heartbeat long enough to stay out of the way.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PollingTransportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private RawHost _host = null!;
    private readonly TestClients _clients = new();

    [OneTimeSetUp]
    public async Task StartServer() => _host = await RawHost.StartRelaxedAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _host.DisposeAsync();

    [TearDown]
    public Task DisposeClients() => _clients.DisposeAllAsync();

    private async Task<RawEngineClient> OpenAsync() => _clients.Add(await RawEngineClient.OpenAsync(_host.BaseUri));

    private static async Task<(int Status, string Body)> ReadAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request.WaitAsync(Timeout);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync().WaitAsync(Timeout));
    }

    [Test]
    public async Task A_posted_message_is_answered_ok_and_comes_back_on_the_next_poll()
    {
        var client = await OpenAsync();

        using (var post = await client.PostRawAsync("4hello"))
        {
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await post.Content.ReadAsStringAsync().WaitAsync(Timeout), Is.EqualTo("ok"));
        }

        using var poll = await client.GetAsync();
        Assert.That(poll.Content.Headers.ContentType?.ToString(), Is.EqualTo("text/plain; charset=UTF-8"));
        Assert.That(await poll.Content.ReadAsStringAsync().WaitAsync(Timeout), Is.EqualTo("4hello"));
    }

    [Test]
    public async Task Several_packets_of_one_post_come_back_joined_by_record_separators()
    {
        var client = await OpenAsync();

        await client.PostAsync("4a\u001e4b\u001e4c");

        Assert.That(await client.GetBodyAsync(), Is.EqualTo("4a\u001e4b\u001e4c"));
    }

    [Test]
    public async Task Packets_of_several_posts_queued_before_a_poll_come_back_in_one_payload_in_order()
    {
        var client = await OpenAsync();

        for (var i = 0; i < 10; i++)
        {
            await client.PostAsync("4m" + i);
        }

        Assert.That(await client.GetBodyAsync(), Is.EqualTo(string.Join('\u001e', Enumerable.Range(0, 10).Select(i => "4m" + i))));
    }

    [Test]
    public async Task A_binary_message_travels_as_b_and_base64_both_ways()
    {
        var client = await OpenAsync();

        await client.PostAsync("bAQIDBA==\u001e4hello");

        Assert.That(await client.GetBodyAsync(), Is.EqualTo("bAQIDBA==\u001e4hello"));
    }

    [Test]
    public async Task Multibyte_utf8_text_survives_the_round_trip()
    {
        var client = await OpenAsync();

        await client.PostAsync("4€ 😀 é");

        Assert.That(await client.GetBodyAsync(), Is.EqualTo("4€ 😀 é"));
    }

    [Test]
    public async Task A_held_poll_is_answered_as_soon_as_a_message_arrives()
    {
        var client = await OpenAsync();
        var held = _host.Tap.ExpectPoll(client.Sid);
        var poll = client.GetBodyAsync();
        await held.WaitAsync(Timeout);
        Assert.That(poll.IsCompleted, Is.False, "the poll is held while there is nothing to send");

        await client.PostAsync("4late");

        Assert.That(await poll.WaitAsync(Timeout), Is.EqualTo("4late"));
    }

    [Test]
    public async Task A_second_concurrent_poll_is_refused_the_first_gets_close_and_the_session_is_gone()
    {
        var client = await OpenAsync();
        var held = _host.Tap.ExpectPoll(client.Sid);
        var first = ReadAsync(client.GetAsync());
        await held.WaitAsync(Timeout);

        var second = await ReadAsync(client.GetAsync());

        Assert.That(second, Is.EqualTo((400, "{\"code\":3,\"message\":\"Bad request\"}")));
        Assert.That(await first.WaitAsync(Timeout), Is.EqualTo((200, "1")));
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task A_second_concurrent_post_is_refused_and_the_session_is_gone()
    {
        var client = await OpenAsync();
        using var slowPost = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await slowPost.ConnectAsync(_host.BaseUri.Host, _host.BaseUri.Port).WaitAsync(Timeout);
        var waiting = _host.Tap.Expect(r => r.Method == "POST" && r.Query["sid"] == client.Sid);
        await slowPost.SendAsync(Encoding.ASCII.GetBytes(
            $"POST {client.SessionUrl} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n4abc")).WaitAsync(Timeout);
        await waiting.WaitAsync(Timeout);

        var second = await ReadAsync(client.PostRawAsync("4second"));

        Assert.That(second, Is.EqualTo((400, "{\"code\":3,\"message\":\"Bad request\"}")));
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task A_post_declaring_more_than_max_payload_gets_413_and_the_session_is_closed()
    {
        var client = await OpenAsync();

        var response = await RawHttp.SendAsync(_host.BaseUri,
            $"POST {client.SessionUrl} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000001\r\n\r\n");

        Assert.That(response.StatusCode, Is.EqualTo(413));
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task A_post_body_over_max_payload_gets_413_and_the_session_is_closed()
    {
        var client = await OpenAsync();
        using var body = new ByteArrayContent(Encoding.ASCII.GetBytes("4" + new string('a', 1_000_000)));

        HttpStatusCode? status = null;
        try
        {
            using var response = await client.PostRawAsync(body);
            status = response.StatusCode;
        }
        catch (HttpRequestException ex)
        {
            Assert.Fail("The client should read the 413 answer, but the request failed: " + ex.Message);
        }

        Assert.That(status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task A_chunked_post_growing_over_max_payload_gets_413_and_the_session_is_closed()
    {
        var client = await OpenAsync();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_host.BaseUri.Host, _host.BaseUri.Port).WaitAsync(Timeout);
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"POST {client.SessionUrl} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")).WaitAsync(Timeout);
        var chunk = Encoding.ASCII.GetBytes($"{100_000:x}\r\n{new string('a', 100_000)}\r\n");
        var answer = RawHttp.ReadResponseAsync(socket);
        for (var sent = 0; sent <= 1_000_000 && !answer.IsCompleted; sent += 100_000)
        {
            await socket.SendAsync(chunk).WaitAsync(Timeout);
        }

        var response = await answer.WaitAsync(Timeout);

        Assert.That(response.StatusCode, Is.EqualTo(413));
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task A_post_of_exactly_max_payload_is_accepted()
    {
        var client = await OpenAsync();
        var message = "4" + new string('a', 999_999);

        await client.PostAsync(message);

        Assert.That(await client.GetBodyAsync(), Is.EqualTo(message));
    }

    [TestCase("abc")]
    [TestCase("4hello\u001e")]
    [TestCase("bnot-base64!")]
    [TestCase("")]
    public async Task A_malformed_post_is_refused_with_code_3_and_the_session_is_closed(string payload)
    {
        var client = await OpenAsync();

        var response = await ReadAsync(client.PostRawAsync(payload));

        Assert.That(response, Is.EqualTo((400, "{\"code\":3,\"message\":\"Bad request\"}")));
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task An_aborted_poll_closes_the_session()
    {
        var client = await OpenAsync();
        using var abort = new CancellationTokenSource();
        var held = _host.Tap.ExpectPoll(client.Sid);
        var poll = client.GetAsync(abort.Token);
        await held.WaitAsync(Timeout);

        abort.Cancel();

        Assert.That(async () => await poll.WaitAsync(Timeout), Throws.InstanceOf<OperationCanceledException>());
        await Eventually.WaitUntilAsync(() => client.IsSessionGoneAsync(), "the session is closed", Timeout);
    }

    [Test]
    public async Task A_held_poll_is_released_with_noop_when_the_client_closes_the_session()
    {
        var client = await OpenAsync();
        var held = _host.Tap.ExpectPoll(client.Sid);
        var poll = client.GetBodyAsync();
        await held.WaitAsync(Timeout);

        await client.PostAsync("1");

        Assert.That(await poll.WaitAsync(Timeout), Is.EqualTo("6"));
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task A_ping_from_the_client_is_answered_with_a_pong()
    {
        var client = await OpenAsync();

        await client.PostAsync("2");

        Assert.That(await client.GetBodyAsync(), Is.EqualTo("3"));
    }

    [Test]
    public async Task A_session_closed_by_the_client_refuses_later_polls_as_unknown()
    {
        var client = await OpenAsync();

        await client.PostAsync("1");
        Assert.That(_host.Echo.TryGetSession(client.Sid, out _), Is.False);

        // A poll the client sent with its CLOSE, that reached the server just after it (the
        // official suite's "forcefully closes the session" sends both at once), gets the NOOP
        // it would have got had it arrived first; once. Every later poll is refused.
        Assert.That(await client.GetBodyAsync(), Is.EqualTo("6"));
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task Packets_a_client_has_no_business_sending_over_polling_are_ignored()
    {
        var client = await OpenAsync();

        await client.PostAsync("0\u001e5\u001e6\u001e3\u001e4after");

        Assert.That(await client.GetBodyAsync(), Is.EqualTo("4after"));
    }

    [Test]
    public async Task A_server_close_delivers_the_queued_packets_then_close_on_the_next_poll()
    {
        var client = await OpenAsync();
        Assert.That(_host.Echo.TryGetSession(client.Sid, out var session), Is.True);

        session.Send(RunsStream.Protocol.EngineIO.EngineFrame.Message("last"u8));
        session.Send(RunsStream.Protocol.EngineIO.EngineFrame.Binary(new byte[] { 1, 2, 3, 4 }));
        session.Close("test");

        Assert.That(await client.GetBodyAsync(), Is.EqualTo("4last\u001ebAQIDBA==\u001e1"));
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task A_server_close_answers_a_held_poll_with_close()
    {
        var client = await OpenAsync();
        Assert.That(_host.Echo.TryGetSession(client.Sid, out var session), Is.True);
        var held = _host.Tap.ExpectPoll(client.Sid);
        var poll = client.GetBodyAsync();
        await held.WaitAsync(Timeout);

        session.Close("test");

        Assert.That(await poll.WaitAsync(Timeout), Is.EqualTo("1"));
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
    }

    [Test]
    public async Task A_backlog_larger_than_one_poll_response_is_split_over_several_polls_in_order()
    {
        await using var host = await RawHost.StartRelaxedAsync(options => options with { Engine = options.Engine with { MaxPollingResponseBytes = 2000 } });
        using var client = await RawEngineClient.OpenAsync(host.BaseUri, "/socket.io/");
        await client.PostAsync("40");
        Assert.That(await client.ReceiveAsync(2), Has.Count.EqualTo(2));
        var socket = host.IO.Root.Sockets.Single();
        var payload = new string('p', 100);
        for (var i = 0; i < 100; i++)
        {
            Assert.That(socket.Emit("n", i, payload), Is.True);
        }

        var bodies = new List<string>();
        var packets = new List<string>();
        while (packets.Count < 100)
        {
            var body = await client.GetBodyAsync();
            bodies.Add(body);
            packets.AddRange(RawEngineClient.SplitPayload(body));
        }

        Assert.That(packets, Is.EqualTo(Enumerable.Range(0, 100).Select(i => $"42[\"n\",{i},\"{payload}\"]")));
        Assert.That(bodies, Has.Count.GreaterThan(1));
        Assert.That(bodies.Select(b => b.Length), Is.All.LessThanOrEqualTo(2100));
    }
}
