namespace RunsStream.Server.Runs;

/// <summary>pending -> running -> succeeded | failed | cancelled, or pending -> skipped (docs/api.md section 7.1).</summary>
internal enum StageStatus
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Skipped,
}

internal static class StageStatuses
{
    public static string ToWire(this StageStatus status) => status switch
    {
        StageStatus.Pending => "pending",
        StageStatus.Running => "running",
        StageStatus.Succeeded => "succeeded",
        StageStatus.Failed => "failed",
        StageStatus.Cancelled => "cancelled",
        StageStatus.Skipped => "skipped",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static bool TryParse(string? text, out StageStatus status)
    {
        foreach (var candidate in Enum.GetValues<StageStatus>())
        {
            if (candidate.ToWire() == text)
            {
                status = candidate;
                return true;
            }
        }
        status = default;
        return false;
    }

    public static bool IsDone(this StageStatus status) => status is not (StageStatus.Pending or StageStatus.Running);
}

/// <summary>One stage of a pipeline run as GET /runs/{runId} shows it and the store keeps it.</summary>
internal sealed record RunStage(
    string Name,
    string Command,
    StageStatus Status = StageStatus.Pending,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? EndedAt = null,
    int? ExitCode = null);

/// <summary>
/// What a `stage` event says (docs/api.md section 7.1): stage <paramref name="Index"/> of the
/// run started (status running) or ended; the event's timestamp is its <c>at</c>.
/// </summary>
internal sealed record StageMark(string Name, int Index, StageStatus Status, int? ExitCode, long? DurationMs);
