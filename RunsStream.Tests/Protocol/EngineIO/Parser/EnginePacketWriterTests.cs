using System.Buffers;
using System.Text;
using RunsStream.Protocol.EngineIO.Parser;

namespace RunsStream.Tests.Protocol.EngineIO.Parser;

/// <summary>Encoding of Engine.IO v4 packets and polling payloads, and round trips through the reader.</summary>
[TestFixture]
public sealed class EnginePacketWriterTests
{
    private static string WriteText(EnginePacketType type, string data)
    {
        var buffer = new ArrayBufferWriter<byte>();
        EnginePacketWriter.WriteText(buffer, type, Encoding.UTF8.GetBytes(data));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string WritePayload(params (byte[] Packet, bool IsBinary)[] elements)
    {
        var buffer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < elements.Length; i++)
        {
            EnginePacketWriter.WritePayloadElement(buffer, elements[i].Packet, elements[i].IsBinary, first: i == 0);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static (byte[], bool) Text(string packet) => (Encoding.UTF8.GetBytes(packet), false);

    [TestCase(EnginePacketType.Message, "hello", "4hello")]
    [TestCase(EnginePacketType.Ping, "probe", "2probe")]
    [TestCase(EnginePacketType.Pong, "probe", "3probe")]
    [TestCase(EnginePacketType.Ping, "", "2")]
    [TestCase(EnginePacketType.Close, "", "1")]
    [TestCase(EnginePacketType.Noop, "", "6")]
    [TestCase(EnginePacketType.Message, "€😀", "4€😀")]
    public void A_text_packet_is_written_as_type_digit_and_data(EnginePacketType type, string data, string expected)
    {
        Assert.That(WriteText(type, data), Is.EqualTo(expected));
    }

    [Test]
    public void The_spec_payload_of_message_ping_message_is_joined_by_record_separators()
    {
        Assert.That(WritePayload(Text("4hello"), Text("2"), Text("4world")), Is.EqualTo("4hello\u001e2\u001e4world"));
    }

    [Test]
    public void A_binary_packet_in_a_payload_is_b_and_base64()
    {
        Assert.That(WritePayload(Text("4hello"), (new byte[] { 1, 2, 3, 4 }, true)), Is.EqualTo("4hello\u001ebAQIDBA=="));
        Assert.That(WritePayload((new byte[] { 1, 2, 3, 4 }, true)), Is.EqualTo("bAQIDBA=="));
    }

    [Test]
    public void An_empty_binary_packet_is_a_lone_b()
    {
        Assert.That(WritePayload((Array.Empty<byte>(), true)), Is.EqualTo("b"));
    }

    [Test]
    public void Any_mix_of_text_and_binary_packets_survives_a_payload_round_trip()
    {
        var random = new Random(4242);
        for (var round = 0; round < 200; round++)
        {
            var elements = new List<(byte[] Packet, bool IsBinary)>();
            var count = random.Next(1, 8);
            for (var i = 0; i < count; i++)
            {
                if (random.Next(2) == 0)
                {
                    var bytes = new byte[random.Next(0, 300)];
                    random.NextBytes(bytes);
                    elements.Add((bytes, true));
                }
                else
                {
                    var type = (EnginePacketType)random.Next(0, 7);
                    var text = new string(Enumerable.Range(0, random.Next(0, 50)).Select(_ => (char)random.Next('a', 'z' + 1)).ToArray()) + "é";
                    elements.Add((Encoding.UTF8.GetBytes(WriteText(type, text)), false));
                }
            }

            var sequence = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(WritePayload(elements.ToArray())));
            var decoded = new List<EnginePacket>();
            while (EnginePacketReader.TryReadPayloadPacket(ref sequence, out var packet))
            {
                decoded.Add(packet);
            }

            Assert.That(decoded, Has.Count.EqualTo(elements.Count), $"round {round}");
            for (var i = 0; i < elements.Count; i++)
            {
                Assert.That(decoded[i].IsBinary, Is.EqualTo(elements[i].IsBinary), $"round {round} packet {i}");
                var reencoded = decoded[i].IsBinary
                    ? decoded[i].Data.ToArray()
                    : Encoding.UTF8.GetBytes(WriteText(decoded[i].Type, Encoding.UTF8.GetString(decoded[i].Data.Span)));
                Assert.That(reencoded, Is.EqualTo(elements[i].Packet), $"round {round} packet {i}");
            }
        }
    }

    [Test]
    public void The_open_packet_data_has_the_reference_fields_in_the_reference_order()
    {
        var open = new OpenPacketData("lv_VI97HAXpY6yYWAAAC", ["websocket"], 25000, 20000, 1000000);

        Assert.That(Encoding.UTF8.GetString(open.ToUtf8Json()),
            Is.EqualTo("{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}"));
    }

    [Test]
    public void The_open_packet_data_of_a_websocket_session_offers_no_upgrade()
    {
        var open = new OpenPacketData("abc", [], 300, 200, 1000000);

        Assert.That(Encoding.UTF8.GetString(open.ToUtf8Json()),
            Is.EqualTo("{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":300,\"pingTimeout\":200,\"maxPayload\":1000000}"));
    }
}
