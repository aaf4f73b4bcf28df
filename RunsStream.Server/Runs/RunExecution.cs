using RunsStream.Server.Runs.Execution;

namespace RunsStream.Server.Runs;

/// <summary>
/// The execution side of a run this server executes: its process once started, and how it
/// was asked to end (cancel, timeout, shutdown). The first request to end wins; a request that
/// comes while the process is still starting takes effect the moment it is attached.
/// Thread-safe.
/// </summary>
internal sealed class RunExecution
{
    private readonly object _lock = new();
    private RunProcess? _process;
    private RequestedEnd? _end;

    /// <summary>How the run was asked to end, if it was: its terminal status then is this one.</summary>
    public RequestedEnd? End
    {
        get { lock (_lock) return _end; }
    }

    /// <summary>The process started; it is terminated at once if an end was requested meanwhile.</summary>
    public void Attach(RunProcess process, TimeSpan grace)
    {
        lock (_lock)
        {
            _process = process;
            if (_end is not null)
            {
                process.Terminate(grace);
            }
        }
    }

    /// <summary>
    /// Asks the run to end as <paramref name="status"/> (unless an earlier request stands) and
    /// terminates its process, if started: SIGTERM, then SIGKILL after <paramref name="grace"/>.
    /// </summary>
    public void RequestEnd(RunStatus status, string reason, TimeSpan grace)
    {
        lock (_lock)
        {
            _end ??= new RequestedEnd(status, reason);
            _process?.Terminate(grace);
        }
    }

    /// <summary>As <see cref="RequestEnd"/>, but only for a run whose process has started; true if it had.</summary>
    public bool RequestEndIfStarted(RunStatus status, string reason, TimeSpan grace)
    {
        lock (_lock)
        {
            if (_process is null)
            {
                return false;
            }
            RequestEnd(status, reason, grace);
            return true;
        }
    }
}

/// <summary>The terminal status a run was asked to end with, and why.</summary>
internal readonly record struct RequestedEnd(RunStatus Status, string Reason);
