using System.Buffers;
using System.Text;
using RunsStream.Protocol.EngineIO.Parser;

namespace RunsStream.Tests.Protocol.EngineIO.Parser;

/// <summary>Decoding of Engine.IO v4 packets and polling payloads (engine.io-protocol v4, "Packet encoding").</summary>
[TestFixture]
public sealed class EnginePacketReaderTests
{
    private static ReadOnlyMemory<byte> Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static List<EnginePacket> ReadPayload(string payload)
    {
        var sequence = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(payload));
        var packets = new List<EnginePacket>();
        while (EnginePacketReader.TryReadPayloadPacket(ref sequence, out var packet))
        {
            packets.Add(packet);
        }
        return packets;
    }

    private static string DataText(EnginePacket packet) => Encoding.UTF8.GetString(packet.Data.Span);

    [TestCase("0", EnginePacketType.Open, "")]
    [TestCase("1", EnginePacketType.Close, "")]
    [TestCase("2", EnginePacketType.Ping, "")]
    [TestCase("2probe", EnginePacketType.Ping, "probe")]
    [TestCase("3probe", EnginePacketType.Pong, "probe")]
    [TestCase("4hello", EnginePacketType.Message, "hello")]
    [TestCase("4", EnginePacketType.Message, "")]
    [TestCase("4€ and 😀", EnginePacketType.Message, "€ and 😀")]
    [TestCase("5", EnginePacketType.Upgrade, "")]
    [TestCase("6", EnginePacketType.Noop, "")]
    public void A_text_packet_is_its_type_digit_then_its_data(string wire, EnginePacketType type, string data)
    {
        var packet = EnginePacketReader.ReadText(Utf8(wire));

        Assert.That(packet.Type, Is.EqualTo(type));
        Assert.That(DataText(packet), Is.EqualTo(data));
        Assert.That(packet.IsBinary, Is.False);
    }

    [Test]
    public void Only_the_probe_ping_and_pong_are_probes()
    {
        Assert.That(EnginePacketReader.ReadText(Utf8("2probe")).IsProbe, Is.True);
        Assert.That(EnginePacketReader.ReadText(Utf8("3probe")).IsProbe, Is.True);
        Assert.That(EnginePacketReader.ReadText(Utf8("2")).IsProbe, Is.False);
        Assert.That(EnginePacketReader.ReadBinary("probe"u8.ToArray()).IsProbe, Is.False);
    }

    [Test]
    public void A_websocket_binary_frame_is_a_binary_message_without_a_type_byte()
    {
        var packet = EnginePacketReader.ReadBinary(new byte[] { 1, 2, 3, 4 });

        Assert.That(packet.Type, Is.EqualTo(EnginePacketType.Message));
        Assert.That(packet.IsBinary, Is.True);
        Assert.That(packet.Data.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void The_spec_payload_of_message_ping_message_is_read_as_three_packets()
    {
        var packets = ReadPayload("4hello\u001e2\u001e4world");

        Assert.That(packets.Select(p => (p.Type, DataText(p))), Is.EqualTo(new[]
        {
            (EnginePacketType.Message, "hello"),
            (EnginePacketType.Ping, ""),
            (EnginePacketType.Message, "world"),
        }));
    }

    [Test]
    public void The_spec_payload_with_a_base64_binary_packet_is_read_as_text_then_bytes()
    {
        var packets = ReadPayload("4hello\u001ebAQIDBA==");

        Assert.That(packets, Has.Count.EqualTo(2));
        Assert.That(DataText(packets[0]), Is.EqualTo("hello"));
        Assert.That(packets[1].IsBinary, Is.True);
        Assert.That(packets[1].Data.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void A_lone_binary_packet_bAQIDBA_is_the_bytes_1_2_3_4()
    {
        var packets = ReadPayload("bAQIDBA==");

        Assert.That(packets, Has.Count.EqualTo(1));
        Assert.That(packets[0].Data.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void A_payload_split_across_segments_is_read_the_same()
    {
        var bytes = Encoding.UTF8.GetBytes("4hello\u001e2\u001ebAQIDBA==\u001e4world");
        for (var split = 1; split < bytes.Length; split++)
        {
            var sequence = Support.RawFrames.Segmented(bytes[..split], bytes[split..]);
            var packets = new List<EnginePacket>();
            while (EnginePacketReader.TryReadPayloadPacket(ref sequence, out var packet))
            {
                packets.Add(packet);
            }

            Assert.That(packets, Has.Count.EqualTo(4), $"split at {split}");
            Assert.That(DataText(packets[0]), Is.EqualTo("hello"), $"split at {split}");
            Assert.That(packets[2].Data.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }), $"split at {split}");
            Assert.That(DataText(packets[3]), Is.EqualTo("world"), $"split at {split}");
        }
    }

    [Test]
    public void An_empty_payload_holds_no_packet()
    {
        var empty = ReadOnlySequence<byte>.Empty;

        Assert.That(EnginePacketReader.TryReadPayloadPacket(ref empty, out _), Is.False);
    }

    [TestCase("")]
    [TestCase("abc")]
    [TestCase("9")]
    [TestCase("7hello")]
    [TestCase("x")]
    public void A_malformed_text_packet_is_rejected(string wire)
    {
        Assert.Throws<EngineProtocolException>(() => EnginePacketReader.ReadText(Utf8(wire)));
    }

    [TestCase("4hello\u001e")]
    [TestCase("\u001e4hello")]
    [TestCase("4a\u001e\u001e4b")]
    [TestCase("abc")]
    [TestCase("9")]
    [TestCase("b!!!!")]
    [TestCase("4hello\u001eb%%%")]
    public void A_malformed_payload_is_rejected(string payload)
    {
        Assert.Throws<EngineProtocolException>(() => ReadPayload(payload));
    }

    [TestCase(new byte[] { (byte)'4', 0xFF })]
    [TestCase(new byte[] { (byte)'4', (byte)'a', 0xE2, 0x82 })]
    [TestCase(new byte[] { (byte)'4', 0xED, 0xB0, 0x80 })]
    [TestCase(new byte[] { (byte)'4', (byte)'a', 0x1E, (byte)'4', 0xC0, 0x80 })]
    public void A_payload_whose_text_packet_is_not_utf8_is_rejected(byte[] payload)
    {
        var sequence = new ReadOnlySequence<byte>(payload);

        var ex = Assert.Throws<EngineProtocolException>(() =>
        {
            while (EnginePacketReader.TryReadPayloadPacket(ref sequence, out _))
            {
            }
        });
        Assert.That(ex!.Message, Does.Contain("UTF-8"));
    }
}
