namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// The run's process could not be started (missing working directory, no <c>setsid</c> or
/// <c>/bin/sh</c>, resource limits). Nothing was started and nothing needs cleaning up.
/// </summary>
internal sealed class RunStartException : Exception
{
    public RunStartException(string message)
        : base(message)
    {
    }

    public RunStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
