using System.Text;
using System.Text.Unicode;
using RunsStream.Protocol.EngineIO.WebSockets;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO.WebSockets;

/// <summary>Server frames (RFC 6455 section 5.2): final, unmasked, minimal length encoding.</summary>
[TestFixture]
public sealed class WebSocketFrameWriterTests
{
    [TestCase(0, new byte[] { 0x82, 0 })]
    [TestCase(125, new byte[] { 0x82, 125 })]
    [TestCase(126, new byte[] { 0x82, 126, 0, 126 })]
    [TestCase(65535, new byte[] { 0x82, 126, 0xFF, 0xFF })]
    [TestCase(65536, new byte[] { 0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0 })]
    public void The_header_uses_the_shortest_length_encoding(int length, byte[] header)
    {
        var payload = new byte[length];
        new Random(length).NextBytes(payload);

        var frame = WebSocketFrameWriter.CreateFrame(WebSocketOpcode.Binary, payload);

        Assert.That(frame[..header.Length], Is.EqualTo(header));
        Assert.That(frame[header.Length..], Is.EqualTo(payload));
        Assert.That(WebSocketFrameWriter.GetHeaderLength(length), Is.EqualTo(header.Length));
    }

    [Test]
    public void A_text_frame_parses_back_as_one_final_unmasked_text_frame()
    {
        var frame = WebSocketFrameWriter.CreateFrame(WebSocketOpcode.Text, "4hello"u8);

        Assert.That(RawFrames.TryParseServerFrame(frame, out var parsed), Is.EqualTo(frame.Length));
        Assert.That((parsed.Fin, parsed.Masked, parsed.Opcode, parsed.Text), Is.EqualTo((true, false, RawFrames.Text, "4hello")));
    }

    [Test]
    public void A_close_frame_carries_the_code_big_endian_then_the_reason()
    {
        var frame = WebSocketFrameWriter.CreateCloseFrame(1000, "bye");

        Assert.That(frame, Is.EqualTo(new byte[] { 0x88, 5, 0x03, 0xE8, (byte)'b', (byte)'y', (byte)'e' }));
    }

    [Test]
    public void A_long_close_reason_is_cut_to_fit_a_control_frame()
    {
        var frame = WebSocketFrameWriter.CreateCloseFrame(1002, new string('x', 300));

        Assert.That(RawFrames.TryParseServerFrame(frame, out var parsed), Is.EqualTo(frame.Length));
        Assert.That(parsed.Payload, Has.Length.EqualTo(125));
        Assert.That(parsed.CloseCode, Is.EqualTo(1002));
    }

    [Test]
    public void A_long_close_reason_is_cut_at_a_character_boundary_so_it_stays_valid_utf8()
    {
        // RFC 6455 section 5.5.1: the reason is UTF-8; a peer fails the connection on invalid UTF-8 (section 8.1).
        var frame = WebSocketFrameWriter.CreateCloseFrame(1000, new string('é', 100));

        Assert.That(RawFrames.TryParseServerFrame(frame, out var parsed), Is.EqualTo(frame.Length));
        Assert.That(parsed.Payload.Length, Is.LessThanOrEqualTo(125));
        Assert.That(Utf8.IsValid(parsed.Payload.AsSpan(2)), Is.True, "the close reason must be valid UTF-8");
    }
}
