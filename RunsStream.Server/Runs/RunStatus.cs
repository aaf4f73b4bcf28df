namespace RunsStream.Server.Runs;

/// <summary>queued -> running -> succeeded | failed | cancelled (docs/api.md section 7).</summary>
public enum RunStatus
{
    /// <summary>Waiting for a slot (MAX_CONCURRENT_RUNS).</summary>
    Queued,

    /// <summary>Its process runs, or its external executor has started publishing.</summary>
    Running,

    /// <summary>Terminal: exit code 0.</summary>
    Succeeded,

    /// <summary>Terminal: a non-zero exit, a failure to start, a timeout or a server restart.</summary>
    Failed,

    /// <summary>Terminal: cancelled by a user.</summary>
    Cancelled,
}

internal static class RunStatuses
{
    public static string ToWire(this RunStatus status) => status switch
    {
        RunStatus.Queued => "queued",
        RunStatus.Running => "running",
        RunStatus.Succeeded => "succeeded",
        RunStatus.Failed => "failed",
        RunStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static bool TryParse(string? text, out RunStatus status)
    {
        switch (text)
        {
            case "queued": status = RunStatus.Queued; return true;
            case "running": status = RunStatus.Running; return true;
            case "succeeded": status = RunStatus.Succeeded; return true;
            case "failed": status = RunStatus.Failed; return true;
            case "cancelled": status = RunStatus.Cancelled; return true;
            default: status = default; return false;
        }
    }

    public static bool IsTerminal(this RunStatus status) => status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled;
}

/// <summary>The kinds of run event (docs/api.md section 7).</summary>
public enum RunEventType
{
    /// <summary>Output the run wrote to standard output.</summary>
    Stdout,

    /// <summary>Output the run wrote to standard error.</summary>
    Stderr,

    /// <summary>A change of the run's status.</summary>
    Status,

    /// <summary>A stage of a pipeline started or ended (sent as the `stage` event, not as `run-event`).</summary>
    Stage,
}

internal static class RunEventTypes
{
    public static string ToWire(this RunEventType type) => type switch
    {
        RunEventType.Stdout => "stdout",
        RunEventType.Stderr => "stderr",
        RunEventType.Stage => "stage",
        _ => "status",
    };

    public static bool TryParse(string? text, out RunEventType type)
    {
        switch (text)
        {
            case "stdout": type = RunEventType.Stdout; return true;
            case "stderr": type = RunEventType.Stderr; return true;
            case "status": type = RunEventType.Status; return true;
            default: type = default; return false;
        }
    }
}
