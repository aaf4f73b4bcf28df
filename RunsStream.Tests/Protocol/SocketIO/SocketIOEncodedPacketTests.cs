using System.Text;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.SocketIO;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Protocol.SocketIO;

/// <summary>
/// Outbound Socket.IO packets are encoded exactly as the reference (socket.io-parser and the
/// socket.io-protocol v5 examples, with the Engine.IO "4" in front), once, as WebSocket frames.
/// </summary>
[TestFixture]
public sealed class SocketIOEncodedPacketTests
{
    private static string Text(EngineFrame frame)
    {
        Assert.That(frame.IsBinary, Is.False);
        return Encoding.UTF8.GetString(frame.Packet.Span);
    }

    private static string Single(SocketIOEncodedPacket packet)
    {
        Assert.That(packet.Frames, Has.Count.EqualTo(1));
        return Text(packet.Frames[0]);
    }

    private static void AssertValidWebSocketFrames(SocketIOEncodedPacket packet)
    {
        foreach (var frame in packet.Frames)
        {
            var bytes = frame.WebSocketFrame.ToArray();
            Assert.That(RawFrames.TryParseServerFrame(bytes, out var parsed), Is.EqualTo(bytes.Length), "exactly one frame");
            Assert.That(parsed.Fin, Is.True);
            Assert.That(parsed.Masked, Is.False);
            Assert.That(parsed.Rsv, Is.Zero);
            Assert.That(parsed.Opcode, Is.EqualTo(frame.IsBinary ? RawFrames.Binary : RawFrames.Text));
            Assert.That(parsed.Payload, Is.EqualTo(frame.Packet.ToArray()));
        }
    }

    [Test]
    public void An_event_is_42_then_the_json_array_of_name_and_arguments()
    {
        var packet = SocketIOEncodedPacket.Event("/", "hello", [1, "2", new Dictionary<string, bool[]> { ["3"] = [true] }]);

        Assert.That(Single(packet), Is.EqualTo("42[\"hello\",1,\"2\",{\"3\":[true]}]"));
        AssertValidWebSocketFrames(packet);
    }

    [Test]
    public void An_event_in_a_custom_namespace_puts_the_namespace_and_a_comma_first()
    {
        var packet = SocketIOEncodedPacket.Event("/custom", "hello", [1, "2", new Dictionary<string, bool[]> { ["3"] = [true] }]);

        Assert.That(Single(packet), Is.EqualTo("42/custom,[\"hello\",1,\"2\",{\"3\":[true]}]"));
    }

    [Test]
    public void An_event_without_arguments_is_just_its_name()
    {
        Assert.That(Single(SocketIOEncodedPacket.Event("/", "foo", [])), Is.EqualTo("42[\"foo\"]"));
        Assert.That(Single(SocketIOEncodedPacket.Event("/admin", "bar", [])), Is.EqualTo("42/admin,[\"bar\"]"));
    }

    [Test]
    public void An_event_with_an_ack_id_puts_the_id_before_the_payload()
    {
        Assert.That(Single(SocketIOEncodedPacket.Event("/", "foo", [], ackId: 12)), Is.EqualTo("4212[\"foo\"]"));
        Assert.That(Single(SocketIOEncodedPacket.Event("/admin", "foo", [], ackId: 13)), Is.EqualTo("42/admin,13[\"foo\"]"));
    }

    [Test]
    public void Null_and_nested_values_are_serialized_like_JSON_stringify()
    {
        var packet = SocketIOEncodedPacket.Event("/", "x", [null, new { name = "é<>&'", list = new[] { 1.5, -2 } }, "\"quoted\""]);

        Assert.That(Single(packet), Is.EqualTo("42[\"x\",null,{\"name\":\"é<>&'\",\"list\":[1.5,-2]},\"\\\"quoted\\\"\"]"));
    }

    [Test]
    public void A_byte_array_argument_becomes_a_binary_event_with_a_placeholder_and_an_attachment()
    {
        var packet = SocketIOEncodedPacket.Event("/", "hello", [new byte[] { 1, 2, 3, 4 }]);

        Assert.That(packet.Frames, Has.Count.EqualTo(2));
        Assert.That(Text(packet.Frames[0]), Is.EqualTo("451-[\"hello\",{\"_placeholder\":true,\"num\":0}]"));
        Assert.That(packet.Frames[1].IsBinary, Is.True);
        Assert.That(packet.Frames[1].Packet.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
        AssertValidWebSocketFrames(packet);
    }

    [Test]
    public void Two_buffers_in_a_custom_namespace_match_the_protocol_example()
    {
        var packet = SocketIOEncodedPacket.Event("/admin", "baz", [new byte[] { 1, 2 }, new byte[] { 3, 4 }]);

        Assert.That(packet.Frames, Has.Count.EqualTo(3));
        Assert.That(Text(packet.Frames[0]), Is.EqualTo("452-/admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]"));
        Assert.That(packet.Frames[1].Packet.ToArray(), Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(packet.Frames[2].Packet.ToArray(), Is.EqualTo(new byte[] { 3, 4 }));
    }

    [Test]
    public void A_buffer_nested_in_an_object_is_replaced_by_a_placeholder_where_it_was()
    {
        var packet = SocketIOEncodedPacket.Event("/", "file", [new { name = "a.bin", data = new byte[] { 9 } }]);

        Assert.That(packet.Frames, Has.Count.EqualTo(2));
        Assert.That(Text(packet.Frames[0]), Is.EqualTo("451-[\"file\",{\"name\":\"a.bin\",\"data\":{\"_placeholder\":true,\"num\":0}}]"));
        Assert.That(packet.Frames[1].Packet.ToArray(), Is.EqualTo(new byte[] { 9 }));
    }

    [Test]
    public void A_binary_event_with_an_ack_id_puts_count_namespace_then_id()
    {
        var packet = SocketIOEncodedPacket.Event("/admin", "tellme", [new byte[] { 1 }], ackId: 1);

        Assert.That(Text(packet.Frames[0]), Is.EqualTo("451-/admin,1[\"tellme\",{\"_placeholder\":true,\"num\":0}]"));
    }

    [Test]
    public void An_ack_is_43_then_the_id_then_the_argument_array()
    {
        Assert.That(Single(SocketIOEncodedPacket.Ack("/", 456, [1, "2"])), Is.EqualTo("43456[1,\"2\"]"));
        Assert.That(Single(SocketIOEncodedPacket.Ack("/", 12, [])), Is.EqualTo("4312[]"));
        Assert.That(Single(SocketIOEncodedPacket.Ack("/admin", 13, ["bar"])), Is.EqualTo("43/admin,13[\"bar\"]"));
    }

    [Test]
    public void An_ack_with_a_buffer_is_a_binary_ack()
    {
        var packet = SocketIOEncodedPacket.Ack("/", 15, ["bar", new byte[] { 1, 2, 3, 4 }]);

        Assert.That(packet.Frames, Has.Count.EqualTo(2));
        Assert.That(Text(packet.Frames[0]), Is.EqualTo("461-15[\"bar\",{\"_placeholder\":true,\"num\":0}]"));
        Assert.That(packet.Frames[1].Packet.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
        AssertValidWebSocketFrames(packet);
    }

    [Test]
    public void A_connect_answer_carries_the_socket_id()
    {
        Assert.That(Single(SocketIOEncodedPacket.Connect("/", "wZX3oN0bSVIhsaknAAAI")), Is.EqualTo("40{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}"));
        Assert.That(Single(SocketIOEncodedPacket.Connect("/admin", "oSO0OpakMV_3jnilAAAA")), Is.EqualTo("40/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}"));
    }

    [Test]
    public void A_connect_error_carries_the_message_and_optional_data()
    {
        Assert.That(Single(SocketIOEncodedPacket.ConnectError("/", "Not authorized")), Is.EqualTo("44{\"message\":\"Not authorized\"}"));
        Assert.That(Single(SocketIOEncodedPacket.ConnectError("/random", "Invalid namespace")), Is.EqualTo("44/random,{\"message\":\"Invalid namespace\"}"));
        Assert.That(Single(SocketIOEncodedPacket.ConnectError("/", "No", new { reason = "token" })), Is.EqualTo("44{\"message\":\"No\",\"data\":{\"reason\":\"token\"}}"));
    }

    [Test]
    public void A_disconnect_is_41_with_the_namespace_unless_main()
    {
        Assert.That(Single(SocketIOEncodedPacket.Disconnect("/")), Is.EqualTo("41"));
        Assert.That(Single(SocketIOEncodedPacket.Disconnect("/admin")), Is.EqualTo("41/admin,"));
    }

    [Test]
    public void A_large_event_is_one_valid_frame_with_the_64_bit_length_form()
    {
        var big = new string('z', 100_000);
        var packet = SocketIOEncodedPacket.Event("/", "big", [big]);

        Assert.That(Single(packet), Is.EqualTo("42[\"big\",\"" + big + "\"]"));
        Assert.That(packet.Frames[0].WebSocketFrame.Span[1], Is.EqualTo(127));
        AssertValidWebSocketFrames(packet);
    }

    [Test]
    public void Encoding_one_packet_does_not_disturb_one_encoded_before()
    {
        var first = SocketIOEncodedPacket.Event("/", "first", [new string('a', 5000), new byte[] { 1 }]);
        var firstText = Text(first.Frames[0]);
        var second = SocketIOEncodedPacket.Event("/", "second", ["b"]);

        Assert.That(Text(first.Frames[0]), Is.EqualTo(firstText));
        Assert.That(Single(second), Is.EqualTo("42[\"second\",\"b\"]"));
        Assert.That(firstText, Does.StartWith("451-[\"first\",\"aaaa"));
    }
}
