using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.Hosting;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO.Transports;

/// <summary>
/// Bad input on HTTP long-polling POSTs, against a raw Engine.IO server hosted as the runs
/// server hosts it: Kestrel's own request-body limit a little above maxPayload, so a chunked
/// body races Kestrel's check against the transport's.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PollingTransportInputTests
{
    private const int MaxPayload = 1_000_000;
    // As RunsStreamApp: Kestrel refuses bodies over max(REST limit 1 MiB, maxPayload) + 1.
    private const long KestrelBodyLimit = 1024 * 1024 + 1;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private TestServer _server = null!;
    private EngineServer _engine = null!;
    private readonly RecordingLogger _logger = new();
    private readonly ConcurrentQueue<string> _received = new();

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _engine = new EngineServer(RawHost.RelaxedEngineOptions(), session => new RecordingHandler(_received), _logger);
        _server = await TestServer.StartAsync(
            builder => builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = KestrelBodyLimit),
            app => app.MapEngineIO("/engine.io", _engine));
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _server.DisposeAsync();
        await _engine.DisposeAsync();
    }

    [SetUp]
    public void Clear()
    {
        _logger.Entries.Clear();
        _received.Clear();
    }

    /// <summary>
    /// Sends the head of a chunked POST, then <paramref name="chunkSize"/>-byte chunks until the
    /// server answers or <paramref name="total"/> bytes are out (then the last chunk). Send
    /// errors are expected: the server may close the connection after its answer.
    /// </summary>
    private async Task<RawHttp.Response> PostChunkedAsync(RawEngineClient client, int chunkSize, int total)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_server.BaseUri.Host, _server.BaseUri.Port).WaitAsync(Timeout);
        var answer = RawHttp.ReadResponseAsync(socket);
        var head = Encoding.ASCII.GetBytes(
            $"POST {client.SessionUrl} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain;charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n");
        var chunk = Encoding.ASCII.GetBytes($"{chunkSize:x}\r\n4{new string('a', chunkSize - 1)}\r\n");
        try
        {
            await socket.SendAsync(head).WaitAsync(Timeout);
            for (var sent = 0; sent < total && !answer.IsCompleted; sent += chunkSize)
            {
                await socket.SendAsync(chunk).WaitAsync(Timeout);
            }
            if (!answer.IsCompleted)
            {
                await socket.SendAsync("0\r\n\r\n"u8.ToArray()).WaitAsync(Timeout);
            }
        }
        catch (SocketException)
        {
        }
        return await answer.WaitAsync(Timeout);
    }

    [TestCase(2_000_000, 2_000_000)]
    [TestCase(1_100_000, 1_100_000)]
    [TestCase(256 * 1024, 3_000_000)]
    [TestCase(64 * 1024, 1_500_000)]
    public async Task A_chunked_post_over_max_payload_is_413_every_time_and_closes_the_session(int chunkSize, int total)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            using var client = await RawEngineClient.OpenAsync(_server.BaseUri);

            var response = await PostChunkedAsync(client, chunkSize, total);

            Assert.That(response.StatusCode, Is.EqualTo(413), $"attempt {attempt}: {response.Head}");
            Assert.That(await client.IsSessionGoneAsync(), Is.True, $"attempt {attempt}: the session is closed");
        }
        Assert.That(_received, Is.Empty, "nothing of an oversized body reaches the handler");
    }

    [Test]
    public async Task A_chunked_post_within_max_payload_is_accepted()
    {
        using var client = await RawEngineClient.OpenAsync(_server.BaseUri);

        var response = await PostChunkedAsync(client, 100_000, 100_000);

        Assert.That((response.StatusCode, response.Body), Is.EqualTo((200, "ok")));
        Assert.That(_received.Single(), Has.Length.EqualTo(99_999));
    }

    [TestCase(new byte[] { (byte)'4', 0xFF, (byte)'a' }, TestName = "A_text_packet_with_a_byte_that_is_never_UTF8_is_refused_and_closes_the_session")]
    [TestCase(new byte[] { (byte)'4', (byte)'a', 0xC3 }, TestName = "A_text_packet_ending_inside_a_character_is_refused_and_closes_the_session")]
    [TestCase(new byte[] { (byte)'4', 0xED, 0xA0, 0x80 }, TestName = "A_text_packet_with_an_encoded_surrogate_is_refused_and_closes_the_session")]
    [TestCase(new byte[] { (byte)'4', (byte)'o', (byte)'k', 0x1E, (byte)'4', 0xC0, 0xAF }, TestName = "An_overlong_encoding_after_a_good_packet_refuses_the_whole_post")]
    public async Task Invalid_utf8_in_a_text_packet(byte[] body)
    {
        using var client = await RawEngineClient.OpenAsync(_server.BaseUri);

        using var response = await client.PostRawAsync(new ByteArrayContent(body)).WaitAsync(Timeout);

        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(await response.Content.ReadAsStringAsync().WaitAsync(Timeout), Is.EqualTo("{\"code\":3,\"message\":\"Bad request\"}"));
        Assert.That(await client.IsSessionGoneAsync(), Is.True);
        Assert.That(_received, Is.Empty, "no packet of the refused POST reaches the handler");
        var mentions = _logger.Entries.Where(e => e.Message.Contains("UTF-8", StringComparison.Ordinal)).ToList();
        Assert.That(mentions, Has.Count.EqualTo(1), "one line says why");
        Assert.That(mentions[0].Message, Does.Contain(client.Sid));
        Assert.That(_logger.Entries.Where(e => e.Level >= LogLevel.Error || e.Exception is not null), Is.Empty, "no error and no stack trace");
    }

    [Test]
    public async Task Valid_multibyte_text_still_reaches_the_handler()
    {
        using var client = await RawEngineClient.OpenAsync(_server.BaseUri);

        await client.PostAsync("4€ 😀\u001e4é");

        Assert.That(_received, Is.EqualTo(new[] { "€ 😀", "é" }));
    }

    private sealed class RecordingHandler(ConcurrentQueue<string> received) : IEngineSessionHandler
    {
        public void OnMessage(EnginePacket packet) =>
            received.Enqueue(packet.IsBinary ? "binary" : new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(packet.Data.Span));

        public void OnClose(string reason)
        {
        }
    }

    public sealed record LogEntry(LogLevel Level, string Message, Exception? Exception);

    /// <summary>Keeps every line the engine server logs, at every level.</summary>
    private sealed class RecordingLogger : ILogger
    {
        public ConcurrentQueue<LogEntry> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue(new LogEntry(logLevel, formatter(state, exception), exception));
    }
}
