using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution.Sandbox;

/// <summary>
/// One sandboxed run: the request to start (with its wrapper and limit cgroups), the watch that
/// ends the run when it reaches a limit, and the reason it ended for.
/// </summary>
/// <remarks>
/// A fork refused by pids.max or a process killed by the memory limit ends the whole run:
/// untrusted code at its limit is better stopped with a clear reason than left half-working
/// (a fork bomb would otherwise keep the run busy until its timeout).
/// </remarks>
internal sealed partial class SandboxRun : IDisposable
{
    // The kernel offers no event for these counters that every kernel delivers on cgroupfs;
    // reading two small files this often costs nothing and stops a fork bomb within moments.
    private static readonly TimeSpan WatchInterval = TimeSpan.FromMilliseconds(100);

    // How long the limits' folders may take to empty once the run has ended.
    private static readonly TimeSpan RemoveTimeout = TimeSpan.FromSeconds(10);

    private readonly SandboxLimitGroup _limits;
    private readonly SandboxLimits _values;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private ITimer? _watch;
    private RunProcess? _process;
    private string? _reason;

    public SandboxRun(ProcessStartRequest request, SandboxLimitGroup limits, SandboxLimits values, TimeProvider time, ILogger logger)
    {
        Request = request;
        _limits = limits;
        _values = values;
        _time = time;
        _logger = logger;
    }

    /// <summary>What to pass to <see cref="RunProcess.Start(ProcessStartRequest, IRunOutputSink, OutputCoalescingOptions, ILogger)"/>.</summary>
    public ProcessStartRequest Request { get; }

    /// <summary>Starts watching the limits of the started <paramref name="process"/>.</summary>
    public void Started(RunProcess process)
    {
        ArgumentNullException.ThrowIfNull(process);
        lock (_lock)
        {
            _process = process;
            _watch = _time.CreateTimer(static state => ((SandboxRun)state!).Check(), this, WatchInterval, WatchInterval);
        }
    }

    /// <summary>
    /// After <see cref="RunProcess.Completion"/>: why the run ended, if a limit ended it (for
    /// its terminal status), else null. Removes the limits' cgroups.
    /// </summary>
    public async Task<string?> FinishAsync(ProcessOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        Check();
        string? reason;
        lock (_lock)
        {
            _watch?.Dispose();
            _watch = null;
            _process = null;
            reason = _reason ?? SandboxLimitReason.FromExitCode(outcome.ExitCode, _values);
        }
        if (!await _limits.RemoveAsync(RemoveTimeout, _time).ConfigureAwait(false))
        {
            Log.LimitsNotRemoved(_logger);
        }
        return reason;
    }

    /// <summary>The run could not be started: its limits' cgroups go.</summary>
    public Task AbandonAsync() => _limits.RemoveAsync(RemoveTimeout, _time);

    public void Dispose()
    {
        lock (_lock)
        {
            _watch?.Dispose();
            _watch = null;
        }
    }

    private void Check()
    {
        lock (_lock)
        {
            if (_reason is not null)
            {
                return;
            }
            if (_limits.OomKills > 0)
            {
                _reason = SandboxLimitReason.Memory(_values);
            }
            else if (_limits.ForksRefused > 0)
            {
                _reason = SandboxLimitReason.Processes(_values);
            }
            else
            {
                return;
            }
            if (_process is { } process)
            {
                Log.LimitReached(_logger, process.ProcessId, _reason);
                process.Kill();
                _limits.Kill();
            }
        }
    }

    // Event ids 4790-4799: Runs/Execution sandbox.
    private static partial class Log
    {
        [LoggerMessage(4790, LogLevel.Information, "Sandboxed run {ProcessId} ended: {Reason}")]
        public static partial void LimitReached(ILogger logger, int processId, string reason);

        [LoggerMessage(4791, LogLevel.Warning, "A sandboxed run's limit cgroups could not be emptied and removed")]
        public static partial void LimitsNotRemoved(ILogger logger);
    }
}
