namespace RunsStream.Server.Runs;

/// <summary>One event an external executor publishes (POST /runs/{runId}/events).</summary>
/// <param name="Type">stdout, stderr or status.</param>
/// <param name="Data">The output text; for a status, its wire name.</param>
/// <param name="Status">For a status event: the new status.</param>
/// <param name="Reason">For a status event: why (failed and cancelled get a default).</param>
/// <param name="ExitCode">For a terminal status: the process's exit code, if any.</param>
public sealed record PublishedEvent(RunEventType Type, string Data, RunStatus? Status = null, string? Reason = null, int? ExitCode = null);
