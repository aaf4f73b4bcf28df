using RunsStream.Server.Runs.Execution;

namespace RunsStream.Server.Runs;

/// <summary>
/// The execution side of a run this server executes: its current execution once started (a
/// pipeline has one per stage, one after the other), and how it was asked to end (cancel,
/// timeout, shutdown). The first request to end wins; a request that comes while an
/// execution is starting, or between two stages, takes effect the moment the next one is
/// attached. Thread-safe.
/// </summary>
internal sealed class RunExecution
{
    private readonly object _lock = new();
    private IRunExecution? _current;
    private bool _started;
    private RequestedEnd? _end;

    /// <summary>How the run was asked to end, if it was: its terminal status then is this one.</summary>
    public RequestedEnd? End
    {
        get { lock (_lock) return _end; }
    }

    /// <summary>An execution started; it is terminated at once if an end was requested meanwhile.</summary>
    public void Attach(IRunExecution execution, TimeSpan grace)
    {
        lock (_lock)
        {
            _current = execution;
            _started = true;
            if (_end is not null)
            {
                execution.Terminate(grace);
            }
        }
    }

    /// <summary>The current execution ended (a stage is done): no later request signals it.</summary>
    public void Detach(IRunExecution execution)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_current, execution))
            {
                _current = null;
            }
        }
    }

    /// <summary>
    /// Asks the run to end as <paramref name="status"/> (unless an earlier request stands) and
    /// terminates its current execution, if any: SIGTERM, then SIGKILL after <paramref name="grace"/>.
    /// </summary>
    public void RequestEnd(RunStatus status, string reason, TimeSpan grace)
    {
        lock (_lock)
        {
            _end ??= new RequestedEnd(status, reason);
            _current?.Terminate(grace);
        }
    }

    /// <summary>Resizes the current execution's terminal; false when there is none (not started, between stages, no tty).</summary>
    public bool TryResize(TerminalSize size)
    {
        lock (_lock)
        {
            return _current?.TryResize(size) ?? false;
        }
    }

    /// <summary>As <see cref="RequestEnd"/>, but only for a run whose first execution has started; true if it had.</summary>
    public bool RequestEndIfStarted(RunStatus status, string reason, TimeSpan grace)
    {
        lock (_lock)
        {
            if (!_started)
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
