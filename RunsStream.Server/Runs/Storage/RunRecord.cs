namespace RunsStream.Server.Runs.Storage;

/// <summary>A run's metadata as stored: what GET /runs answers, plus the log's bookkeeping.</summary>
internal sealed record RunRecord(
    string RunId,
    RunStatus Status,
    string? Command,
    string? WorkspaceId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    string? Reason,
    bool External,
    long LastSeq,
    long StdoutBytes,
    long StderrBytes,
    RetentionGap Gap)
{
    /// <summary>The executor of a run this server executes ("process", ...); null for an external run.</summary>
    public string? Executor { get; init; }

    /// <summary>The stages of a pipeline run, in order; null for a run of one command.</summary>
    public IReadOnlyList<RunStage>? Stages { get; init; }

    /// <summary>The size of a terminal run's terminal at its start; null for a run on pipes.</summary>
    public Execution.TerminalSize? Tty { get; init; }

    /// <summary>The user (token sub) who started the run, or whose publish created it; null before issue 15.</summary>
    public string? CreatedBy { get; init; }

    /// <summary>The user who asked to cancel the run; null when nobody did.</summary>
    public string? CancelledBy { get; init; }

    /// <summary>Output bytes of both streams, the length of the raw log.</summary>
    public long OutputBytes => StdoutBytes + StderrBytes;
}

/// <summary>
/// The stretch of events dropped by the retention cap (RUN_LOG_MAX_BYTES): seqs
/// <see cref="FromSeq"/>..<see cref="ToSeq"/>, <see cref="Bytes"/> of output, and where it sat
/// in the output (<see cref="FromOffset"/>..<see cref="ToOffset"/>, exclusive).
/// </summary>
internal readonly record struct RetentionGap(long FromSeq, long ToSeq, long Bytes, long FromOffset, long ToOffset, DateTimeOffset At)
{
    public static readonly RetentionGap None = default;

    public bool Exists => ToSeq > 0;

    /// <summary>The event that stands in for the stretch on replay; its seq is the last one it replaces.</summary>
    public RunEvent Marker(string runId) =>
        new(runId, ToSeq, RunEventType.Stderr, $"\r\n[runsstream: {Bytes} bytes of output dropped here (RUN_LOG_MAX_BYTES)]\r\n", At)
        {
            DroppedBytes = Bytes,
            DroppedFromSeq = FromSeq,
        };
}
