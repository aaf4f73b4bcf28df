namespace RunsStream.Server.Runs.Execution;

/// <summary>How a run's process ended.</summary>
/// <param name="ExitCode">The shell's exit status, or 128 + the signal number when a signal ended it.</param>
/// <param name="StdoutBytes">Raw bytes read from stdout (before decoding).</param>
/// <param name="StderrBytes">Raw bytes read from stderr (before decoding).</param>
internal sealed record ProcessOutcome(int ExitCode, long StdoutBytes, long StderrBytes);
