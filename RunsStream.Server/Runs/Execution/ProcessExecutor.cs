using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// The "process" executor: <c>setsid /bin/sh -c command</c> on this machine, as the run's user
/// and in the run's cgroup (<see cref="RunContainment"/>), output read from its pipes by
/// <see cref="RunOutputReader"/>. Its crash record is the <see cref="RunProcessLedger"/>.
/// </summary>
internal sealed class ProcessExecutor(RunContainment containment, OutputCoalescingOptions coalescing, TimeProvider time, ILogger logger) : IRunExecutor
{
    public const string ExecutorName = "process";

    public string Name => ExecutorName;

    /// <summary>Always available: /bin/sh and setsid were checked when the server started.</summary>
    public string? UnavailableReason => null;

    public IRunExecution Start(ExecutorRequest request, IRunOutputSink sink)
    {
        // Refused rather than ignored: a run that asked for a limit must not silently run
        // without it.
        if (request.Limits is { IsNone: false })
        {
            throw new RunStartException("the process executor takes no per-run limits; the server's cgroup applies");
        }
        ProcessStartRequest? prepared = null;
        try
        {
            prepared = containment.Prepare(request.RunId, request.Command, request.Workspace) with
            {
                ExtraEnvironment = request.Environment,
                Tty = request.Tty is { } tty ? new Pty.PtySize(tty.Columns, tty.Rows) : null,
            };
            var process = RunProcess.Start(prepared, sink, coalescing, logger, time);
            containment.Started(request.RunId, process);
            return new ProcessExecution(process, () => containment.Ended(request.RunId));
        }
        catch (Exception ex) when (ex is RunStartException or IOException or UnauthorizedAccessException)
        {
            if (prepared is not null)
            {
                // Its cgroup is empty: removing it takes no time worth awaiting asynchronously.
                containment.StartFailedAsync(prepared).GetAwaiter().GetResult();
            }
            throw ex as RunStartException ?? new RunStartException(ex.Message, ex);
        }
    }

    public Task RecoverAsync() => containment.StopLeftoversAsync();
}

/// <summary>A started <see cref="RunProcess"/> as an <see cref="IRunExecution"/>.</summary>
internal sealed class ProcessExecution : IRunExecution
{
    private readonly RunProcess _process;

    /// <param name="ended">Called once every process of it is gone (removes its crash record).</param>
    /// <param name="reasonOf">Why it ended, when the executor knows more than the exit code (a sandbox's limit).</param>
    public ProcessExecution(RunProcess process, Action? ended = null, Func<ProcessOutcome, Task<string?>>? reasonOf = null)
    {
        _process = process;
        Completion = CompleteAsync(process, ended, reasonOf);
    }

    /// <summary>The shell's pid, also the run's process-group id.</summary>
    public int ProcessId => _process.ProcessId;

    public Task<ExitStatus> Completion { get; }

    public void Terminate(TimeSpan grace) => _process.Terminate(grace);

    public bool TryResize(TerminalSize size) => _process.Resize(new Pty.PtySize(size.Columns, size.Rows));

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static async Task<ExitStatus> CompleteAsync(RunProcess process, Action? ended, Func<ProcessOutcome, Task<string?>>? reasonOf)
    {
        var outcome = await process.Completion.ConfigureAwait(false);
        var reason = reasonOf is null ? null : await reasonOf(outcome).ConfigureAwait(false);
        await process.DisposeAsync().ConfigureAwait(false);
        ended?.Invoke();
        return new ExitStatus(outcome.ExitCode, outcome.StdoutBytes, outcome.StderrBytes, reason);
    }
}
