using RunsStream.Protocol.EngineIO.WebSockets;

namespace RunsStream.Tests.Protocol.EngineIO.WebSockets;

/// <summary>The opening handshake (RFC 6455 section 4).</summary>
[TestFixture]
public sealed class WebSocketHandshakeTests
{
    [Test]
    public void The_accept_key_matches_the_RFC_6455_example()
    {
        Assert.That(WebSocketHandshake.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="), Is.EqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    }

    [Test]
    public void The_accept_key_ignores_surrounding_whitespace_of_the_key()
    {
        Assert.That(WebSocketHandshake.ComputeAccept(" dGhlIHNhbXBsZSBub25jZQ== "), Is.EqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    }

    [TestCase("dGhlIHNhbXBsZSBub25jZQ==", true)]
    [TestCase(null, false)]
    [TestCase("", false)]
    [TestCase("   ", false)]
    [TestCase("abc", false)]
    [TestCase("dGhlIHNhbXBsZSBub25jZQ", false)]
    [TestCase("dGhlIHNhbXBsZSBub25jZSE=", false)]
    [TestCase("dGhlIHNhbXBsZSBub25j", false)]
    public void Only_the_base64_of_16_bytes_is_a_valid_key(string? key, bool valid)
    {
        Assert.That(WebSocketHandshake.IsValidKey(key), Is.EqualTo(valid));
    }

    [TestCase("websocket", "websocket", true)]
    [TestCase("keep-alive, Upgrade", "upgrade", true)]
    [TestCase("WebSocket", "websocket", true)]
    [TestCase("h2c", "websocket", false)]
    [TestCase("websockets", "websocket", false)]
    [TestCase(null, "websocket", false)]
    public void A_header_token_is_found_case_insensitively_in_a_comma_list(string? value, string token, bool found)
    {
        Assert.That(WebSocketHandshake.HeaderContainsToken(value, token), Is.EqualTo(found));
    }
}
