namespace RunsStream.Server.Runs.Execution;

/// <summary>What an executor is asked to run.</summary>
/// <param name="RunId">The run's id: executors name their resources after it (cgroup, container label).</param>
/// <param name="Command">A shell command line, run by <c>/bin/sh -c</c>.</param>
/// <param name="Workspace">The run's workspace on the server's disk; the executor creates it if needed.</param>
/// <param name="Environment">Added to the executor's base environment; a null value removes a variable.</param>
/// <param name="Limits">Resource limits beyond the executor's defaults.</param>
/// <param name="Tty">A terminal of this size instead of two pipes (stdout and stderr then are one stream); null for pipes.</param>
internal sealed record ExecutorRequest(
    string RunId,
    string Command,
    string Workspace,
    IReadOnlyDictionary<string, string?>? Environment = null,
    ExecutorLimits? Limits = null,
    TerminalSize? Tty = null);

/// <summary>Resource limits of one execution; null means the executor's default.</summary>
/// <param name="MemoryBytes">Memory (RAM) the command may use at most.</param>
/// <param name="Cpus">CPU share, in cores (0.5 is half a core).</param>
/// <param name="Pids">How many processes and threads it may have at once.</param>
/// <param name="CpuTime">CPU time it may consume in all.</param>
/// <param name="FileSizeBytes">The largest file it may write.</param>
internal sealed record ExecutorLimits(
    long? MemoryBytes = null,
    double? Cpus = null,
    int? Pids = null,
    TimeSpan? CpuTime = null,
    long? FileSizeBytes = null)
{
    /// <summary>No limit beyond the executor's defaults.</summary>
    public static readonly ExecutorLimits None = new();

    public bool IsNone => this == None;
}

/// <summary>The size of a run's terminal.</summary>
internal readonly record struct TerminalSize(int Columns, int Rows)
{
    /// <summary>"COLSxROWS", as the store keeps it.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Columns}x{Rows}");

    /// <summary>Reads <see cref="ToString"/>'s form; null for anything else.</summary>
    public static TerminalSize? Parse(string text)
    {
        var parts = text.Split('x');
        return parts.Length == 2
            && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var columns)
            && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var rows)
            ? new TerminalSize(columns, rows)
            : null;
    }
}

/// <summary>How an execution ended.</summary>
/// <param name="ExitCode">The command's exit status; 128 + the signal when a signal ended it (as a shell reports it).</param>
/// <param name="StdoutBytes">Raw bytes of stdout (of the terminal, for a PTY run).</param>
/// <param name="StderrBytes">Raw bytes of stderr (0 for a PTY run).</param>
/// <param name="Reason">Why it ended, when the executor knows more than the code ("out of memory"); null otherwise.</param>
internal sealed record ExitStatus(int ExitCode, long StdoutBytes, long StderrBytes, string? Reason = null)
{
    /// <summary>The signal that ended the command, when one did (shell convention: codes 129-192).</summary>
    public int? Signal => ExitCode is > 128 and <= 128 + 64 ? ExitCode - 128 : null;
}
