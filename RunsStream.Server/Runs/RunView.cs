using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>GET /runs/{runId}: always all nine keys, null where a field does not apply.</summary>
internal sealed record RunView(
    string RunId,
    string? Status,
    string? Command,
    string? WorkspaceId,
    string? CreatedAt,
    string? StartedAt,
    string? FinishedAt,
    int? ExitCode,
    string? Reason)
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
        run.Reason);

    public static RunView From(RunState run) => From(run.Snapshot() ?? throw RunsException.NotFound(run.RunId));
}
