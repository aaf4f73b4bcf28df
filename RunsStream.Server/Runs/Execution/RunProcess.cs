using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RunsStream.Server.Runs.Execution.Pty;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// One started run: <c>setsid /bin/sh -c command</c> and every process it spawns, which all
/// share the shell's process group and, where the machine has cgroups, the run's cgroup. Owns
/// the output reader and the signals to the run.
/// </summary>
/// <remarks>
/// Signals always go to the whole group and the whole cgroup, so a background child, a
/// pipeline stage or a process that called setsid itself cannot outlive a cancel. The server's shutdown path is expected to call <see cref="Terminate"/> on
/// every live run and await <see cref="Completion"/>, which is the same cancel as a user's.
/// </remarks>
internal sealed partial class RunProcess : IAsyncDisposable
{
    // From the issue: after the shell exits, leftover background children get this long to
    // close the pipes before the group is killed.
    private static readonly TimeSpan ExitDrainTimeout = TimeSpan.FromSeconds(2);

    // After SIGKILL the pipes close at once unless a process escaped the group (its own
    // setsid); we then stop reading instead of letting Completion hang on it forever.
    private static readonly TimeSpan KilledDrainTimeout = TimeSpan.FromSeconds(2);

    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly OutputCoalescer _coalescer;
    private readonly RunOutputReader _output;
    private readonly RunCgroup? _cgroup;
    private readonly PtyProcess? _pty;

    // Guards every signal, so none is sent once the run is finished (the pid may be reused).
    private readonly object _signalLock = new();
    private ITimer? _killTimer;
    private DateTimeOffset? _graceDeadline;
    private bool _finished;

    // How long the run's processes get to leave its cgroup once killed, before Completion
    // gives up on removing it (a kernel reaping a fork bomb).
    private static readonly TimeSpan CgroupEmptyTimeout = TimeSpan.FromSeconds(10);

    private RunProcess(
        Process process, PtyProcess? pty, RunCgroup? cgroup, IRunOutputSink sink, OutputCoalescingOptions coalescing, ILogger logger, TimeProvider time)
    {
        _process = process;
        _pty = pty;
        _cgroup = cgroup;
        _logger = logger;
        _time = time;
        ProcessId = process.Id;
        Identity = ProcessIdentity.Of(ProcessId) ?? new ProcessIdentity(ProcessId, ProcessIdentity.UnknownStart, ProcessIdentity.CurrentBootId);
        _coalescer = new OutputCoalescer(sink, coalescing, time, logger, ProcessId);
        // A terminal is one stream (reported as stdout), as it is in a local terminal.
        _output = pty is not null
            ? new RunOutputReader(pty.Output, null, _coalescer, coalescing.MaxChunkBytes, logger, ProcessId, sink.WaitForCapacityAsync)
            : new RunOutputReader(
            process.StandardOutput.BaseStream, process.StandardError.BaseStream, _coalescer, coalescing.MaxChunkBytes, logger, ProcessId, sink.WaitForCapacityAsync);
        // Reads on its own thread: output already in the pipe must not reach the sink on the
        // caller's stack, inside Start.
        _output.Start();
        Completion = RunAsync();
    }

    /// <summary>The shell's pid, which is also the run's process-group id.</summary>
    public int ProcessId { get; }

    /// <summary>What identifies the run's process group after a crash of the server.</summary>
    public ProcessIdentity Identity { get; }

    /// <summary>True when the run has a terminal (<see cref="Resize"/> applies).</summary>
    public bool HasTerminal => _pty is not null;

    /// <summary>
    /// Sets the size of the run's terminal (its programs get SIGWINCH). False when the run has
    /// no terminal or it is already closed.
    /// </summary>
    public bool Resize(PtySize size)
    {
        lock (_signalLock)
        {
            return _pty is not null && !_finished && _pty.Resize(size);
        }
    }

    /// <summary>The run's cgroup, or null where runs have none.</summary>
    public RunCgroup? Cgroup => _cgroup;

    /// <summary>
    /// Completes when the shell has exited, both pipes are drained and all output has been
    /// delivered to the sink. Leftover background children get 2 s to close the pipes before
    /// the group is killed. Does not fault.
    /// </summary>
    public Task<ProcessOutcome> Completion { get; }

    /// <inheritdoc cref="Start(ProcessStartRequest, IRunOutputSink, OutputCoalescingOptions, ILogger, TimeProvider)"/>
    public static RunProcess Start(
        ProcessStartRequest request, IRunOutputSink sink, OutputCoalescingOptions coalescing, ILogger logger)
        => Start(request, sink, coalescing, logger, TimeProvider.System);

    /// <summary>
    /// Starts <c>setsid /bin/sh -c command</c> with stdin closed and the server's environment
    /// minus <c>WS_AUTH_TOKEN</c> plus the request's, and starts pumping its output to
    /// <paramref name="sink"/>.
    /// </summary>
    /// <exception cref="RunStartException">The process could not be started.</exception>
    internal static RunProcess Start(
        ProcessStartRequest request,
        IRunOutputSink sink,
        OutputCoalescingOptions coalescing,
        ILogger logger,
        TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(coalescing);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        coalescing.Validate();

        // Checked here for a clear message; the chdir in the child would fail anyway.
        if (!Directory.Exists(request.WorkingDirectory))
        {
            Log.StartFailed(logger, null, request.WorkingDirectory);
            throw new RunStartException($"Working directory '{request.WorkingDirectory}' does not exist.");
        }

        PtyProcess? pty = null;
        Process process;
        if (request.Tty is { } size)
        {
            try
            {
                pty = PtyProcess.Start(request, size);
            }
            catch (RunStartException ex)
            {
                Log.StartFailed(logger, ex, request.WorkingDirectory);
                throw;
            }
            process = pty.Process;
        }
        else
        {
            process = new Process { StartInfo = RunProcessStartInfo.Create(request) };
            try
            {
                process.Start();
            }
            catch (Exception ex) when (ex is Win32Exception or IOException or InvalidOperationException)
            {
                process.Dispose();
                Log.StartFailed(logger, ex, request.WorkingDirectory);
                throw new RunStartException($"The run could not be started: {ex.Message}", ex);
            }

            try
            {
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The shell already exited and closed its end; nothing to close for it.
            }
        }

        Log.Started(logger, process.Id, request.WorkingDirectory);
        try
        {
            return new RunProcess(process, pty, request.Cgroup, sink, coalescing, logger, time);
        }
        catch (IOException ex)
        {
            pty?.Dispose();
            // The pipes could not be watched (no descriptors left): nobody would read the
            // run's output, so it must not run.
            ProcessGroup.TrySignalGroup(process.Id, ProcessGroup.SigKill);
            request.Cgroup?.Kill();
            process.Kill();
            process.Dispose();
            Log.StartFailed(logger, ex, request.WorkingDirectory);
            throw new RunStartException($"The run's output could not be read: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Sends SIGTERM to the group now and SIGKILL after <paramref name="grace"/> if any process
    /// of it is still alive. Output written meanwhile (cleanup traps) is kept. Idempotent;
    /// returns immediately.
    /// </summary>
    public void Terminate(TimeSpan grace)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(grace, TimeSpan.Zero);
        lock (_signalLock)
        {
            if (_finished || _graceDeadline is not null)
            {
                return;
            }
            _graceDeadline = _time.GetUtcNow() + grace;
            Log.Terminating(_logger, ProcessId, (long)grace.TotalMilliseconds);
            SignalLocked(ProcessGroup.SigTerm);
            _killTimer = _time.CreateTimer(
                static state => ((RunProcess)state!).OnGraceExpired(), this, grace, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Sends SIGKILL to the group now.</summary>
    public void Kill()
    {
        lock (_signalLock)
        {
            if (_finished)
            {
                return;
            }
            Log.Killing(_logger, ProcessId);
            SignalLocked(ProcessGroup.SigKill);
        }
    }

    /// <summary>Kills the group if it is still running and waits for <see cref="Completion"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Completion.IsCompleted)
        {
            Kill();
        }
        await ((Task)Completion).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task<ProcessOutcome> RunAsync()
    {
        try
        {
            await _process.WaitForExitAsync().ConfigureAwait(false);
            int exitCode = _process.ExitCode; // .NET reports 128 + signal for a signaled process

            Task pumps = _output.Completion;
            if (!await CompletesWithinAsync(pumps, DrainTimeout()).ConfigureAwait(false))
            {
                Log.PipesHeldOpen(_logger, ProcessId);
                Kill();
                if (!await CompletesWithinAsync(pumps, KilledDrainTimeout).ConfigureAwait(false))
                {
                    Log.PipesAbandoned(_logger, ProcessId);
                    _output.Abort();
                    await pumps.ConfigureAwait(false);
                }
            }

            Finish();
            _coalescer.Complete();
            // No process of the run may be left when it is reported ended.
            if (_cgroup is not null && !await _cgroup.KillAndRemoveAsync(CgroupEmptyTimeout, _time).ConfigureAwait(false))
            {
                Log.CgroupNotEmptied(_logger, ProcessId, _cgroup.Path);
            }
            var outcome = new ProcessOutcome(exitCode, _output.StdoutBytes, _output.StderrBytes);
            Log.Exited(_logger, ProcessId, exitCode, outcome.StdoutBytes, outcome.StderrBytes);
            return outcome;
        }
        finally
        {
            // Only reached early on a bug; still never signal or deliver output afterwards.
            Finish();
            _coalescer.Complete();
        }
    }

    // While a Terminate grace period runs, cleanup traps may still be writing from background
    // children after the shell exited: give them until the grace ends (then they are killed).
    private TimeSpan DrainTimeout()
    {
        lock (_signalLock)
        {
            TimeSpan graceLeft = _graceDeadline is { } deadline ? deadline - _time.GetUtcNow() : TimeSpan.Zero;
            return graceLeft > ExitDrainTimeout ? graceLeft : ExitDrainTimeout;
        }
    }

    private async Task<bool> CompletesWithinAsync(Task task, TimeSpan timeout)
    {
        using var cancelDelay = new CancellationTokenSource();
        Task delay = Task.Delay(timeout, _time, cancelDelay.Token);
        Task first = await Task.WhenAny(task, delay).ConfigureAwait(false);
        await cancelDelay.CancelAsync().ConfigureAwait(false);
        return first == task;
    }

    private void OnGraceExpired()
    {
        lock (_signalLock)
        {
            if (_finished || !IsAnythingAliveLocked())
            {
                return;
            }
            Log.GraceExpired(_logger, ProcessId);
            SignalLocked(ProcessGroup.SigKill);
        }
    }

    // The shell and the pipes are done; anything left in the group closed its output (a
    // daemonized child). No process of a run may outlive it, so it is killed too.
    private void Finish()
    {
        lock (_signalLock)
        {
            if (_finished)
            {
                return;
            }
            if (ProcessGroup.IsGroupAlive(ProcessId) || _cgroup?.IsPopulated == true)
            {
                Log.KillingStragglers(_logger, ProcessId);
                ProcessGroup.TrySignalGroup(ProcessId, ProcessGroup.SigKill);
                _cgroup?.Kill();
            }
            _finished = true;
            _killTimer?.Dispose();
            _pty?.Dispose();
            _process.Dispose();
        }
    }

    private bool IsAnythingAliveLocked() =>
        ProcessGroup.IsGroupAlive(ProcessId) || !_process.HasExited || _cgroup?.IsPopulated == true;

    private void SignalLocked(int signal)
    {
        // The cgroup holds whatever left the group (its own setsid); SIGKILL to it also
        // reaches processes forked while the list is read.
        if (signal == ProcessGroup.SigKill)
        {
            _cgroup?.Kill();
        }
        else
        {
            _cgroup?.Signal(signal);
        }
        if (ProcessGroup.TrySignalGroup(ProcessId, signal))
        {
            return;
        }
        // No such group: either it is all gone, or setsid has not yet run in the child (the
        // first instants after Start). In the latter case the process itself is the run.
        // HasExited guards against signalling a reused pid once the shell has been reaped.
        if (!_process.HasExited)
        {
            ProcessGroup.TrySignalProcess(ProcessId, signal);
        }
    }
}
