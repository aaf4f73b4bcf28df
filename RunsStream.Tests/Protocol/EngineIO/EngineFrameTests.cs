using System.Text;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>An outbound packet is encoded once as a whole WebSocket frame; polling takes the packet part.</summary>
[TestFixture]
public sealed class EngineFrameTests
{
    private static RawFrames.ServerFrame ParseWhole(EngineFrame frame)
    {
        var bytes = frame.WebSocketFrame.ToArray();
        var used = RawFrames.TryParseServerFrame(bytes, out var parsed);
        Assert.That(used, Is.EqualTo(bytes.Length), "the WebSocket frame must be exactly one frame");
        return parsed;
    }

    [TestCase(0)]
    [TestCase(124)]
    [TestCase(125)]
    [TestCase(65534)]
    [TestCase(65535)]
    [TestCase(200_000)]
    public void A_message_frame_is_a_final_unmasked_text_frame_whose_payload_is_the_packet(int length)
    {
        var text = new string('x', length);
        var frame = EngineFrame.Message(Encoding.UTF8.GetBytes(text));
        var parsed = ParseWhole(frame);

        Assert.That(Encoding.UTF8.GetString(frame.Packet.Span), Is.EqualTo("4" + text));
        Assert.That(parsed.Fin, Is.True);
        Assert.That(parsed.Masked, Is.False);
        Assert.That(parsed.Rsv, Is.Zero);
        Assert.That(parsed.Opcode, Is.EqualTo(RawFrames.Text));
        Assert.That(parsed.Payload, Is.EqualTo(frame.Packet.ToArray()));
        Assert.That(frame.IsBinary, Is.False);
        Assert.That(frame.Size, Is.EqualTo(frame.WebSocketFrame.Length));
    }

    [Test]
    public void A_binary_frame_carries_the_raw_bytes_without_a_type_byte()
    {
        var frame = EngineFrame.Binary(new byte[] { 1, 2, 3, 4 });
        var parsed = ParseWhole(frame);

        Assert.That(frame.IsBinary, Is.True);
        Assert.That(frame.Packet.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
        Assert.That(parsed.Opcode, Is.EqualTo(RawFrames.Binary));
        Assert.That(parsed.Payload, Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void The_shared_control_frames_are_the_one_character_packets()
    {
        Assert.That(Encoding.UTF8.GetString(EngineFrame.Ping.Packet.Span), Is.EqualTo("2"));
        Assert.That(Encoding.UTF8.GetString(EngineFrame.Pong.Packet.Span), Is.EqualTo("3"));
        Assert.That(Encoding.UTF8.GetString(EngineFrame.Close.Packet.Span), Is.EqualTo("1"));
        Assert.That(Encoding.UTF8.GetString(EngineFrame.Noop.Packet.Span), Is.EqualTo("6"));
        Assert.That(Encoding.UTF8.GetString(EngineFrame.ProbePong.Packet.Span), Is.EqualTo("3probe"));
        Assert.That(ParseWhole(EngineFrame.ProbePong).Text, Is.EqualTo("3probe"));
    }

    [Test]
    public void A_frame_written_by_a_callback_stays_intact_after_later_frames_reuse_the_scratch_buffer()
    {
        var big = EngineFrame.Message(2_000_000, static (writer, n) => System.Buffers.BuffersExtensions.Write(writer, Encoding.UTF8.GetBytes(new string('a', n))));
        var small = EngineFrame.Message("hi", static (writer, s) => System.Buffers.BuffersExtensions.Write(writer, Encoding.UTF8.GetBytes(s)));
        var other = EngineFrame.Message("yo", static (writer, s) => System.Buffers.BuffersExtensions.Write(writer, Encoding.UTF8.GetBytes(s)));

        Assert.That(big.Packet.Length, Is.EqualTo(2_000_001));
        Assert.That(big.Packet.Span[1..].IndexOfAnyExcept((byte)'a'), Is.EqualTo(-1));
        Assert.That(Encoding.UTF8.GetString(small.Packet.Span), Is.EqualTo("4hi"));
        Assert.That(Encoding.UTF8.GetString(other.Packet.Span), Is.EqualTo("4yo"));
        Assert.That(ParseWhole(small).Text, Is.EqualTo("4hi"));
    }

    [Test]
    public void A_text_frame_of_any_type_starts_with_its_digit()
    {
        foreach (var type in Enum.GetValues<EnginePacketType>())
        {
            var frame = EngineFrame.Text(type, "x"u8);
            Assert.That(Encoding.UTF8.GetString(frame.Packet.Span), Is.EqualTo((char)('0' + (int)type) + "x"));
        }
    }
}
