using System.Collections.Concurrent;
using RunsStream.Server.Runs.Fleet;
using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>
/// The runs domain as one node of a fleet (docs/fleet.md): runs are queued in the shared
/// store and claimed by any node with a free slot; a run executed here is appended under its
/// lease; any other run that this node's clients watch is a mirror fed by the fleet.
/// </summary>
public sealed partial class RunsService
{
    /// <summary>How long a mirror nobody watches is kept before it stops following its run.</summary>
    internal static readonly TimeSpan MirrorIdleTime = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, MirrorSync> _mirrors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RunState> _leased = new(StringComparer.Ordinal);
    private IRunFleet? _fleet;

    /// <summary>Makes this service a node of <paramref name="fleet"/>; called once, before the server starts.</summary>
    internal void JoinFleet(IRunFleet fleet) => _fleet = fleet;

    /// <summary>Whether this service is a node of a fleet.</summary>
    internal bool InFleet => _fleet is not null;

    /// <summary>The mirrors this node follows now.</summary>
    internal ICollection<MirrorSync> Mirrors => _mirrors.Values;

    /// <summary>Whether a slot is free for a claimed run.</summary>
    internal bool HasFreeSlot
    {
        get
        {
            lock (_schedule)
            {
                return !_shuttingDown && _running < _options.MaxConcurrentRuns;
            }
        }
    }

    /// <summary>The runs executed here under a lease, with their tokens, for the renewal.</summary>
    internal IReadOnlyList<(string RunId, long Fence)> HeldLeases() =>
        _leased.Values.Select(run => (run.RunId, run.Fence!.Value)).ToList();

    /// <summary>
    /// Executes a run this node claimed. A mirror of it that local clients watch becomes the
    /// executing run (filled to the claimed record first), so they keep their subscription.
    /// </summary>
    internal async Task ExecuteClaimedAsync(RunRecord record, long fence)
    {
        RunState run;
        if (_mirrors.TryGetValue(record.RunId, out var sync))
        {
            await sync.FillAsync().ConfigureAwait(false);
            if (!sync.Run.TakeOwnership(record, fence))
            {
                // The mirror is ahead of or behind the claimed record: start from the record.
                _runs.TryRemove(new KeyValuePair<string, RunState>(record.RunId, sync.Run));
                run = RunState.Claimed(record, fence, _options.RunLogMaxBytes, _store);
            }
            else
            {
                run = sync.Run;
            }
            _mirrors.TryRemove(new KeyValuePair<string, MirrorSync>(record.RunId, sync));
            _fleet!.Unfollow(sync);
        }
        else
        {
            run = RunState.Claimed(record, fence, _options.RunLogMaxBytes, _store);
        }
        _runs[run.RunId] = run;
        _leased[run.RunId] = run;
        lock (_schedule)
        {
            LaunchLocked(run);
        }
    }

    /// <summary>Whether this node executes <paramref name="runId"/> now.</summary>
    internal bool ExecutesHere(string runId) => _leased.ContainsKey(runId);

    /// <summary>A resize the fleet passed on (<see cref="IRunFleet.Resize"/>): applies when this node executes the run.</summary>
    internal void ResizeIfExecutedHere(string runId, Execution.TerminalSize size)
    {
        if (_leased.TryGetValue(runId, out var run))
        {
            Resize(run, size);
        }
    }

    /// <summary>A run executed here ended and all its events are durable: its lease is no longer renewed.</summary>
    internal void ReleaseLease(RunState run) => _leased.TryRemove(new KeyValuePair<string, RunState>(run.RunId, run));

    /// <summary>
    /// The lease of a run executed here was taken over (this node was thought lost): its
    /// process is stopped at once; its writes are refused by the store anyway.
    /// </summary>
    internal void LoseLease(string runId)
    {
        if (_leased.TryRemove(runId, out var run))
        {
            run.Execution.RequestEnd(RunStatus.Failed, "lease lost", TimeSpan.Zero);
        }
    }

    /// <summary>
    /// A run of the fleet for a subscriber: executed here, a mirror, or a finished run from the
    /// store (read without holding the thread; at once when the run is known here).
    /// </summary>
    private async ValueTask<RunState> GetForFleetSubscriptionAsync(string runId, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_runs.TryGetValue(runId, out var known))
            {
                known.Wanted(_time.GetTimestamp());
                return known;
            }
            var record = await _store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
            var now = _time.GetTimestamp();
            var created = record switch
            {
                { } finished when finished.Status.IsTerminal() => new RunState(finished, _options.RunLogMaxBytes, _store),
                { } running => RunState.Mirror(running, _options.RunLogMaxBytes, _store),
                null => RunState.Mirror(runId, _options.RunLogMaxBytes, _store),
            };
            created.Wanted(now);
            if (_runs.TryAdd(runId, created))
            {
                if (created.IsMirror)
                {
                    var sync = new MirrorSync(created, _store);
                    _mirrors[runId] = sync;
                    _fleet!.Follow(sync);
                }
                return created;
            }
        }
    }

    /// <summary>
    /// Mirrors that nobody has watched for <see cref="MirrorIdleTime"/> stop following their
    /// run (the next subscriber makes a new one from the store).
    /// </summary>
    internal void RetireIdleMirrors()
    {
        var now = _time.GetTimestamp();
        foreach (var (runId, sync) in _mirrors)
        {
            if (_time.GetElapsedTime(sync.Run.LastWanted, now) >= MirrorIdleTime && sync.Run.TryRetireMirror())
            {
                _mirrors.TryRemove(new KeyValuePair<string, MirrorSync>(runId, sync));
                _runs.TryRemove(new KeyValuePair<string, RunState>(runId, sync.Run));
                _fleet!.Unfollow(sync);
            }
        }
    }

    /// <summary>
    /// A run of the fleet for a reader: executed here or mirrored (kept current by the fleet),
    /// else as the store has it now (not kept: it would go stale), read without holding the thread.
    /// </summary>
    private async ValueTask<RunState?> FindInFleetAsync(string runId, CancellationToken cancellationToken)
    {
        if (_runs.TryGetValue(runId, out var known) && known.Exists)
        {
            return known;
        }
        if (await _store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false) is not { } record)
        {
            return null;
        }
        var loaded = new RunState(record, _options.RunLogMaxBytes, _store);
        return record.Status.IsTerminal() ? _runs.GetOrAdd(runId, loaded) is { Exists: true } cached ? cached : loaded : loaded;
    }

    /// <summary>
    /// Creates a run and, in a fleet, waits until it is durable in the shared queue (any node
    /// may claim it from then on); answers as <see cref="StartRun(RunRequest, string?)"/>.
    /// </summary>
    internal async Task<RunState> StartRunAsync(RunRequest request, string? by, CancellationToken cancellationToken = default)
    {
        var run = StartRun(request, by);
        if (_fleet is { } fleet)
        {
            try
            {
                await _store.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (StoreUnavailableException ex)
            {
                // Not acknowledged: it is queued for the store, which retries, and runs once it is there.
                throw new RunsException(RunsErrorCode.Unavailable, $"Run '{run.RunId}' is not stored yet ({ex.Message}); it runs once the store takes it, GET /runs/{run.RunId} tells");
            }
            // Not executed here unless this node claims it: watchers get a mirror from the store.
            _runs.TryRemove(new KeyValuePair<string, RunState>(run.RunId, run));
            fleet.RunQueued();
        }
        return run;
    }

    /// <summary>
    /// As <see cref="Cancel(RunState, string, string?)"/>, for a run executed on any node of the
    /// fleet: one executed here is cancelled here, any other through the fleet.
    /// </summary>
    internal async Task<RunStatus> CancelAsync(RunState run, string reason, string? by, CancellationToken cancellationToken = default)
    {
        if (_fleet is not { } fleet || ExecutesHere(run.RunId))
        {
            return Cancel(run, reason, by);
        }
        var record = await _store.GetRunAsync(run.RunId, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            throw await _store.IsDeletedAsync(run.RunId, cancellationToken).ConfigureAwait(false)
                ? new RunsException(RunsErrorCode.Gone, $"Run '{run.RunId}' was deleted by the retention policy")
                : RunsException.NotFound(run.RunId);
        }
        if (record.Status.IsTerminal())
        {
            throw new RunConflictException(run.RunId, record.Status);
        }
        RunsLog.CancelRequested(_logger, run.RunId);
        await fleet.CancelElsewhereAsync(record, reason, by, cancellationToken).ConfigureAwait(false);
        return RunStatus.Cancelled;
    }

    /// <summary>As <see cref="Publish(string, IReadOnlyList{PublishedEvent})"/>, into the shared store when this node is part of a fleet.</summary>
    internal async Task PublishAsync(string runId, IReadOnlyList<PublishedEvent> events, string? by, CancellationToken cancellationToken = default)
    {
        if (_fleet is not { } fleet)
        {
            Publish(runId, events, by);
            return;
        }
        CheckPublish(runId, events);
        switch (await fleet.PublishAsync(runId, events, by, cancellationToken).ConfigureAwait(false))
        {
            case PublishOutcome.ExecutedHere:
                throw RunsException.Conflict($"Run '{runId}' is executed by this server; it takes no published events");
            case PublishOutcome.Finished:
                throw new RunConflictException(runId, (await _store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false))?.Status ?? RunStatus.Failed);
            case PublishOutcome.Deleted:
                throw new RunsException(RunsErrorCode.Gone, $"Run '{runId}' was deleted by the retention policy");
        }
    }
}
