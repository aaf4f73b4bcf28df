using System.Buffers;
using System.Text;
using RunsStream.Protocol.EngineIO.WebSockets;

namespace RunsStream.Tests.Protocol.EngineIO.WebSockets;

/// <summary>The request-head parser that recognises a WebSocket handshake before HTTP does.</summary>
[TestFixture]
public sealed class HttpRequestHeadTests
{
    private const string Handshake =
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: localhost:3000\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    private static HttpRequestHead.ParseResult Parse(string text, out HttpRequestHead? head, out long consumed)
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text));
        var result = HttpRequestHead.TryParse(buffer, out head, out var end);
        consumed = buffer.Slice(0, end).Length;
        return result;
    }

    [Test]
    public void A_complete_handshake_is_parsed_into_its_parts()
    {
        var result = Parse(Handshake + "\x81\x02hi", out var head, out var consumed);

        Assert.That(result, Is.EqualTo(HttpRequestHead.ParseResult.Complete));
        Assert.That(consumed, Is.EqualTo(Handshake.Length), "the bytes after the head are not consumed");
        Assert.That(head!.Method, Is.EqualTo("GET"));
        Assert.That(head.Path, Is.EqualTo("/socket.io/"));
        Assert.That(head.QueryString, Is.EqualTo("EIO=4&transport=websocket"));
        Assert.That(head.Version, Is.EqualTo("HTTP/1.1"));
        Assert.That(head["upgrade"], Is.EqualTo("websocket"), "header names are case-insensitive");
        Assert.That(head["Sec-WebSocket-Key"], Is.EqualTo("dGhlIHNhbXBsZSBub25jZQ=="));
        Assert.That(head["Origin"], Is.Null);
    }

    [Test]
    public void A_head_split_across_segments_is_parsed()
    {
        var bytes = Encoding.ASCII.GetBytes(Handshake);
        var first = new Segment(bytes.AsMemory(0, 30));
        var last = first.Append(bytes.AsMemory(30));
        var buffer = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);

        Assert.That(HttpRequestHead.TryParse(buffer, out var head, out _), Is.EqualTo(HttpRequestHead.ParseResult.Complete));
        Assert.That(head!["Connection"], Is.EqualTo("Upgrade"));
    }

    [Test]
    public void Repeated_fields_are_joined_and_values_trimmed()
    {
        Parse("GET / HTTP/1.1\r\nX-A:  one \r\nx-a:\ttwo\r\n\r\n", out var head, out _);

        Assert.That(head!["X-A"], Is.EqualTo("one, two"));
        Assert.That(head.QueryString, Is.EqualTo(""));
    }

    [TestCase("GET /socket.io/?EIO=4 HTTP/1.1\r\nHost: x\r\n")]
    [TestCase("GET /socket.io/")]
    [TestCase("")]
    public void An_unfinished_head_is_incomplete(string text) =>
        Assert.That(Parse(text, out _, out var consumed), Is.EqualTo(HttpRequestHead.ParseResult.Incomplete));

    [TestCase("GET /a HTTP/2.0\r\n\r\n", TestName = "not HTTP/1.x")]
    [TestCase("GET  HTTP/1.1\r\n\r\n", TestName = "no target")]
    [TestCase("GET /a b HTTP/1.1\r\n\r\n", TestName = "a space in the target")]
    [TestCase("G(T /a HTTP/1.1\r\n\r\n", TestName = "a method that is not a token")]
    [TestCase("GET /a HTTP/1.1\r\nHost x\r\n\r\n", TestName = "a field without a colon")]
    [TestCase("GET /a HTTP/1.1\r\nHost : x\r\n\r\n", TestName = "whitespace before the colon")]
    [TestCase("GET /a HTTP/1.1\r\n folded\r\n\r\n", TestName = "obsolete line folding")]
    [TestCase("GET /\u00e9 HTTP/1.1\r\n\r\n", TestName = "a non-ASCII target")]
    [TestCase("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", TestName = "a TLS client hello")]
    public void A_malformed_head_is_invalid(string text) =>
        Assert.That(Parse(text, out var head, out _), Is.EqualTo(HttpRequestHead.ParseResult.Invalid));

    [Test]
    public void A_head_longer_than_the_limit_is_invalid_complete_or_not()
    {
        var huge = "GET / HTTP/1.1\r\nX-Big: " + new string('a', HttpRequestHead.MaxLength);

        Assert.That(Parse(huge, out _, out _), Is.EqualTo(HttpRequestHead.ParseResult.Invalid));
        Assert.That(Parse(huge + "\r\n\r\n", out _, out _), Is.EqualTo(HttpRequestHead.ParseResult.Invalid));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
