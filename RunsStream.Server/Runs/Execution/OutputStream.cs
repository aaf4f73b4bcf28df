namespace RunsStream.Server.Runs.Execution;

/// <summary>Which of the run's two output pipes a piece of text was read from.</summary>
internal enum OutputStream
{
    Stdout,
    Stderr,
}
