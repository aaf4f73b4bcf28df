using Microsoft.Extensions.Logging;
using RunsStream.Server.Runs.Execution;

namespace RunsStream.Server.Runs;

/// <summary>The scheduler and the life of a run's process.</summary>
public sealed partial class RunsService
{
    private readonly object _schedule = new();
    private readonly LinkedList<RunState> _queue = new();
    private readonly HashSet<Task> _executions = new();
    private int _running;
    private volatile bool _shuttingDown;

    /// <summary>Runs waiting for a slot.</summary>
    internal int QueuedCount
    {
        get { lock (_schedule) return _queue.Count; }
    }

    /// <summary>Runs whose process is being started or is running.</summary>
    internal int RunningCount
    {
        get { lock (_schedule) return _running; }
    }

    /// <summary>Runs of this server not finished yet: queued (here or by an external executor) and running.</summary>
    internal (long Queued, long Running) CountUnfinished()
    {
        long queued = 0, running = 0;
        foreach (var run in _runs.Values)
        {
            switch (run.Status)
            {
                case RunStatus.Queued: queued++; break;
                case RunStatus.Running: running++; break;
            }
        }
        return (queued, running);
    }

    private void Enqueue(RunState run)
    {
        lock (_schedule)
        {
            _queue.AddLast(run);
        }
        StartNext();
    }

    private bool TryDequeue(RunState run)
    {
        lock (_schedule)
        {
            return _queue.Remove(run);
        }
    }

    private void StartNext()
    {
        lock (_schedule)
        {
            while (!_shuttingDown && _running < _options.MaxConcurrentRuns && _queue.First is { } firstNode)
            {
                var first = firstNode.Value;
                _queue.RemoveFirst();
                _telemetry.OnDequeued(first, _time.GetUtcNow());
                LaunchLocked(first);
            }
        }
    }

    /// <summary>Takes a slot and executes the run on the thread pool; the slot is freed when it ends.</summary>
    private void LaunchLocked(RunState run)
    {
        _running++;
        var execution = Task.Run(() => ExecuteAsync(run));
        _executions.Add(execution);
        _ = execution.ContinueWith(t =>
        {
            lock (_schedule)
            {
                _executions.Remove(t);
                _running--;
            }
            if (_fleet is { } fleet)
            {
                fleet.SlotFreed(run);
            }
            else
            {
                StartNext();
            }
        }, TaskScheduler.Default);
    }

    private async Task ExecuteAsync(RunState run)
    {
        try
        {
            // A run accepted by a server that had this executor, queued when this one started.
            if (_executors.Find(run.Executor) is not { } executor)
            {
                AppendStatus(run, RunStatus.Failed, $"Failed to start: executor \"{run.Executor}\" is not available");
                return;
            }
            // The run's whole time counts, every stage of a pipeline included.
            using var timeout = _options.RunTimeout is { } limit
                ? _time.CreateTimer(_ => OnTimeout(run), null, limit, Timeout.InfiniteTimeSpan)
                : null;
            if (run.Stages is { } stages)
            {
                await ExecutePipelineAsync(run, executor, stages);
            }
            else
            {
                await ExecuteCommandAsync(run, executor);
            }
        }
        catch (Exception ex)
        {
            RunsLog.RunCrashed(_logger, run.RunId, ex);
            EndStages(run, StageStatus.Failed);
            AppendStatus(run, RunStatus.Failed, "Internal error: " + ex.Message);
        }
    }

    private async Task ExecuteCommandAsync(RunState run, IRunExecutor executor)
    {
        var sink = new RunOutputSink(run, _time);
        IRunExecution execution;
        try
        {
            execution = executor.Start(RequestFor(run, run.Command!), sink);
        }
        catch (Exception ex) when (ex is RunStartException or IOException or UnauthorizedAccessException or RunsException)
        {
            RunsLog.RunStartFailed(_logger, run.RunId, ex.Message);
            AppendStatus(run, RunStatus.Failed, "Failed to start: " + ex.Message);
            return;
        }

        AppendStatus(run, RunStatus.Running);
        run.Execution.Attach(execution, _options.CancelGrace); // terminates it if cancelled while it was starting
        sink.Open();
        RunsLog.RunStarted(_logger, run.RunId, executor.Name);

        var exit = await execution.Completion;
        run.Execution.Detach(execution);
        var (status, reason) = run.Execution.End switch
        {
            { } end => (end.Status, end.Reason),
            null when exit.ExitCode == 0 => (RunStatus.Succeeded, (string?)null),
            _ => (RunStatus.Failed, exit.Reason ?? $"Process exited with code {exit.ExitCode}"),
        };
        AppendStatus(run, status, reason, exit.ExitCode, exit.StdoutBytes, exit.StderrBytes);
        RunsLog.RunEnded(_logger, run.RunId, status.ToWire(), exit.ExitCode);
    }

    /// <summary>What the executor is asked to run: <paramref name="command"/> in the run's workspace.</summary>
    private ExecutorRequest RequestFor(RunState run, string command) =>
        new(run.RunId, command, ResolveWorkspace(run.WorkspaceId), Tty: run.Tty);

    private void OnTimeout(RunState run)
    {
        if (!run.IsFinished)
        {
            run.Execution.RequestEnd(RunStatus.Failed, "timed out", _options.CancelGrace);
        }
    }

    /// <summary>
    /// Server shutdown: queued runs fail, running processes get SIGTERM then SIGKILL after the
    /// grace period, and this waits until every run has its terminal status.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Task[] executions;
        RunState[] queued;
        lock (_schedule)
        {
            _shuttingDown = true;
            queued = _queue.ToArray();
            _queue.Clear();
            executions = _executions.ToArray();
        }
        foreach (var run in queued)
        {
            AppendStatus(run, RunStatus.Failed, "Server shutting down");
        }
        foreach (var run in _runs.Values)
        {
            if (!run.IsFinished)
            {
                run.Execution.RequestEndIfStarted(RunStatus.Failed, "Server shutting down", _options.CancelGrace);
            }
        }
        try
        {
            await Task.WhenAll(executions).WaitAsync(_options.CancelGrace + TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A process that outlives SIGKILL is the kernel's problem; the host must still stop.
        }
        _containment.Shutdown();
        _sandbox.Shutdown();
    }
}
