using System.Text;
using RunsStream.Protocol.SocketIO.Parser;

namespace RunsStream.Tests.Protocol.SocketIO.Parser;

/// <summary>Collecting a binary packet's attachments (socket.io-protocol v5, "Binary attachments") within a byte bound.</summary>
[TestFixture]
public sealed class BinaryPacketAssemblerTests
{
    private static SocketIOPacket Header(int attachments)
    {
        var placeholders = string.Join(',', Enumerable.Range(0, attachments).Select(i => $"{{\"_placeholder\":true,\"num\":{i}}}"));
        return SocketIOPacketReader.Read(Encoding.UTF8.GetBytes($"5{attachments}-[\"x\",{placeholders}]"));
    }

    [Test]
    public void The_packet_is_complete_with_its_last_attachment_and_the_attachments_come_in_order()
    {
        var assembler = new BinaryPacketAssembler(100);
        var header = Header(2);
        assembler.Begin(header);

        Assert.That(assembler.TryAdd([1, 2], out _, out _), Is.False);
        Assert.That(assembler.BufferedBytes, Is.EqualTo(2));
        Assert.That(assembler.TryAdd([3], out var packet, out var attachments), Is.True);

        Assert.That(packet, Is.SameAs(header));
        Assert.That(attachments, Is.EqualTo(new[] { new byte[] { 1, 2 }, new byte[] { 3 } }));
        Assert.That((assembler.IsAssembling, assembler.BufferedBytes), Is.EqualTo((false, 0L)));
    }

    [Test]
    public void Attachments_filling_the_bound_exactly_are_accepted()
    {
        var assembler = new BinaryPacketAssembler(10);
        assembler.Begin(Header(2));

        assembler.TryAdd(new byte[4], out _, out _);

        Assert.That(assembler.TryAdd(new byte[6], out _, out var attachments), Is.True);
        Assert.That(attachments.Sum(a => a.Length), Is.EqualTo(10));
    }

    [Test]
    public void An_attachment_that_would_pass_the_bound_is_a_protocol_error_and_nothing_is_held_after_it()
    {
        var assembler = new BinaryPacketAssembler(10);
        assembler.Begin(Header(3));
        assembler.TryAdd(new byte[6], out _, out _);

        var ex = Assert.Throws<SocketIOProtocolException>(() => assembler.TryAdd(new byte[5], out _, out _));

        Assert.That(ex!.Message, Does.Contain("maximum payload"));
        Assert.That((assembler.IsAssembling, assembler.BufferedBytes), Is.EqualTo((false, 0L)));
    }

    [Test]
    public void An_attachment_when_none_is_expected_is_a_protocol_error()
    {
        var assembler = new BinaryPacketAssembler(10);

        Assert.Throws<SocketIOProtocolException>(() => assembler.TryAdd([1], out _, out _));
    }

    [Test]
    public void A_second_header_while_attachments_are_expected_is_a_protocol_error_and_drops_the_first()
    {
        var assembler = new BinaryPacketAssembler(10);
        assembler.Begin(Header(2));
        assembler.TryAdd([1], out _, out _);

        Assert.Throws<SocketIOProtocolException>(() => assembler.Begin(Header(1)));
        Assert.That((assembler.IsAssembling, assembler.BufferedBytes), Is.EqualTo((false, 0L)));
    }

    [Test]
    public void A_placeholder_beyond_the_announced_attachments_is_a_protocol_error_and_nothing_is_held()
    {
        var assembler = new BinaryPacketAssembler(10);
        var header = SocketIOPacketReader.Read("51-[\"x\",{\"_placeholder\":true,\"num\":1}]"u8);

        Assert.Throws<SocketIOProtocolException>(() => assembler.Begin(header));
        Assert.That(assembler.IsAssembling, Is.False);
    }
}
