using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RunsStream.Server.Configuration;
using RunsStream.Server.Diagnostics;
using RunsStream.Server.Runs.Execution;
using RunsStream.Server.Runs.Execution.Docker;
using RunsStream.Server.Runs.Execution.Sandbox;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>
/// The runs domain: creates runs, schedules their processes (FIFO, at most
/// MAX_CONCURRENT_RUNS at once), cancels them, and takes events from external executors.
/// Public for code that embeds the server (resolve it from the app's services): its public
/// members are the in-process API, the same as POST /runs/{runId}/events and
/// POST /runs/{runId}/cancel, with the same rules and errors. Everything else is internal.
/// </summary>
public sealed partial class RunsService : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, RunState> _runs = new(StringComparer.Ordinal);
    private readonly RunsStreamOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly OutputCoalescingOptions _coalescing = new();
    private readonly string _workspaceRoot;
    private readonly IRunStore _store;
    private readonly RunContainment _containment;
    private readonly RunExecutors _executors;
    private readonly BubblewrapSandbox _sandbox;
    private readonly RunsTelemetry _telemetry;

    /// <param name="telemetry">Metrics and trace spans of the runs; none when null.</param>
    /// <exception cref="OptionsException">RUN_AS_USER cannot be used.</exception>
    internal RunsService(RunsStreamOptions options, IRunStore store, TimeProvider time, ILogger<RunsService> logger, RunsTelemetry? telemetry = null)
    {
        _options = options;
        _telemetry = telemetry ?? RunsTelemetry.None;
        _telemetry.Metrics?.Observe(this);
        _store = store;
        _time = time;
        _logger = logger;
        _workspaceRoot = Path.GetFullPath(options.WorkspaceRoot);
        try
        {
            _containment = new RunContainment(options.RunAsUser, options.DataDirectory, options.WorkspaceRoot, time, logger);
        }
        catch (ArgumentException ex)
        {
            throw new OptionsException(ex.Message);
        }
        // One line per executor (docs/executors.md); the first is the default.
        _sandbox = BubblewrapSandbox.Open(
            options.Sandbox, _containment.User, _containment.CgroupsRoot, options.DataDirectory, time, logger);
        _executors = new RunExecutors(
        [
            new ProcessExecutor(_containment, _coalescing, time, logger),
            new SandboxExecutor(_sandbox, _containment, _coalescing, time, logger),
            new DockerExecutor(
                new DockerContainerRunner(
                    options.Docker ?? DockerOptions.FromEnvironment(_ => null, ContainerLabels.OwnerOf(options.DataDirectory)), logger),
                options.DockerRuns, _coalescing, time, logger),
        ]);
    }

    /// <summary>The executors runs may ask for.</summary>
    internal RunExecutors Executors => _executors;

    /// <summary>Where, as whom and in what runs execute.</summary>
    internal RunContainment Containment => _containment;

    /// <summary>
    /// On start: runs a previous process left queued or running end as failed, "server
    /// restarted", with one terminal event after the last one that was stored.
    /// </summary>
    internal async Task RecoverAsync(CancellationToken cancellationToken = default)
    {
        // Before any of them is marked failed, none of their processes may still run.
        await _executors.RecoverAsync();
        if (_fleet is not null)
        {
            return; // the store's unfinished runs are the fleet's: each node takes over its own (FleetNode)
        }
        foreach (var record in await _store.ListUnfinishedAsync(cancellationToken))
        {
            var run = new RunState(record, _options.RunLogMaxBytes, _store);
            _runs[run.RunId] = run;
            var now = _time.GetUtcNow();
            EndStages(run, StageStatus.Failed, now);
            run.Append(seq => RunEvent.ForStatus(run.RunId, seq, RunStatus.Failed, now, "server restarted", null, run.StdoutBytes, run.StderrBytes));
            RunsLog.RunRecovered(_logger, run.RunId);
        }
        try
        {
            await _store.FlushAsync(cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            // Start anyway: the writes are kept and retried, /healthz says why.
        }
    }

    /// <summary>Makes every queued store write durable (a read of the store then sees it).</summary>
    internal Task FlushStoreAsync(CancellationToken cancellationToken = default) => _store.FlushAsync(cancellationToken);

    /// <summary>The output bytes [<paramref name="from"/>, <paramref name="to"/>) of a run, as stored.</summary>
    internal IAsyncEnumerable<OutputChunk> ReadOutputAsync(string runId, RunEventType? stream, long from, long to, CancellationToken cancellationToken = default) =>
        _store.ReadOutputAsync(runId, stream, from, to, cancellationToken);

    /// <summary>Retention: deletes finished runs created before <paramref name="cutoff"/>.</summary>
    internal int DeleteFinishedBefore(DateTimeOffset cutoff)
    {
        var deleted = _store.DeleteFinishedBefore(cutoff);
        foreach (var runId in deleted)
        {
            if (_runs.TryGetValue(runId, out var run) && run.IsFinished && run.SubscriberCount == 0)
            {
                _runs.TryRemove(new KeyValuePair<string, RunState>(runId, run));
            }
        }
        return deleted.Count;
    }

    /// <summary>Runs newest first, optionally after the run <paramref name="before"/> and of one status; from the store.</summary>
    internal async Task<IReadOnlyList<RunRecord>> ListAsync(int limit, string? before, RunStatus? status, CancellationToken cancellationToken = default, IReadOnlyCollection<string>? workspaces = null)
    {
        RunRecord? cursor = null;
        if (before is not null)
        {
            cursor = (await FindAsync(before, cancellationToken))?.Snapshot() is { } known && (workspaces is null || workspaces.Contains(known.WorkspaceId ?? Auth.RunsPrincipal.DefaultWorkspace))
                ? known
                : throw RunsException.BadRequest($"'before' names no known run: {before}"); // the same for a run the token may not see
        }
        try
        {
            await _store.FlushAsync(cancellationToken);
        }
        catch (StoreUnavailableException)
        {
            // The disk is full or failing: list what is stored; the rest appears once written.
        }
        return await _store.ListRunsAsync(limit, cursor, status, workspaces, cancellationToken);
    }

    /// <summary>Creates a run of <paramref name="command"/> and queues it for execution.</summary>
    internal RunState StartRun(string command, string? workspaceId) => StartRun(new RunRequest(command, workspaceId));

    /// <summary>Creates a run of a command or a pipeline and queues it for execution.</summary>
    internal RunState StartRun(RunRequest request, string? by = null)
    {
        var (command, workspaceId) = (request.Command, request.WorkspaceId);
        if (request.Stages is { } stageRequests)
        {
            for (var i = 0; i < stageRequests.Count; i++)
            {
                CheckCommand(stageRequests[i].Command, $"stages[{i}].command");
            }
        }
        else
        {
            CheckCommand(command, "command");
        }
        var executor = _executors.Resolve(request.Executor);
        if (workspaceId is not null && !RunIds.IsValid(workspaceId))
        {
            throw RunsException.BadRequest(RunIds.InvalidWorkspaceIdMessage);
        }
        ResolveWorkspace(workspaceId);
        if (_shuttingDown)
        {
            throw new RunsException(RunsErrorCode.Internal, "The server is shutting down");
        }

        var now = _time.GetUtcNow();
        var stages = request.Stages?.Select(s => new RunStage(s.Name, s.Command)).ToArray();
        var run = new RunState(RunIds.NewId(now), _options.RunLogMaxBytes, _store, command, workspaceId, now, executor.Name, stages, request.Tty) { CreatedBy = by };
        _runs[run.RunId] = run;
        run.Append(seq => RunEvent.ForStatus(run.RunId, seq, RunStatus.Queued, now));
        _telemetry.OnQueued(run);
        if (_fleet is null)
        {
            Enqueue(run); // in a fleet the shared store is the queue (StartRunAsync)
        }
        return run;
    }

    private void CheckCommand(string? command, string field)
    {
        if (string.IsNullOrWhiteSpace(command))
        {
            throw RunsException.BadRequest($"'{field}' must be a non-empty string");
        }
        if (command.Length > _options.MaxCommandLength)
        {
            throw RunsException.BadRequest($"'{field}' is longer than {_options.MaxCommandLength} characters");
        }
    }

    /// <summary>The working directory of a workspace; refuses ids that would leave the root.</summary>
    internal string ResolveWorkspace(string? workspaceId)
    {
        var path = Path.GetFullPath(Path.Combine(_workspaceRoot, workspaceId ?? "default"));
        var root = _workspaceRoot.EndsWith(Path.DirectorySeparatorChar) ? _workspaceRoot : _workspaceRoot + Path.DirectorySeparatorChar;
        if (!path.StartsWith(root, StringComparison.Ordinal))
        {
            throw RunsException.BadRequest("'workspaceId' must stay inside the workspace root");
        }
        return path;
    }

    /// <summary>
    /// Cancels a queued or running run. Answers at once; the `cancelled` event follows when no
    /// process of the run is left.
    /// </summary>
    /// <param name="runId">The run to cancel.</param>
    /// <param name="reason">The `reason` of its `cancelled` event.</param>
    /// <returns><see cref="RunStatus.Cancelled"/>.</returns>
    /// <exception cref="RunsException">The run is unknown (not_found) or was deleted by retention (gone).</exception>
    /// <exception cref="RunConflictException">The run has already finished.</exception>
    public RunStatus Cancel(string runId, string reason = "Cancelled by user") => Cancel(WaitFor(GetAsync(runId)), reason, null);

    /// <summary>Cancels <paramref name="run"/> for the user <paramref name="by"/> (recorded as cancelledBy).</summary>
    internal RunStatus Cancel(RunState run, string reason, string? by)
    {
        if (_fleet is not null && !ExecutesHere(run.RunId))
        {
            return CancelAsync(run, reason, by).GetAwaiter().GetResult();
        }
        var runId = run.RunId;
        if (run.IsFinished)
        {
            throw new RunConflictException(run.RunId, run.Status!.Value);
        }
        if (by is not null)
        {
            run.RecordCancelRequest(by);
        }
        RunsLog.CancelRequested(_logger, runId);
        if (TryDequeue(run) || run.IsExternal)
        {
            // Null when the run ended meanwhile (an external executor's terminal status).
            if (AppendStatus(run, RunStatus.Cancelled, reason) is null)
            {
                throw new RunConflictException(run.RunId, run.Status!.Value);
            }
            return RunStatus.Cancelled;
        }
        run.Execution.RequestEnd(RunStatus.Cancelled, reason, _options.CancelGrace);
        return RunStatus.Cancelled;
    }

    /// <summary>
    /// Sets the size of a running terminal run's terminal (the socket's <c>resize</c> event,
    /// docs/api.md section 7.2). Null when done, else why not, for the error acknowledgement.
    /// </summary>
    /// <param name="run">The run, as <see cref="FindAsync"/> found it.</param>
    internal string? Resize(RunState run, TerminalSize size)
    {
        var runId = run.RunId;
        if (run.Tty is null)
        {
            return $"Run '{runId}' has no terminal: it was not started with \"tty\": true";
        }
        if (run.IsFinished)
        {
            return $"Run '{runId}' has finished";
        }
        if (_fleet is { } fleet && !ExecutesHere(runId))
        {
            // Executed on another node (or not claimed yet): the size goes to whichever executes it.
            if (run.Status != RunStatus.Running)
            {
                return $"Run '{runId}' is not running";
            }
            fleet.Resize(runId, size);
            return null;
        }
        return run.Execution.TryResize(size) ? null : $"Run '{runId}' is not running";
    }

    private RunEvent? AppendStatus(RunState run, RunStatus status, string? reason = null, int? exitCode = null, long? stdoutBytes = null, long? stderrBytes = null)
    {
        var now = _time.GetUtcNow();
        var appended = run.Append(seq => RunEvent.ForStatus(run.RunId, seq, status, now, reason, exitCode, stdoutBytes, stderrBytes));
        if (appended is not null)
        {
            _telemetry.OnStatus(run, appended);
        }
        return appended;
    }
}
