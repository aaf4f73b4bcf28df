namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// One way of running a run's command (docs/executors.md): a local process, a sandbox, a
/// container. The scheduler, the event log, cancel and timeouts are the same for all of them;
/// an executor only starts a command, feeds its output to the sink and reports how it ended.
/// </summary>
/// <remarks>
/// Output reaches the sink through the same decoder and coalescer whatever its source: the
/// process executor reads pipes with <see cref="RunOutputReader"/>; a source that is a stream
/// or a single descriptor (a container's log stream, a PTY) pushes its bytes into an
/// <see cref="ExecutionOutput"/>.
/// </remarks>
internal interface IRunExecutor
{
    /// <summary>The name POST /runs takes in <c>executor</c> ("process", "sandbox", "docker").</summary>
    string Name { get; }

    /// <summary>
    /// Null when runs can start now; otherwise why not (no bwrap, no engine at DOCKER_HOST),
    /// for the 400 that refuses a run asking for this executor. Asked once per POST /runs.
    /// </summary>
    string? UnavailableReason { get; }

    /// <summary>
    /// Starts <paramref name="request"/>'s command. What the executor needs to find the run
    /// again after a crash of the server (a ledger entry, a container label) is recorded
    /// before this returns.
    /// </summary>
    /// <exception cref="RunStartException">Nothing was started; nothing needs cleaning up.</exception>
    IRunExecution Start(ExecutorRequest request, IRunOutputSink sink);

    /// <summary>
    /// On server start, before unfinished runs are marked failed: stops and removes whatever
    /// runs of an earlier server process left behind (processes, containers).
    /// </summary>
    Task RecoverAsync();
}

/// <summary>A started command of one run (or of one stage of its pipeline).</summary>
internal interface IRunExecution : IAsyncDisposable
{
    /// <summary>
    /// Completes when the command has ended, nothing of it is left running and all its output
    /// has reached the sink. Does not fault.
    /// </summary>
    Task<ExitStatus> Completion { get; }

    /// <summary>
    /// Asks the command to stop (SIGTERM, docker stop) and forces it (SIGKILL, docker kill)
    /// once <paramref name="grace"/> has passed. Idempotent; returns at once.
    /// </summary>
    void Terminate(TimeSpan grace);

    /// <summary>
    /// Sets the size of the execution's terminal (its programs get SIGWINCH). False when it
    /// has no terminal, or no longer has one.
    /// </summary>
    bool TryResize(TerminalSize size) => false;
}
