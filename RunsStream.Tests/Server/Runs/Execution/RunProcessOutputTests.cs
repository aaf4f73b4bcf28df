using RunsStream.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using System.Text;
using RunsStream.Server.Runs.Execution;

namespace RunsStream.Tests.Server.Runs.Execution;

[TestFixture]
public sealed class RunProcessOutputTests
{
    private RunProcessHarness _harness = null!;

    [SetUp]
    public void SetUp() => _harness = new RunProcessHarness();

    [TearDown]
    public async Task TearDown() => await _harness.DisposeAsync();

    [Test]
    public async Task A_last_line_without_a_newline_is_delivered_with_the_exit_code()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("printf tail; exit 3", sink);

        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(outcome.ExitCode, Is.EqualTo(3));
        Assert.That(sink.Text(OutputStream.Stdout), Is.EqualTo("tail"));
        Assert.That(outcome.StdoutBytes, Is.EqualTo(4));
        Assert.That(outcome.StderrBytes, Is.Zero);
    }

    [Test]
    public async Task End_of_file_is_seen_without_waiting_for_any_timeout_even_for_a_command_that_ends_at_once()
    {
        // The clock never moves: the drain timeouts that would stop a reader that missed the
        // end of the pipes never fire. A command that writes and exits before the reader
        // watches its pipes delivers its data and its end of file in one go.
        var time = new ManualTimeProvider();
        for (var i = 0; i < 20; i++)
        {
            var sink = new RecordingOutputSink();
            RunProcess process = RunProcess.Start(
                new ProcessStartRequest("echo out; echo err >&2", _harness.WorkingDirectory), sink, new OutputCoalescingOptions(), NullLogger.Instance, time);

            ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

            Assert.That(outcome, Is.EqualTo(new ProcessOutcome(0, 4, 4)), $"run {i}");
            Assert.That(sink.AllText, Is.EqualTo("out\nerr\n"));
            await process.DisposeAsync();
        }
    }

    [Test]
    public async Task Stdout_and_stderr_are_kept_apart_and_in_the_order_they_were_written()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("echo a; sleep 0.05; echo b >&2; sleep 0.05; echo c", sink);

        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(sink.Text(OutputStream.Stdout), Is.EqualTo("a\nc\n"));
        Assert.That(sink.Text(OutputStream.Stderr), Is.EqualTo("b\n"));
        Assert.That(sink.AllText, Is.EqualTo("a\nb\nc\n"));
        Assert.That(outcome, Is.EqualTo(new ProcessOutcome(0, 4, 2)));
    }

    [Test]
    public async Task Both_streams_written_at_once_arrive_complete_and_the_sink_is_never_called_concurrently()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("seq 1 50000 & seq 1 50000 >&2; wait", sink);

        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        string expected = SeqOutput(50000);
        Assert.That(sink.Text(OutputStream.Stdout), Is.EqualTo(expected));
        Assert.That(sink.Text(OutputStream.Stderr), Is.EqualTo(expected));
        Assert.That(outcome.StdoutBytes, Is.EqualTo(expected.Length));
        Assert.That(outcome.StderrBytes, Is.EqualTo(expected.Length));
        Assert.That(sink.ConcurrentCalls, Is.Zero);
    }

    [Test]
    public async Task A_multi_byte_character_written_one_byte_at_a_time_arrives_whole_in_one_event()
    {
        var sink = new RecordingOutputSink();
        // U+20AC (E2 82 AC), in octal because dash's printf has no \x escapes.
        RunProcess process = _harness.Start(@"printf '\342'; sleep 0.05; printf '\202'; sleep 0.05; printf '\254'", sink);

        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(sink.Events, Is.EqualTo(new[] { (OutputStream.Stdout, "€") }));
        Assert.That(sink.SawReplacementChar, Is.False);
        Assert.That(outcome.StdoutBytes, Is.EqualTo(3));
    }

    [Test]
    public async Task An_unfinished_character_at_end_of_output_becomes_a_replacement_character()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start(@"printf 'x\342\202'", sink);

        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(sink.Text(OutputStream.Stdout), Is.EqualTo("x\uFFFD"));
        Assert.That(outcome.StdoutBytes, Is.EqualTo(3));
    }

    [Test]
    public async Task Many_small_writes_are_coalesced_into_few_events_without_losing_text()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("seq 1 100000", sink);

        await RunProcessHarness.CompletionOf(process);

        Assert.That(sink.Text(OutputStream.Stdout), Is.EqualTo(SeqOutput(100000)));
        Assert.That(sink.EventCount, Is.LessThan(200));
    }

    [Test]
    public async Task No_event_is_larger_than_the_configured_chunk_size()
    {
        var sink = new RecordingOutputSink();
        var coalescing = new OutputCoalescingOptions { MaxChunkBytes = 1000, MaxDelay = TimeSpan.FromSeconds(10) };
        RunProcess process = _harness.Start("seq 1 20000", sink, coalescing);

        await RunProcessHarness.CompletionOf(process);

        Assert.That(sink.Text(OutputStream.Stdout), Is.EqualTo(SeqOutput(20000)));
        Assert.That(sink.Events.Max(e => Encoding.UTF8.GetByteCount(e.Text)), Is.LessThanOrEqualTo(1000));
    }

    [Test]
    public async Task Fifty_megabytes_of_output_are_delivered_completely()
    {
        const long size = 50L * 1024 * 1024;
        var sink = new RecordingOutputSink(keepText: false);
        RunProcess process = _harness.Start($"head -c {size} /dev/zero | tr '\\0' 'a'", sink);

        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(outcome.ExitCode, Is.Zero);
        Assert.That(outcome.StdoutBytes, Is.EqualTo(size));
        Assert.That(sink.CharCount(OutputStream.Stdout), Is.EqualTo(size));
        Assert.That(sink.EventCount, Is.LessThan(size / 1000));
    }

    [Test]
    public async Task A_shell_ended_by_a_signal_reports_128_plus_the_signal_number()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("kill -TERM $$", sink);

        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(outcome.ExitCode, Is.EqualTo(128 + 15));
    }

    private static string SeqOutput(int count)
    {
        var text = new StringBuilder();
        for (int i = 1; i <= count; i++)
        {
            text.Append(i).Append('\n');
        }
        return text.ToString();
    }
}
