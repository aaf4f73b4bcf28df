namespace RunsStream.Server.Runs;

/// <summary>409: the run has already finished (the answer carries its status).</summary>
public sealed class RunConflictException(string runId, RunStatus status) : Exception($"Run '{runId}' has already finished ({status.ToWire()})")
{
    /// <summary>The run that has finished.</summary>
    public string RunId { get; } = runId;

    /// <summary>Its terminal status.</summary>
    public RunStatus Status { get; } = status;
}
