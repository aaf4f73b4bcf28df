using System.Text;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.SocketIO;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>
/// The outbound queue's one send path: a packet of several frames (a Socket.IO packet with its
/// attachments) is taken whole or not at all, in order, within the byte bound; over an idle
/// WebSocket it goes straight to the socket like a single frame does, and what the socket does
/// not take reaches the writer first. The writer's completed writes are what
/// <c>WaitForWrittenAsync</c> waits for.
/// </summary>
[TestFixture]
public sealed class OutboundQueueTests
{
    private static EngineFrame Message(string text) => EngineFrame.Message(Encoding.UTF8.GetBytes(text));

    private static EngineFrame[] Packet(params string[] texts) => texts.Select(Message).ToArray();

    private static byte[] Bytes(IEnumerable<EngineFrame> frames) => frames.SelectMany(f => f.WebSocketFrame.ToArray()).ToArray();

    /// <summary>What the writer sends next: the partial rest first, then every queued frame.</summary>
    private static byte[] WriterTakes(OutboundQueue queue)
    {
        var bytes = new List<byte>(queue.BeginWrite().ToArray());
        var frames = new List<EngineFrame>();
        queue.Drain(frames);
        bytes.AddRange(Bytes(frames));
        queue.EndWrite();
        return bytes.ToArray();
    }

    [Test]
    public void Frames_leave_in_the_order_they_were_queued()
    {
        var queue = new OutboundQueue(1024);
        var a = Message("a");
        var packet = Packet("b", "c");
        var d = Message("d");

        queue.TryEnqueue(a);
        queue.TryEnqueue(packet);
        queue.TryEnqueue(d);

        var frames = new List<EngineFrame>();
        Assert.That(queue.Drain(frames), Is.EqualTo(4));
        Assert.That(frames, Is.EqualTo(new[] { a, packet[0], packet[1], d }));
        Assert.That(queue.BufferedBytes, Is.Zero);
    }

    [Test]
    public void An_empty_queue_takes_a_packet_larger_than_the_bound()
    {
        var big = Packet(new string('x', 200), new string('y', 200));
        var queue = new OutboundQueue(100);

        Assert.That(queue.TryEnqueue(big), Is.True);
        Assert.That(queue.Count, Is.EqualTo(2));
        Assert.That(queue.BufferedBytes, Is.EqualTo(big.Sum(f => f.Size)));
    }

    [Test]
    public void A_packet_that_would_pass_the_bound_behind_queued_frames_is_refused_whole()
    {
        var first = Message(new string('x', 60));
        var queue = new OutboundQueue(first.Size + 50);
        queue.TryEnqueue(first);

        Assert.That(queue.TryEnqueue(Packet("small", new string('y', 60))), Is.False);

        var frames = new List<EngineFrame>();
        queue.Drain(frames);
        Assert.That(frames, Is.EqualTo(new[] { first }), "no frame of the refused packet was queued");
        Assert.That(queue.BufferedBytes, Is.Zero);
    }

    [Test]
    public void Drain_takes_at_least_one_frame_and_then_no_more_than_the_batch_allows()
    {
        var queue = new OutboundQueue(10_000);
        var frames = Packet(new string('a', 100), new string('b', 100), new string('c', 100));
        queue.TryEnqueue(frames);

        var batch = new List<EngineFrame>();
        Assert.That(queue.Drain(batch, maxBytes: 1), Is.EqualTo(1), "one frame even over the batch size");
        Assert.That(queue.Drain(batch, maxBytes: frames[1].Size + frames[2].Size), Is.EqualTo(2));
        Assert.That(batch, Is.EqualTo(frames));
    }

    [Test]
    public void Over_an_idle_websocket_every_frame_of_a_packet_is_sent_now()
    {
        var queue = new OutboundQueue(1024);
        var output = new FakeWebSocketOutput();
        queue.EnableSendNow(output);
        var packet = SocketIOEncodedPacket.Event("/", "file", [new byte[] { 1, 2, 3 }]).Frames.ToArray();

        Assert.That(queue.TryEnqueue(packet), Is.True);

        Assert.That(output.Sent, Is.EqualTo(Bytes(packet)));
        Assert.That(output.Calls, Is.EqualTo(2), "the text frame, then its attachment");
        Assert.That(queue.Count, Is.Zero);
        Assert.That(queue.WaitAsync().IsCompleted, Is.False, "the writer has nothing to do");
    }

    [Test]
    public void After_a_partial_send_the_rest_of_the_frame_and_the_packet_queue_in_order()
    {
        var queue = new OutboundQueue(1024);
        var output = new FakeWebSocketOutput { Accept = 4 };
        queue.EnableSendNow(output);
        var packet = Packet("the text packet", "attachment one", "attachment two");
        var later = Message("a later packet");

        Assert.That(queue.TryEnqueue(packet), Is.True);
        queue.TryEnqueue(later);

        Assert.That(output.Calls, Is.EqualTo(1), "nothing more is tried behind a pending rest");
        Assert.That(queue.WaitAsync().IsCompleted, Is.True, "the writer is woken for the rest");
        Assert.That(output.Sent.Concat(WriterTakes(queue)), Is.EqualTo(Bytes([.. packet, later])));
        Assert.That(queue.BufferedBytes, Is.Zero);
    }

    [Test]
    public void A_packet_partly_sent_now_is_queued_whole_even_over_the_bound()
    {
        var packet = Packet(new string('x', 50), new string('y', 500));
        var queue = new OutboundQueue(100);
        var output = new FakeWebSocketOutput();
        queue.EnableSendNow(output);
        output.Accept = packet[0].Size; // the text frame goes whole, its attachment only in part

        Assert.That(queue.TryEnqueue(packet), Is.True);

        output.Accept = 0;
        Assert.That(output.Sent.Concat(WriterTakes(queue)), Is.EqualTo(Bytes(packet)), "never half a packet");
    }

    [Test]
    public void Waiting_for_written_completes_once_the_writer_has_written_what_was_queued_before()
    {
        var queue = new OutboundQueue(1024);
        queue.TryEnqueue(Message("connect"));

        var written = queue.WaitForWrittenAsync();
        Assert.That(written.IsCompleted, Is.False);

        queue.BeginWrite();
        var frames = new List<EngineFrame>();
        queue.Drain(frames);
        queue.TryEnqueue(Message("later: not waited for"));
        Assert.That(written.IsCompleted, Is.False, "taken is not yet written");
        queue.EndWrite();

        Assert.That(written.Wait(TimeSpan.FromSeconds(20)), Is.True);
    }

    [Test]
    public void Waiting_for_written_completes_at_once_when_everything_was_sent_now()
    {
        var queue = new OutboundQueue(1024);
        queue.EnableSendNow(new FakeWebSocketOutput());
        queue.TryEnqueue(Message("connect"));

        Assert.That(queue.WaitForWrittenAsync().IsCompleted, Is.True);
    }

    [Test]
    public void Waiting_for_written_covers_the_rest_of_a_partial_send_and_ends_when_the_queue_completes()
    {
        var queue = new OutboundQueue(1024);
        queue.EnableSendNow(new FakeWebSocketOutput { Accept = 2 });
        queue.TryEnqueue(Message("connect"));

        var written = queue.WaitForWrittenAsync();
        Assert.That(written.IsCompleted, Is.False, "the rest is still with the writer");
        WriterTakes(queue);
        Assert.That(written.Wait(TimeSpan.FromSeconds(20)), Is.True);

        queue.TryEnqueue(Message("never written"));
        var closing = queue.WaitForWrittenAsync();
        queue.Complete();
        Assert.That(closing.Wait(TimeSpan.FromSeconds(20)), Is.True);
    }
}
