using Microsoft.Extensions.Logging.Abstractions;
using RunsStream.Server.Runs.Execution;
using RunsStream.Tests.Support;

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
    public void Text_after_a_quiet_spell_goes_out_at_once_and_text_close_behind_is_held_until_the_delay()
    {
        using OutputCoalescer coalescer = Create();

        coalescer.Append(OutputStream.Stdout, "ab", 2);
        Assert.That(_sink.Events, Is.EqualTo(new[] { (OutputStream.Stdout, "ab") }), "no added latency after a quiet spell");

        _time.Advance(TimeSpan.FromMilliseconds(2));
        coalescer.Append(OutputStream.Stdout, "cd", 2);
        coalescer.Append(OutputStream.Stdout, "ef", 2);
        Assert.That(_sink.EventCount, Is.EqualTo(1), "held: the last event was only 2 ms ago");
        Assert.That(Timer.DueTime, Is.EqualTo(Delay - TimeSpan.FromMilliseconds(2)));
        Timer.Fire();
        Assert.That(_sink.Events, Is.EqualTo(new[] { (OutputStream.Stdout, "ab"), (OutputStream.Stdout, "cdef") }));

        _time.Advance(Delay);
        coalescer.Append(OutputStream.Stdout, "gh", 2);
        Assert.That(_sink.Events.Last(), Is.EqualTo((OutputStream.Stdout, "gh")));
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

        coalescer.Append(OutputStream.Stdout, "a", 1); // after a quiet spell: at once
        coalescer.Append(OutputStream.Stdout, "bc", 2);
        Assert.That(Timer.DueTime, Is.Not.Null);
        coalescer.Append(OutputStream.Stdout, "de", 2);

        Assert.That(_sink.Events, Is.EqualTo(new[] { (OutputStream.Stdout, "a"), (OutputStream.Stdout, "bcde") }));
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
        sink.Setup(s => s.OnOutput(Moq.It.IsAny<OutputStream>(), Moq.It.IsAny<byte[]>()))
            .Callback((OutputStream _, byte[] utf8) =>
            {
                calls.Add(System.Text.Encoding.UTF8.GetString(utf8));
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

    [Test]
    public void A_chunk_handed_over_at_once_is_the_events_own_exact_copy_not_the_read_buffer()
    {
        var sink = new ArraySink();
        using OutputCoalescer coalescer = Create(maxChunkBytes: 8, sink: sink);
        var read = "abcdefgh"u8.ToArray();

        coalescer.Append(OutputStream.Stdout, read, read.Length); // a full chunk: straight to an event
        _time.Advance(Delay);
        coalescer.Append(OutputStream.Stdout, read.AsSpan(0, 3), 3); // after a quiet spell: also at once
        read.AsSpan().Fill((byte)'z'); // the reader reuses its buffer for the next read

        Assert.That(sink.Arrays.Select(a => System.Text.Encoding.UTF8.GetString(a)), Is.EqualTo(new[] { "abcdefgh", "abc" }),
            "each event owns a copy of exactly its text: later reads cannot change what subscribers are sent");
        Assert.That(sink.Arrays.Any(a => ReferenceEquals(a, read)), Is.False);
    }

    /// <summary>Keeps the arrays the coalescer hands over, as the run's events do.</summary>
    private sealed class ArraySink : IRunOutputSink
    {
        public List<byte[]> Arrays { get; } = [];

        public void OnOutput(OutputStream stream, string text) => throw new InvalidOperationException("UTF-8 is handed over as bytes");

        public void OnOutput(OutputStream stream, byte[] utf8) => Arrays.Add(utf8);
    }
}
