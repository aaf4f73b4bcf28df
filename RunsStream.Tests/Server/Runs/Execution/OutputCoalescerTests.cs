using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs.Execution;

namespace RunsStream.Tests.Server.Runs.Execution;

[TestFixture]
public sealed class OutputCoalescerTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(5);

    private ManualTimeProvider _time = null!;
    private RecordingOutputSink _sink = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new ManualTimeProvider();
        _sink = new RecordingOutputSink();
    }

    private ManualTimeProvider.ManualTimer Timer => _time.Timers.Single();

    private OutputCoalescer Create(int maxChunkBytes = 100, IRunOutputSink? sink = null) =>
        new(sink ?? _sink, new OutputCoalescingOptions { MaxChunkBytes = maxChunkBytes, MaxDelay = Delay }, _time,
            NullLogger.Instance, processId: 1234);

    [Test]
    public void Text_of_one_stream_is_held_until_the_delay_passes_and_then_sent_as_one_event()
    {
        using OutputCoalescer coalescer = Create();

        coalescer.Append(OutputStream.Stdout, "ab", 2);
        coalescer.Append(OutputStream.Stdout, "cd", 2);

        Assert.That(_sink.EventCount, Is.Zero);
        Assert.That(Timer.DueTime, Is.EqualTo(Delay));
        Timer.Fire();
        Assert.That(_sink.Events, Is.EqualTo(new[] { (OutputStream.Stdout, "abcd") }));
    }

    [Test]
    public void Output_of_the_other_stream_flushes_the_pending_text_first()
    {
        using OutputCoalescer coalescer = Create();

        coalescer.Append(OutputStream.Stdout, "out", 3);
        coalescer.Append(OutputStream.Stderr, "err", 3);
        Timer.Fire();

        Assert.That(_sink.Events, Is.EqualTo(new[] { (OutputStream.Stdout, "out"), (OutputStream.Stderr, "err") }));
    }

    [Test]
    public void Reaching_the_chunk_size_flushes_without_waiting_and_disarms_the_timer()
    {
        using OutputCoalescer coalescer = Create(maxChunkBytes: 4);

        coalescer.Append(OutputStream.Stdout, "ab", 2);
        coalescer.Append(OutputStream.Stdout, "cd", 2);

        Assert.That(_sink.Events, Is.EqualTo(new[] { (OutputStream.Stdout, "abcd") }));
        Assert.That(Timer.DueTime, Is.Null);
    }

    [Test]
    public void A_piece_that_would_overflow_the_chunk_size_starts_a_new_event()
    {
        using OutputCoalescer coalescer = Create(maxChunkBytes: 4);

        coalescer.Append(OutputStream.Stdout, "abc", 3);
        coalescer.Append(OutputStream.Stdout, "de", 2);
        Timer.Fire();

        Assert.That(_sink.Events, Is.EqualTo(new[] { (OutputStream.Stdout, "abc"), (OutputStream.Stdout, "de") }));
    }

    [Test]
    public void Complete_delivers_what_is_pending_and_ignores_anything_later()
    {
        OutputCoalescer coalescer = Create();
        coalescer.Append(OutputStream.Stderr, "last", 4);

        coalescer.Complete();
        coalescer.Append(OutputStream.Stdout, "late", 4);
        Timer.Fire();

        Assert.That(_sink.Events, Is.EqualTo(new[] { (OutputStream.Stderr, "last") }));
        Assert.That(Timer.Disposed, Is.True);
    }

    [Test]
    public void A_throwing_sink_does_not_stop_later_output()
    {
        var calls = new List<string>();
        var sink = new Moq.Mock<IRunOutputSink>();
        sink.Setup(s => s.OnOutput(Moq.It.IsAny<OutputStream>(), Moq.It.IsAny<string>()))
            .Callback((OutputStream _, string text) =>
            {
                calls.Add(text);
                if (calls.Count == 1)
                {
                    throw new InvalidOperationException("sink bug");
                }
            });
        using OutputCoalescer coalescer = Create(maxChunkBytes: 1, sink: sink.Object);

        coalescer.Append(OutputStream.Stdout, "a", 1);
        coalescer.Append(OutputStream.Stdout, "b", 1);

        Assert.That(calls, Is.EqualTo(new[] { "a", "b" }));
    }
}
