using System.Buffers;
using System.Text;
using RunsStream.Protocol.EngineIO.Parser;

namespace RunsStream.Tests.Protocol.EngineIO.Parser;

/// <summary>
/// Engine.IO v3 packets and payloads (engine.io-protocol v3; engine.io-parser 2.x): the text
/// payload's UTF-16 lengths, binary as "b4" + base64, the XHR2 binary payload, the WebSocket
/// type byte, round trips through the reader, and malformed input refused.
/// </summary>
[TestFixture]
public sealed class EnginePacketV3Tests
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string TextPayload(params (byte[] Packet, bool IsBinary)[] elements)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var (packet, isBinary) in elements)
        {
            EnginePacketWriterV3.WriteTextPayloadElement(buffer, packet, isBinary);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static List<EnginePacket> ReadText(string payload)
    {
        var packets = new List<EnginePacket>();
        var offset = 0;
        var bytes = Utf8(payload);
        while (EnginePacketReaderV3.TryReadTextPayloadPacket(bytes, ref offset, out var packet))
        {
            packets.Add(packet);
        }
        return packets;
    }

    [TestCase("4hello", "6:4hello")]
    [TestCase("2", "1:2")]
    [TestCase("4€", "2:4€")]
    [TestCase("4😀", "3:4😀")] // a surrogate pair counts two, as JavaScript's string length
    public void A_text_packet_is_prefixed_with_its_length_in_UTF16_code_units(string packet, string expected)
    {
        Assert.That(TextPayload((Utf8(packet), false)), Is.EqualTo(expected));
    }

    [Test]
    public void A_binary_packet_in_a_text_payload_is_b4_and_base64_with_its_length()
    {
        Assert.That(TextPayload((Utf8("40"), false), ([1, 2, 3], true)), Is.EqualTo("2:406:b4AQID"));
    }

    [Test]
    public void A_text_payload_round_trips_through_the_reader()
    {
        var packets = ReadText(TextPayload((Utf8("4😀é€ x"), false), ([0, 255, 9], true), (Utf8("2"), false)));
        Assert.That(packets, Has.Count.EqualTo(3));
        Assert.That(packets[0].Type, Is.EqualTo(EnginePacketType.Message));
        Assert.That(Encoding.UTF8.GetString(packets[0].Data.Span), Is.EqualTo("😀é€ x"));
        Assert.That(packets[1].IsBinary, Is.True);
        Assert.That(packets[1].Data.ToArray(), Is.EqualTo(new byte[] { 0, 255, 9 }));
        Assert.That(packets[2].Type, Is.EqualTo(EnginePacketType.Ping));
    }

    [Test]
    public void Empty_packets_are_skipped_as_the_reference_does()
    {
        Assert.That(ReadText("0:1:2").Select(p => p.Type), Is.EqualTo(new[] { EnginePacketType.Ping }));
    }

    [TestCase("5:4abc", Description = "shorter than its length")]
    [TestCase("x:4abc", Description = "not a length")]
    [TestCase(":4", Description = "no length")]
    [TestCase("4abc", Description = "no colon")]
    [TestCase("2:4😀", Description = "length splits a surrogate pair")]
    [TestCase("1:9", Description = "unknown packet type")]
    [TestCase("4:b4!!", Description = "bad base64")]
    [TestCase("5:b2AQI", Description = "base64 packet that is not a message")]
    public void A_malformed_text_payload_is_refused(string payload)
    {
        Assert.Throws<EngineProtocolException>(() => ReadText(payload));
    }

    [Test]
    public void A_binary_payload_frames_each_packet_with_a_kind_byte_digit_bytes_and_0xFF()
    {
        var buffer = new ArrayBufferWriter<byte>();
        EnginePacketWriterV3.WriteBinaryPayloadElement(buffer, Utf8("4é"), isBinary: false);
        EnginePacketWriterV3.WriteBinaryPayloadElement(buffer, new byte[12], isBinary: true);
        byte[] expected = [0, 3, 0xFF, (byte)'4', 0xC3, 0xA9, 1, 1, 3, 0xFF, 4, .. new byte[12]];
        Assert.That(buffer.WrittenSpan.ToArray(), Is.EqualTo(expected));

        var offset = 0;
        var packets = new List<EnginePacket>();
        while (EnginePacketReaderV3.TryReadBinaryPayloadPacket(buffer.WrittenMemory, ref offset, out var packet))
        {
            packets.Add(packet);
        }
        Assert.That(Encoding.UTF8.GetString(packets[0].Data.Span), Is.EqualTo("é"));
        Assert.That(packets[1].IsBinary && packets[1].Data.Length == 12, Is.True);
    }

    [TestCase(new byte[] { 2, 1, 0xFF, 0x34 }, Description = "unknown kind")]
    [TestCase(new byte[] { 0, 5, 0xFF, 0x34 }, Description = "shorter than its length")]
    [TestCase(new byte[] { 0, 0xFF, 0x34 }, Description = "no length digits")]
    [TestCase(new byte[] { 0, 12, 0xFF, 0x34 }, Description = "a digit above 9")]
    [TestCase(new byte[] { 1, 1, 0xFF, 3 }, Description = "binary that is not a message")]
    public void A_malformed_binary_payload_is_refused(byte[] payload)
    {
        var offset = 0;
        Assert.Throws<EngineProtocolException>(() =>
        {
            while (EnginePacketReaderV3.TryReadBinaryPayloadPacket(payload, ref offset, out _))
            {
            }
        });
    }

    [Test]
    public void A_WebSocket_binary_message_carries_the_type_byte_and_base64_clients_get_b4()
    {
        var binary = new ArrayBufferWriter<byte>();
        EnginePacketWriterV3.WriteMessage(binary, [7, 8], isBinary: true, base64: false);
        Assert.That(binary.WrittenSpan.ToArray(), Is.EqualTo(new byte[] { 4, 7, 8 }));
        Assert.That(EnginePacketReaderV3.ReadBinary(binary.WrittenMemory).Data.ToArray(), Is.EqualTo(new byte[] { 7, 8 }));

        var text = new ArrayBufferWriter<byte>();
        EnginePacketWriterV3.WriteMessage(text, [7, 8], isBinary: true, base64: true);
        Assert.That(Encoding.ASCII.GetString(text.WrittenSpan), Is.EqualTo("b4Bwg="));
        var decoded = EnginePacketReaderV3.ReadText(text.WrittenMemory);
        Assert.That(decoded.IsBinary && decoded.Data.Span.SequenceEqual(new byte[] { 7, 8 }), Is.True);
        Assert.That(EnginePacketReaderV3.ReadText(Utf8("4hi")).Type, Is.EqualTo(EnginePacketType.Message));
    }
}
