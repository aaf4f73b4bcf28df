using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>
/// GET /runs/{runId}: always all nine keys of the contract, null where a field does not apply,
/// plus `executor`, `stages` and `tty` (issue 13; null for an external run, a run of one command,
/// a run on pipes), and `createdBy`/`cancelledBy` (issue 15: the users, null when unknown).
/// </summary>
internal sealed record RunView(
    string RunId,
    string? Status,
    string? Command,
    string? WorkspaceId,
    string? CreatedAt,
    string? StartedAt,
    string? FinishedAt,
    int? ExitCode,
    string? Reason,
    string? Executor,
    IReadOnlyList<StageView>? Stages,
    TtyView? Tty,
    string? CreatedBy,
    string? CancelledBy)
{
    public static RunView From(RunRecord run) => new(
        run.RunId,
        run.Status.ToWire(),
        run.Command,
        run.WorkspaceId,
        Timestamps.ToIso(run.CreatedAt),
        run.StartedAt is { } started ? Timestamps.ToIso(started) : null,
        run.FinishedAt is { } finished ? Timestamps.ToIso(finished) : null,
        run.ExitCode,
        run.Reason,
        run.Executor,
        run.Stages?.Select(StageView.From).ToArray(),
        run.Tty is { } tty ? new TtyView(tty.Columns, tty.Rows) : null,
        run.CreatedBy,
        run.CancelledBy);

    public static RunView From(RunState run) => From(run.Snapshot() ?? throw RunsException.NotFound(run.RunId));
}

/// <summary>A terminal run's terminal in GET /runs/{runId}: its size at the start.</summary>
internal sealed record TtyView(int Cols, int Rows);

/// <summary>One stage of a pipeline in GET /runs/{runId}.</summary>
internal sealed record StageView(string Name, string Command, string Status, string? StartedAt, string? EndedAt, int? ExitCode)
{
    public static StageView From(RunStage stage) => new(
        stage.Name,
        stage.Command,
        stage.Status.ToWire(),
        stage.StartedAt is { } started ? Timestamps.ToIso(started) : null,
        stage.EndedAt is { } ended ? Timestamps.ToIso(ended) : null,
        stage.ExitCode);
}
