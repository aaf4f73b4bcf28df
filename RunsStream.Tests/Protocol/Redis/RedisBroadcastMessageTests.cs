using System.Text;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.Redis;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.Tests.Protocol.Redis;

/// <summary>The adapter's message between servers: round trips, and malformed bytes refused with a FormatException.</summary>
public sealed class RedisBroadcastMessageTests
{
    private static string Text(EngineFrame frame) => Encoding.UTF8.GetString(frame.Packet.Span);

    [Test]
    public void A_broadcast_with_rooms_except_and_binary_attachments_comes_back_frame_for_frame()
    {
        var packet = SocketIOEncodedPacket.Event("/chat", "файл ✓", new object?[] { "héllo 😀", new byte[] { 0, 1, 255 }, new byte[] { 42 } });
        var bytes = RedisBroadcastMessage.Encode("server-1", ["room 😀", "b"], ["x"], packet);

        var message = RedisBroadcastMessage.Decode(bytes);

        Assert.That(message.ServerId, Is.EqualTo("server-1"));
        Assert.That(message.Rooms, Is.EqualTo(new[] { "room 😀", "b" }));
        Assert.That(message.Except, Is.EqualTo(new[] { "x" }));
        Assert.That(message.Packet.Frames, Has.Count.EqualTo(3));
        Assert.That(message.Packet.Frames.Select(f => f.IsBinary), Is.EqualTo(new[] { false, true, true }));
        for (var i = 0; i < 3; i++)
        {
            Assert.That(message.Packet.Frames[i].WebSocketFrame.ToArray(), Is.EqualTo(packet.Frames[i].WebSocketFrame.ToArray()), $"frame {i}");
        }
        Assert.That(Text(message.Packet.Frames[0]), Does.StartWith("452-/chat,[\"файл ✓\",\"héllo \\uD83D\\uDE00\""));
    }

    [Test]
    public void A_broadcast_to_the_whole_namespace_has_no_rooms_and_no_except()
    {
        var packet = SocketIOEncodedPacket.Event("/", "news", new object?[] { 1 });

        var message = RedisBroadcastMessage.Decode(RedisBroadcastMessage.Encode("s", [], [], packet));

        Assert.That(message.Rooms, Is.Empty);
        Assert.That(message.Except, Is.Empty);
        Assert.That(Text(message.Packet.Frames.Single()), Is.EqualTo("42[\"news\",1]"));
    }

    [Test]
    public void Every_truncation_and_a_trailing_byte_are_refused_as_malformed()
    {
        var bytes = RedisBroadcastMessage.Encode("s", ["r"], ["e"], SocketIOEncodedPacket.Event("/", "news", new object?[] { "x" }));
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<FormatException>(() => RedisBroadcastMessage.Decode(bytes.AsSpan(0, length)), $"first {length} bytes");
        }
        Assert.Throws<FormatException>(() => RedisBroadcastMessage.Decode([.. bytes, 0]));
        Assert.Throws<FormatException>(() => RedisBroadcastMessage.Decode([2, .. bytes.AsSpan(1)]), "unknown version");
    }

    [Test]
    public void A_message_without_frames_or_starting_with_a_binary_frame_is_refused()
    {
        // version, server id "s", no rooms, no except, then the frames.
        byte[] head = [1, 0, 0, 0, 1, (byte)'s', 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Throws<FormatException>(() => RedisBroadcastMessage.Decode([.. head, 0, 0, 0, 0]), "no frame");
        Assert.Throws<FormatException>(() => RedisBroadcastMessage.Decode([.. head, 0, 0, 0, 1, 1, 0, 0, 0, 1, 7]), "binary first");
        Assert.Throws<FormatException>(() => RedisBroadcastMessage.Decode([.. head, 0, 0, 0, 1, 9, 0, 0, 0, 1, 7]), "unknown kind");
    }

    [Test]
    public void A_length_larger_than_the_message_is_refused_without_allocating_it()
    {
        Assert.Throws<FormatException>(() => RedisBroadcastMessage.Decode([1, 0x7F, 0xFF, 0xFF, 0xFF]));
    }
}
