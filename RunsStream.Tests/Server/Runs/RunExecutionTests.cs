using RunsStream.Server.Runs;
using RunsStream.Server.Runs.Execution;
using RunsStream.Tests.Server.Runs.Execution;

namespace RunsStream.Tests.Server.Runs;

public sealed class RunExecutionTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    [Test]
    public void The_first_request_to_end_decides_the_terminal_status()
    {
        var execution = new RunExecution();
        Assert.That(execution.End, Is.Null);
        execution.RequestEnd(RunStatus.Cancelled, "Cancelled by user", Grace);
        execution.RequestEnd(RunStatus.Failed, "timed out", Grace);
        Assert.That(execution.End, Is.EqualTo(new RequestedEnd(RunStatus.Cancelled, "Cancelled by user")));
    }

    [Test]
    public void Shutdown_ends_only_runs_whose_process_started()
    {
        var execution = new RunExecution();
        Assert.That(execution.RequestEndIfStarted(RunStatus.Failed, "Server shutting down", Grace), Is.False);
        Assert.That(execution.End, Is.Null);
    }

    [Test]
    public async Task A_run_cancelled_while_its_process_starts_is_terminated_once_the_process_is_attached()
    {
        await using var harness = new RunProcessHarness();
        var execution = new RunExecution();
        execution.RequestEnd(RunStatus.Cancelled, "Cancelled by user", Grace);
        var process = harness.Start("sleep 60", new RecordingOutputSink());
        execution.Attach(new ProcessExecution(process), Grace);
        var outcome = await RunProcessHarness.CompletionOf(process);
        Assert.That(outcome.ExitCode, Is.Not.Zero, "SIGTERM ended it, long before sleep would");
    }

    [Test]
    public async Task Ending_a_started_run_terminates_its_process()
    {
        await using var harness = new RunProcessHarness();
        var execution = new RunExecution();
        var process = harness.Start("sleep 60", new RecordingOutputSink());
        execution.Attach(new ProcessExecution(process), Grace);
        Assert.That(execution.RequestEndIfStarted(RunStatus.Failed, "Server shutting down", Grace), Is.True);
        var outcome = await RunProcessHarness.CompletionOf(process);
        Assert.That(outcome.ExitCode, Is.Not.Zero);
        Assert.That(execution.End!.Value.Reason, Is.EqualTo("Server shutting down"));
    }
}
