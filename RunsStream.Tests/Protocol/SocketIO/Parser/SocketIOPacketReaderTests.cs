using System.Text;
using System.Text.Json;
using RunsStream.Protocol.SocketIO.Parser;

namespace RunsStream.Tests.Protocol.SocketIO.Parser;

/// <summary>
/// Decoding of Socket.IO v5 packets: every example of the socket.io-protocol v5 document, and
/// the inputs the reference parser refuses.
/// </summary>
[TestFixture]
public sealed class SocketIOPacketReaderTests
{
    private static SocketIOPacket Read(string text) => SocketIOPacketReader.Read(Encoding.UTF8.GetBytes(text));

    private static string? Json(SocketIOPacket packet) => packet.HasData ? packet.Data.GetRawText() : null;

    [TestCase("0", SocketIOPacketType.Connect, "/", null, null, 0)]
    [TestCase("0/admin,", SocketIOPacketType.Connect, "/admin", null, null, 0)]
    [TestCase("0{\"token\":\"123\"}", SocketIOPacketType.Connect, "/", null, "{\"token\":\"123\"}", 0)]
    [TestCase("0/admin,{\"token\":\"123\"}", SocketIOPacketType.Connect, "/admin", null, "{\"token\":\"123\"}", 0)]
    [TestCase("0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}", SocketIOPacketType.Connect, "/admin", null, "{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}", 0)]
    [TestCase("1", SocketIOPacketType.Disconnect, "/", null, null, 0)]
    [TestCase("1/admin,", SocketIOPacketType.Disconnect, "/admin", null, null, 0)]
    [TestCase("2[\"foo\"]", SocketIOPacketType.Event, "/", null, "[\"foo\"]", 0)]
    [TestCase("2/admin,[\"bar\"]", SocketIOPacketType.Event, "/admin", null, "[\"bar\"]", 0)]
    [TestCase("212[\"foo\"]", SocketIOPacketType.Event, "/", 12L, "[\"foo\"]", 0)]
    [TestCase("2/admin,456[\"bar\"]", SocketIOPacketType.Event, "/admin", 456L, "[\"bar\"]", 0)]
    [TestCase("2[1,2]", SocketIOPacketType.Event, "/", null, "[1,2]", 0)]
    [TestCase("312[]", SocketIOPacketType.Ack, "/", 12L, "[]", 0)]
    [TestCase("3/admin,13[\"bar\"]", SocketIOPacketType.Ack, "/admin", 13L, "[\"bar\"]", 0)]
    [TestCase("4{\"message\":\"Not authorized\"}", SocketIOPacketType.ConnectError, "/", null, "{\"message\":\"Not authorized\"}", 0)]
    [TestCase("4/admin,\"Not authorized\"", SocketIOPacketType.ConnectError, "/admin", null, "\"Not authorized\"", 0)]
    [TestCase("51-[\"hello\",{\"_placeholder\":true,\"num\":0}]", SocketIOPacketType.BinaryEvent, "/", null, "[\"hello\",{\"_placeholder\":true,\"num\":0}]", 1)]
    [TestCase("51-[\"baz\",{\"_placeholder\":true,\"num\":0}]", SocketIOPacketType.BinaryEvent, "/", null, "[\"baz\",{\"_placeholder\":true,\"num\":0}]", 1)]
    [TestCase("52-/admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", SocketIOPacketType.BinaryEvent, "/admin", null, "[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", 2)]
    [TestCase("51-14[\"foo\",{\"_placeholder\":true,\"num\":0}]", SocketIOPacketType.BinaryEvent, "/", 14L, "[\"foo\",{\"_placeholder\":true,\"num\":0}]", 1)]
    [TestCase("61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]", SocketIOPacketType.BinaryAck, "/", 15L, "[\"bar\",{\"_placeholder\":true,\"num\":0}]", 1)]
    [TestCase("61-/admin,1[{\"_placeholder\":true,\"num\":0}]", SocketIOPacketType.BinaryAck, "/admin", 1L, "[{\"_placeholder\":true,\"num\":0}]", 1)]
    [TestCase("61-/admin,456[{\"_placeholder\":true,\"num\":0}]", SocketIOPacketType.BinaryAck, "/admin", 456L, "[{\"_placeholder\":true,\"num\":0}]", 1)]
    public void A_packet_of_the_protocol_document_decodes_to_its_fields(string wire, SocketIOPacketType type, string ns, long? id, string? json, int attachments)
    {
        var packet = Read(wire);

        Assert.That(packet.Type, Is.EqualTo(type));
        Assert.That(packet.Namespace, Is.EqualTo(ns));
        Assert.That(packet.Id, Is.EqualTo(id));
        Assert.That(Json(packet), Is.EqualTo(json));
        Assert.That(packet.Attachments, Is.EqualTo(attachments));
    }

    [Test]
    public void A_binary_packet_knows_it_is_binary()
    {
        Assert.That(Read("51-[\"a\",{\"_placeholder\":true,\"num\":0}]").IsBinary, Is.True);
        Assert.That(Read("61-1[{\"_placeholder\":true,\"num\":0}]").IsBinary, Is.True);
        Assert.That(Read("2[\"a\"]").IsBinary, Is.False);
    }

    [Test]
    public void A_namespace_and_payload_may_hold_any_unicode()
    {
        var packet = Read("2/héllo,[\"€\",\"😀\"]");

        Assert.That(packet.Namespace, Is.EqualTo("/héllo"));
        Assert.That(packet.Data[1].GetString(), Is.EqualTo("😀"));
    }

    [TestCase("")]
    [TestCase("7")]
    [TestCase("7[\"x\"]")]
    [TestCase("9")]
    [TestCase("a")]
    [TestCase("-1")]
    public void An_unknown_packet_type_is_rejected(string wire)
    {
        Assert.Throws<SocketIOProtocolException>(() => Read(wire));
    }

    [TestCase("2{}")]
    [TestCase("2\"hello\"")]
    [TestCase("2")]
    [TestCase("2[]")]
    [TestCase("2[{}]")]
    [TestCase("2[null]")]
    [TestCase("2[true]")]
    [TestCase("2/admin,{}")]
    public void An_event_whose_payload_is_not_an_array_starting_with_a_name_is_rejected(string wire)
    {
        Assert.Throws<SocketIOProtocolException>(() => Read(wire));
    }

    [TestCase("connect")]
    [TestCase("connect_error")]
    [TestCase("disconnect")]
    [TestCase("disconnecting")]
    [TestCase("newListener")]
    [TestCase("removeListener")]
    public void An_event_with_a_reserved_name_is_rejected(string name)
    {
        Assert.Throws<SocketIOProtocolException>(() => Read($"2[\"{name}\"]"));
    }

    [TestCase("2abc[\"x\"]")]
    [TestCase("2[\"x\"")]
    [TestCase("2[\"x\"]]")]
    [TestCase("2[\"x\"]abc")]
    [TestCase("0{")]
    [TestCase("0/admin,{\"a\":}")]
    public void A_payload_that_is_not_exactly_one_json_value_is_rejected(string wire)
    {
        Assert.Throws<SocketIOProtocolException>(() => Read(wire));
    }

    [TestCase("5-[\"x\",{\"_placeholder\":true,\"num\":0}]")]
    [TestCase("5a-[\"x\",{\"_placeholder\":true,\"num\":0}]")]
    [TestCase("51[\"x\",{\"_placeholder\":true,\"num\":0}]")]
    [TestCase("5-1-[\"x\"]")]
    [TestCase("51001-[\"x\"]")]
    [TestCase("50-[\"x\"]")]
    [TestCase("60-1[]")]
    [TestCase("599999999999-[\"x\"]")]
    [TestCase("6a-1[{\"_placeholder\":true,\"num\":0}]")]
    public void A_binary_packet_with_an_illegal_attachment_count_is_rejected(string wire)
    {
        Assert.Throws<SocketIOProtocolException>(() => Read(wire));
    }

    [TestCase("3[]")]
    [TestCase("3/admin,[]")]
    [TestCase("61-[{\"_placeholder\":true,\"num\":0}]")]
    public void An_ack_without_an_id_is_rejected(string wire)
    {
        Assert.Throws<SocketIOProtocolException>(() => Read(wire));
    }

    [TestCase("3{}")]
    [TestCase("31")]
    [TestCase("31\"x\"")]
    public void An_ack_whose_payload_is_not_an_array_is_rejected(string wire)
    {
        Assert.Throws<SocketIOProtocolException>(() => Read(wire));
    }

    [TestCase("0[]")]
    [TestCase("0\"token\"")]
    [TestCase("1{}")]
    [TestCase("1[\"x\"]")]
    [TestCase("4")]
    [TestCase("4[]")]
    public void A_connect_disconnect_or_connect_error_with_the_wrong_payload_is_rejected(string wire)
    {
        Assert.Throws<SocketIOProtocolException>(() => Read(wire));
    }

    [Test]
    public void An_ack_id_longer_than_16_digits_is_rejected()
    {
        Assert.That(Read("21234567890123456[\"x\"]").Id, Is.EqualTo(1234567890123456L));
        Assert.Throws<SocketIOProtocolException>(() => Read("212345678901234567[\"x\"]"));
    }

    // Found by SocketIOPacketReaderFuzzTests: the event name's GetString threw InvalidOperationException,
    // which escaped the connection's protocol-error handling (a polling POST carries unchecked bytes).
    [TestCase(new byte[] { (byte)'2', (byte)'[', (byte)'"', 0xFF, (byte)'"', (byte)']' })]
    [TestCase(new byte[] { (byte)'2', (byte)'[', (byte)'"', (byte)'x', (byte)'"', (byte)',', (byte)'"', 0xC3, (byte)'"', (byte)']' })]
    [TestCase(new byte[] { (byte)'0', (byte)'{', (byte)'"', (byte)'t', (byte)'"', (byte)':', (byte)'"', 0xED, 0xA0, 0x80, (byte)'"', (byte)'}' })]
    [TestCase(new byte[] { (byte)'0', (byte)'/', 0xFF, (byte)',' })]
    public void Invalid_utf8_anywhere_in_a_packet_is_a_protocol_error(byte[] wire)
    {
        Assert.Throws<SocketIOProtocolException>(() => SocketIOPacketReader.Read(wire));
    }

    [Test]
    public void A_payload_nested_deeper_than_64_levels_is_rejected()
    {
        var deep = "2[\"x\"," + new string('[', 70) + new string(']', 70) + "]";

        Assert.Throws<SocketIOProtocolException>(() => Read(deep));
    }

    [Test]
    public void Every_placeholder_must_name_an_attachment_that_exists()
    {
        var ok = Read("52-[\"x\",{\"_placeholder\":true,\"num\":0},{\"nested\":[{\"_placeholder\":true,\"num\":1}]}]");
        Assert.DoesNotThrow(() => BinaryPlaceholder.Validate(ok.Data, ok.Attachments));

        foreach (var wire in new[]
        {
            "51-[\"x\",{\"_placeholder\":true,\"num\":1}]",
            "51-[\"x\",{\"_placeholder\":true,\"num\":-1}]",
            "51-[\"x\",{\"_placeholder\":true,\"num\":1.5}]",
            "51-[\"x\",{\"_placeholder\":true}]",
            "51-[\"x\",{\"a\":{\"_placeholder\":false,\"num\":0}}]",
        })
        {
            var packet = Read(wire);
            Assert.Throws<SocketIOProtocolException>(() => BinaryPlaceholder.Validate(packet.Data, packet.Attachments), wire);
        }
    }

    [TestCase("51-[\"x\",{\"_placeholder\":true,\"num\":\"0\"}]")]
    [TestCase("51-[\"x\",{\"_placeholder\":true,\"num\":null}]")]
    public void A_placeholder_whose_num_is_not_a_number_is_a_protocol_error(string wire)
    {
        var packet = Read(wire);

        Assert.Throws<SocketIOProtocolException>(() => BinaryPlaceholder.Validate(packet.Data, packet.Attachments));
    }

    [Test]
    public void A_placeholder_is_recognised_only_with_placeholder_true_and_an_integer_num()
    {
        Assert.That(BinaryPlaceholder.TryGetIndex(JsonDocument.Parse("{\"_placeholder\":true,\"num\":3}").RootElement, out var num), Is.True);
        Assert.That(num, Is.EqualTo(3));
        Assert.That(BinaryPlaceholder.TryGetIndex(JsonDocument.Parse("{\"_placeholder\":1,\"num\":3}").RootElement, out _), Is.False);
        Assert.That(BinaryPlaceholder.TryGetIndex(JsonDocument.Parse("[1]").RootElement, out _), Is.False);
    }

    [TestCase("511-[\"x\"]", 10)]
    [TestCase("51000-[\"x\"]", 10)]
    [TestCase("63-1[]", 2)]
    public void A_binary_packet_announcing_more_attachments_than_allowed_is_rejected(string wire, int max)
    {
        var ex = Assert.Throws<SocketIOProtocolException>(() => SocketIOPacketReader.Read(Encoding.UTF8.GetBytes(wire), max));

        Assert.That(ex!.Message, Is.EqualTo("too many attachments"));
    }

    [Test]
    public void Ten_attachments_are_allowed_by_default_as_in_the_reference_parser()
    {
        var placeholders = string.Join(',', Enumerable.Range(0, 10).Select(i => $"{{\"_placeholder\":true,\"num\":{i}}}"));

        Assert.That(Read($"510-[\"x\",{placeholders}]").Attachments, Is.EqualTo(10));
        Assert.Throws<SocketIOProtocolException>(() => Read($"511-[\"x\",{placeholders}]"));
    }

    [Test]
    public void A_larger_allowance_accepts_more_attachments()
    {
        Assert.That(SocketIOPacketReader.Read("5100-[\"x\"]"u8, 100).Attachments, Is.EqualTo(100));
    }
}
