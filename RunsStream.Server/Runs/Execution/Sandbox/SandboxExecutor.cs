using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution.Sandbox;

/// <summary>
/// The "sandbox" executor: a local process as the "process" executor runs it (its user, its
/// cgroup, its crash record), wrapped in bubblewrap with the SANDBOX_* limits
/// (<see cref="BubblewrapSandbox"/>). A run that reaches a limit ends with a reason naming it.
/// </summary>
internal sealed class SandboxExecutor(
    BubblewrapSandbox sandbox, RunContainment containment, OutputCoalescingOptions coalescing, TimeProvider time, ILogger logger) : IRunExecutor
{
    public const string ExecutorName = "sandbox";

    public string Name => ExecutorName;

    public string? UnavailableReason => sandbox.IsAvailable(out var reason) ? null : reason;

    public IRunExecution Start(ExecutorRequest request, IRunOutputSink sink)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Limits is { IsNone: false })
        {
            throw new RunStartException("the sandbox takes no per-run limits; the server's SANDBOX_* limits apply");
        }
        ProcessStartRequest? prepared = null;
        SandboxRun? sandboxed = null;
        try
        {
            prepared = containment.Prepare(request.RunId, request.Command, request.Workspace) with
            {
                ExtraEnvironment = request.Environment,
                Tty = request.Tty is { } tty ? new Pty.PtySize(tty.Columns, tty.Rows) : null,
            };
            sandboxed = sandbox.Prepare(request.RunId, prepared);
            var process = RunProcess.Start(sandboxed.Request, sink, coalescing, logger, time);
            containment.Started(request.RunId, process);
            sandboxed.Started(process);
            return new ProcessExecution(process, () => containment.Ended(request.RunId), async outcome =>
            {
                var reason = await sandboxed.FinishAsync(outcome).ConfigureAwait(false);
                sandboxed.Dispose();
                return reason;
            });
        }
        catch (Exception ex) when (ex is RunStartException or IOException or UnauthorizedAccessException)
        {
            if (sandboxed is not null)
            {
                sandboxed.Dispose();
                sandboxed.AbandonAsync().GetAwaiter().GetResult();
            }
            if (prepared is not null)
            {
                containment.StartFailedAsync(prepared).GetAwaiter().GetResult();
            }
            throw ex as RunStartException ?? new RunStartException(ex.Message, ex);
        }
    }

    /// <summary>The processes are the process executor's business; the limit folders are ours.</summary>
    public Task RecoverAsync() => sandbox.RemoveLeftoversAsync();
}
