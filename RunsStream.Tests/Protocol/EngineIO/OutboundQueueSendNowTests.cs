using System.Text;
using RunsStream.Protocol.EngineIO;
using RunsStream.Protocol.EngineIO.Transports;

namespace RunsStream.Tests.Protocol.EngineIO;

/// <summary>
/// Sending now: while the WebSocket writer is idle, a producer sends its frame on its own
/// thread. Whatever the socket does not take (a partial send, a full buffer) must reach the
/// client through the writer, first and exactly once, and nothing may interleave with the
/// writer's own sends.
/// </summary>
[TestFixture]
public sealed class OutboundQueueSendNowTests
{
    private static EngineFrame Message(string text) => EngineFrame.Message(Encoding.UTF8.GetBytes(text));

    /// <summary>What the writer would send now: the partial rest first, then the queued frames.</summary>
    private static byte[] WriterTakes(OutboundQueue queue)
    {
        var bytes = new List<byte>(queue.BeginWrite().ToArray());
        var frames = new List<EngineFrame>();
        queue.Drain(frames);
        foreach (var frame in frames)
        {
            bytes.AddRange(frame.WebSocketFrame.ToArray());
        }
        queue.EndWrite();
        return bytes.ToArray();
    }

    [Test]
    public void An_idle_writer_lets_the_producer_send_and_nothing_is_queued()
    {
        var queue = new OutboundQueue(1024);
        var output = new FakeWebSocketOutput();
        queue.EnableSendNow(output);
        var frame = Message("hello");

        Assert.That(queue.TryEnqueue(frame), Is.True);

        Assert.That(output.Sent, Is.EqualTo(frame.WebSocketFrame.ToArray()));
        Assert.That(queue.Count, Is.Zero);
        Assert.That(queue.BufferedBytes, Is.Zero);
    }

    [Test]
    public void The_rest_of_a_partial_send_goes_first_and_later_frames_queue_behind_it()
    {
        var queue = new OutboundQueue(1024);
        var output = new FakeWebSocketOutput { Accept = 3 };
        queue.EnableSendNow(output);
        var first = Message("first frame");
        var second = Message("second");

        queue.TryEnqueue(first);
        queue.TryEnqueue(second);

        Assert.That(output.Calls, Is.EqualTo(1), "once a rest is pending, producers queue");
        Assert.That(queue.WaitAsync().IsCompleted, Is.True, "the writer is woken for the rest");
        var all = output.Sent.Concat(WriterTakes(queue)).ToArray();
        Assert.That(all, Is.EqualTo(first.WebSocketFrame.ToArray().Concat(second.WebSocketFrame.ToArray()).ToArray()));
        Assert.That(queue.BufferedBytes, Is.Zero);
    }

    [Test]
    public void A_full_socket_queues_the_frame_for_the_writer()
    {
        var queue = new OutboundQueue(1024);
        var output = new FakeWebSocketOutput { Accept = 0 };
        queue.EnableSendNow(output);
        var frame = Message("wait");

        queue.TryEnqueue(frame);

        Assert.That(queue.Count, Is.EqualTo(1));
        Assert.That(WriterTakes(queue), Is.EqualTo(frame.WebSocketFrame.ToArray()));
    }

    [Test]
    public void While_the_writer_sends_producers_queue()
    {
        var queue = new OutboundQueue(1024);
        var output = new FakeWebSocketOutput();
        queue.EnableSendNow(output);

        queue.BeginWrite();
        queue.TryEnqueue(Message("during"));
        queue.EndWrite();
        Assert.That(output.Calls, Is.Zero);

        var frames = new List<EngineFrame>();
        queue.Drain(frames);
        queue.TryEnqueue(Message("after"));
        Assert.That(output.Calls, Is.EqualTo(1), "idle and empty again: sent now");
    }

    [Test]
    public void A_broken_connection_stops_sending_now_and_keeps_the_frame()
    {
        var queue = new OutboundQueue(1024);
        var output = new FakeWebSocketOutput { Accept = -1 };
        queue.EnableSendNow(output);

        queue.TryEnqueue(Message("a"));
        WriterTakes(queue);
        queue.TryEnqueue(Message("b"));

        Assert.That(output.Calls, Is.EqualTo(1), "no second try on a broken socket");
        Assert.That(queue.Count, Is.EqualTo(1));
    }

    [Test]
    public void After_disable_or_complete_nothing_is_sent_now()
    {
        var queue = new OutboundQueue(1024);
        var output = new FakeWebSocketOutput();
        queue.EnableSendNow(output);
        queue.DisableSendNow();
        queue.TryEnqueue(Message("queued"));
        Assert.That(output.Calls, Is.Zero);

        WriterTakes(queue);
        queue.EnableSendNow(output);
        queue.Complete();
        queue.TryEnqueue(Message("dropped"));
        Assert.That(queue.TrySendNow(Message("pong").WebSocketFrame), Is.False);
        Assert.That(output.Calls, Is.Zero);
    }

    [Test]
    public void The_bound_counts_a_pending_rest()
    {
        var frame = Message(new string('x', 100));
        var queue = new OutboundQueue(frame.Size + 10);
        var output = new FakeWebSocketOutput { Accept = 5 };
        queue.EnableSendNow(output);

        Assert.That(queue.TryEnqueue(frame), Is.True);
        Assert.That(queue.BufferedBytes, Is.EqualTo(frame.Size - 5));
        Assert.That(queue.TryEnqueue(Message(new string('y', 100))), Is.False, "over the bound behind the rest: slow consumer");
    }
}
