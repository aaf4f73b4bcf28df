using RunsStream.Server.Runs.Execution;

namespace RunsStream.Tests.Server.Runs.Execution;

/// <summary>
/// stdout and stderr reach the sink in the order the process wrote them, when the writes are
/// apart in time: both pipes are read from one place, in the order they became readable.
/// </summary>
[TestFixture]
public sealed class RunProcessOrderingTests
{
    private RunProcessHarness _harness = null!;

    [SetUp]
    public async Task SetUp()
    {
        _harness = new RunProcessHarness();
        // The first output of the test process compiles the read path; while that takes a few
        // milliseconds both pipes fill, and the order between them is then unknowable. A run
        // whose order is not checked warms it up, as any earlier run warms up a server.
        var warmUp = _harness.Start("echo o; echo e >&2; echo o; echo e >&2", new RecordingOutputSink());
        await RunProcessHarness.CompletionOf(warmUp);
    }

    [TearDown]
    public async Task TearDown() => await _harness.DisposeAsync();

    // Retried: order between two pipes is only knowable while the reader is scheduled within
    // the gap, and a shared 2-core machine under load sometimes stalls a thread for longer.
    // The two-reader design this replaced inverted pairs in every attempt (3 to 32 at 1 ms).
    [Retry(3)]
    [TestCase(300, "0.001", TestName = "300 pairs of a stdout then a stderr line, 1 ms apart, keep their order")]
    [TestCase(100, "0.01", TestName = "100 pairs of a stdout then a stderr line, 10 ms apart, keep their order")]
    public async Task Alternating_streams_keep_their_order(int pairs, string gap)
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start(
            $"i=1; while [ $i -le {pairs} ]; do echo o$i; echo e$i >&2; sleep {gap}; i=$((i+1)); done",
            sink);

        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(outcome.ExitCode, Is.Zero);
        var lines = OutputOrder.Lines(sink.Events);
        Assert.That(lines, Has.Count.EqualTo(2 * pairs));
        Assert.That(OutputOrder.InvertedPairs(lines), Is.Zero, OutputOrder.Describe(lines));
        if (gap != "0.001")
        {
            // With 1 ms between pairs, a reader that is not scheduled for a millisecond (a
            // busy 2-core machine) reads o(i+1) together with o(i): lines shift by one pair,
            // though no pair is inverted. scripts/bench reports that figure beside Node's.
            Assert.That(OutputOrder.MisplacedLines(lines), Is.Zero, OutputOrder.Describe(lines));
        }
    }

    [Test]
    public void The_order_check_counts_a_stderr_line_that_overtook_stdout()
    {
        // The check above must be able to fail: a recorded stream with e2 before o2.
        var events = new[] { (OutputStream.Stdout, "o1\n"), (OutputStream.Stderr, "e1\ne2\n"), (OutputStream.Stdout, "o2\n") };
        var lines = OutputOrder.Lines(events);
        Assert.That(OutputOrder.InvertedPairs(lines), Is.EqualTo(1));
        Assert.That(OutputOrder.MisplacedLines(lines), Is.EqualTo(2));
    }
}

/// <summary>Measures how far interleaved "o{i}" / "e{i}" lines are from their written order.</summary>
internal static class OutputOrder
{
    /// <summary>The lines in the order they were delivered, across both streams.</summary>
    public static List<string> Lines(IEnumerable<(OutputStream Stream, string Text)> events) =>
        string.Concat(events.Select(e => e.Text)).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>Pairs whose e{i} came before its o{i}.</summary>
    public static int InvertedPairs(IReadOnlyList<string> lines)
    {
        var at = lines.Select((line, index) => (line, index)).ToDictionary(x => x.line, x => x.index);
        return Enumerable.Range(1, lines.Count / 2)
            .Count(i => at.TryGetValue($"o{i}", out var o) && at.TryGetValue($"e{i}", out var e) && e < o);
    }

    /// <summary>The lines around each misplaced one, for a failure message.</summary>
    public static string Describe(IReadOnlyList<string> lines) => string.Join(" | ", lines
        .Select((line, index) => (line, index))
        .Where(x => x.line != Expected(x.index))
        .Select(x => string.Join(" ", lines.Skip(Math.Max(0, x.index - 3)).Take(6))));

    private static string Expected(int index) => index % 2 == 0 ? $"o{index / 2 + 1}" : $"e{index / 2 + 1}";

    /// <summary>Lines not where the written order o1 e1 o2 e2 … puts them.</summary>
    public static int MisplacedLines(IReadOnlyList<string> lines) =>
        lines.Where((line, index) => line != Expected(index)).Count();
}
