using RunsStream.Server.Runs.Execution;

namespace RunsStream.Server.Runs;

/// <summary>
/// Pipelines (CI stages): the stages run one after the other in the run's workspace, each its
/// own execution with the run's executor; the first failure ends the run and skips the rest.
/// A `stage` event in the run's log marks each start and end (docs/api.md section 7.1).
/// </summary>
public sealed partial class RunsService
{
    private async Task ExecutePipelineAsync(RunState run, IRunExecutor executor, IReadOnlyList<RunStage> stages)
    {
        // Output goes to the log as it comes; `running` is the pipeline's, before stage 1.
        var sink = new RunOutputSink(run, _time);
        AppendStatus(run, RunStatus.Running);
        sink.Open();
        RunsLog.RunStarted(_logger, run.RunId, executor.Name);
        long stdoutBytes = 0, stderrBytes = 0;
        for (var index = 0; index < stages.Count; index++)
        {
            if (run.Execution.End is { } endBefore)
            {
                // Cancelled (or timed out) between two stages.
                EndStages(run, StageStatus.Skipped);
                AppendStatus(run, endBefore.Status, endBefore.Reason, null, stdoutBytes, stderrBytes);
                return;
            }
            var stage = stages[index];
            var startedAt = _time.GetUtcNow();
            AppendStage(run, index, stage.Name, StageStatus.Running, null, null);
            IRunExecution execution;
            try
            {
                execution = executor.Start(RequestFor(run, stage.Command), sink);
            }
            catch (Exception ex) when (ex is RunStartException or IOException or UnauthorizedAccessException or RunsException)
            {
                RunsLog.RunStartFailed(_logger, run.RunId, ex.Message);
                AppendStage(run, index, stage.Name, StageStatus.Failed, null, startedAt);
                EndStages(run, StageStatus.Skipped);
                AppendStatus(run, RunStatus.Failed, $"Stage '{stage.Name}' failed to start: {ex.Message}", null, stdoutBytes, stderrBytes);
                return;
            }
            run.Execution.Attach(execution, _options.CancelGrace); // terminates it if the run was ended meanwhile
            var exit = await execution.Completion;
            run.Execution.Detach(execution);
            stdoutBytes += exit.StdoutBytes;
            stderrBytes += exit.StderrBytes;

            var end = run.Execution.End;
            var stageStatus = exit.ExitCode == 0 ? StageStatus.Succeeded
                : end is { Status: RunStatus.Cancelled } ? StageStatus.Cancelled
                : StageStatus.Failed;
            AppendStage(run, index, stage.Name, stageStatus, exit.ExitCode, startedAt);
            RunsLog.StageEnded(_logger, run.RunId, index, stage.Name, stageStatus.ToWire(), exit.ExitCode);
            if (end is not null || stageStatus != StageStatus.Succeeded)
            {
                EndStages(run, StageStatus.Skipped);
                var (status, reason) = end is { } requested
                    ? (requested.Status, requested.Reason)
                    : (RunStatus.Failed, $"Stage '{stage.Name}' failed: {exit.Reason ?? $"exited with code {exit.ExitCode}"}");
                AppendStatus(run, status, reason, exit.ExitCode, stdoutBytes, stderrBytes);
                RunsLog.RunEnded(_logger, run.RunId, status.ToWire(), exit.ExitCode);
                return;
            }
        }
        AppendStatus(run, RunStatus.Succeeded, null, 0, stdoutBytes, stderrBytes);
        RunsLog.RunEnded(_logger, run.RunId, RunStatus.Succeeded.ToWire(), 0);
    }

    /// <summary>
    /// Ends every stage not ended yet: the running one as <paramref name="running"/> (a crash,
    /// an internal error), the pending ones as skipped. Nothing for a run of one command.
    /// </summary>
    private void EndStages(RunState run, StageStatus running, DateTimeOffset? now = null)
    {
        if (run.Stages is not { } stages)
        {
            return;
        }
        for (var index = 0; index < stages.Count; index++)
        {
            var stage = stages[index];
            if (stage.Status == StageStatus.Running)
            {
                AppendStage(run, index, stage.Name, running, null, stage.StartedAt, now);
            }
            else if (stage.Status == StageStatus.Pending)
            {
                AppendStage(run, index, stage.Name, StageStatus.Skipped, null, null, now);
            }
        }
    }

    /// <param name="startedAt">When the stage started, for its duration; null for a start or a skip.</param>
    private void AppendStage(RunState run, int index, string name, StageStatus status, int? exitCode, DateTimeOffset? startedAt, DateTimeOffset? at = null)
    {
        var now = at ?? _time.GetUtcNow();
        long? duration = status != StageStatus.Running && startedAt is { } started ? (long)Math.Max(0, (now - started).TotalMilliseconds) : null;
        run.Append(seq => RunEvent.ForStage(run.RunId, seq, new StageMark(name, index, status, exitCode, duration), now));
    }
}
