using System.Diagnostics;
using RunsStream.Server.Runs.Execution;
using RunsStream.Tests.Support;

namespace RunsStream.Tests.Server.Runs.Execution;

[TestFixture]
public sealed class RunProcessTerminationTests
{
    // Orphans are reaped by init, which in some sandboxes only does so every second or so;
    // until then a dead child still counts as a member of the group.
    private static readonly TimeSpan ReapTimeout = TimeSpan.FromSeconds(30);

    private RunProcessHarness _harness = null!;

    [SetUp]
    public void SetUp() => _harness = new RunProcessHarness();

    [TearDown]
    public async Task TearDown() => await _harness.DisposeAsync();

    [Test]
    public async Task Terminate_runs_the_cleanup_trap_keeps_its_output_and_leaves_no_process_behind()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("trap 'echo cleanup; exit 143' TERM; sleep 1000 & echo $!; wait", sink);
        int childPid = await FirstLineAsPidAsync(sink);

        process.Terminate(TimeSpan.FromSeconds(5));
        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(outcome.ExitCode, Is.EqualTo(143));
        Assert.That(sink.Text(OutputStream.Stdout), Does.EndWith("cleanup\n"));
        await AssertNothingLeftAsync(process.ProcessId, childPid);
    }

    [Test]
    public async Task A_process_ignoring_SIGTERM_is_killed_after_the_grace_period()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("trap '' TERM; sleep 1000 & echo $!; wait", sink);
        int childPid = await FirstLineAsPidAsync(sink);

        var elapsed = Stopwatch.StartNew();
        process.Terminate(TimeSpan.FromSeconds(1));
        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(outcome.ExitCode, Is.EqualTo(128 + 9));
        Assert.That(elapsed.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(900)));
        await AssertNothingLeftAsync(process.ProcessId, childPid);
    }

    [Test]
    public async Task Kill_ends_the_whole_group_at_once()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("sleep 1000 & echo $!; wait", sink);
        int childPid = await FirstLineAsPidAsync(sink);

        process.Kill();
        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(outcome.ExitCode, Is.EqualTo(128 + 9));
        await AssertNothingLeftAsync(process.ProcessId, childPid);
    }

    [Test]
    public async Task Terminate_immediately_after_start_still_ends_the_run()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("sleep 1000", sink);

        process.Terminate(TimeSpan.FromSeconds(1));
        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(outcome.ExitCode, Is.EqualTo(128 + 15).Or.EqualTo(128 + 9));
        await AssertNothingLeftAsync(process.ProcessId);
    }

    [Test]
    public async Task Terminate_twice_and_signals_after_completion_are_harmless()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("echo started; sleep 1000", sink);
        await Eventually.WaitUntilAsync(() => sink.AllText.Contains("started"), "the run printed started");

        process.Terminate(TimeSpan.FromSeconds(5));
        process.Terminate(TimeSpan.Zero);
        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);
        process.Terminate(TimeSpan.Zero);
        process.Kill();

        Assert.That(outcome.ExitCode, Is.EqualTo(128 + 15));
    }

    [Test]
    public async Task A_background_child_holding_the_pipes_after_the_shell_exits_is_killed_and_output_drained()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("sleep 1000 & echo $!; printf last; exit 4", sink);

        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(outcome.ExitCode, Is.EqualTo(4));
        Assert.That(sink.Text(OutputStream.Stdout), Does.EndWith("\nlast"));
        await AssertNothingLeftAsync(process.ProcessId, ParsePid(sink));
    }

    [Test]
    public async Task A_background_child_with_its_output_closed_does_not_outlive_the_run()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("sleep 1000 >/dev/null 2>&1 & echo $!", sink);

        ProcessOutcome outcome = await RunProcessHarness.CompletionOf(process);

        Assert.That(outcome.ExitCode, Is.Zero);
        await AssertNothingLeftAsync(process.ProcessId, ParsePid(sink));
    }

    [Test]
    public async Task Disposing_a_running_process_kills_it()
    {
        var sink = new RecordingOutputSink();
        RunProcess process = _harness.Start("sleep 1000 & echo $!; wait", sink);
        int childPid = await FirstLineAsPidAsync(sink);

        await process.DisposeAsync().AsTask().WaitAsync(RunProcessHarness.AwaitTimeout);

        Assert.That(process.Completion.IsCompletedSuccessfully, Is.True);
        await AssertNothingLeftAsync(process.ProcessId, childPid);
    }

    private static async Task<int> FirstLineAsPidAsync(RecordingOutputSink sink)
    {
        await Eventually.WaitUntilAsync(() => sink.AllText.Contains('\n'), "the run printed its pid");
        return ParsePid(sink);
    }

    private static int ParsePid(RecordingOutputSink sink) => int.Parse(sink.AllText.Split('\n')[0]);

    private static async Task AssertNothingLeftAsync(int processGroup, int? childPid = null)
    {
        await Eventually.WaitUntilAsync(() => !ProcessGroup.IsGroupAlive(processGroup), "no process of the group is alive", ReapTimeout);
        if (childPid is { } pid)
        {
            await Eventually.WaitUntilAsync(() => !ProcessGroup.TrySignalProcess(pid, 0), "the background child is gone", ReapTimeout);
        }
    }
}
