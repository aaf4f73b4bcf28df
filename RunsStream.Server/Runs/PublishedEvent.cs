namespace RunsStream.Server.Runs;

/// <summary>One event an external executor publishes (POST /runs/{runId}/events).</summary>
public sealed record PublishedEvent(RunEventType Type, string Data, RunStatus? Status = null, string? Reason = null, int? ExitCode = null);
