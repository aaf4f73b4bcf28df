using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>Finding runs: in memory, else in the store; and the awaited runs subscribers wait on before they exist.</summary>
public sealed partial class RunsService
{
    /// <summary>
    /// An existing run (in memory or in the store), or null. Completes at once when the run is in
    /// memory or the store is local (SQLite, memory: their async reads answer synchronously); a
    /// fleet's PostgreSQL is read without holding the caller's thread.
    /// </summary>
    internal ValueTask<RunState?> FindAsync(string runId, CancellationToken cancellationToken = default)
    {
        if (_fleet is not null)
        {
            return FindInFleetAsync(runId, cancellationToken);
        }
        if (_runs.TryGetValue(runId, out var run) && run.Exists)
        {
            return new(run);
        }
        return LoadFromStoreAsync(runId, cancellationToken);
    }

    /// <summary>The run; 404 when unknown, 410 when retention deleted it. Completes at once as <see cref="FindAsync"/> does.</summary>
    internal async ValueTask<RunState> GetAsync(string runId, CancellationToken cancellationToken = default)
    {
        if (await FindAsync(runId, cancellationToken).ConfigureAwait(false) is { } run)
        {
            return run;
        }
        if (await _store.IsDeletedAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            throw new RunsException(RunsErrorCode.Gone, $"Run '{runId}' was deleted by the retention policy");
        }
        throw RunsException.NotFound(runId);
    }

    private async ValueTask<RunState?> LoadFromStoreAsync(string runId, CancellationToken cancellationToken) =>
        await _store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false) is { } record ? Load(record) : null;

    /// <summary>
    /// The result of a lookup for the synchronous public API (<see cref="Cancel(string, string)"/>,
    /// <see cref="Publish(string, IReadOnlyList{PublishedEvent})"/>): at once on a single node; in a
    /// fleet it blocks on the shared store, as those methods already do on the fleet.
    /// </summary>
    private static T WaitFor<T>(ValueTask<T> lookup) => lookup.IsCompletedSuccessfully ? lookup.Result : lookup.AsTask().GetAwaiter().GetResult();

    /// <summary>The stored run as the one in memory (unless one exists by now).</summary>
    private RunState? Load(RunRecord record)
    {
        var runId = record.RunId;
        var loaded = new RunState(record, _options.RunLogMaxBytes, _store);
        var run = _runs.AddOrUpdate(runId, loaded, (_, existing) => existing.Exists ? existing : Adopt(existing, record));
        return run.Exists ? run : null;
    }

    /// <summary>A placeholder that subscribers were waiting on becomes the stored run.</summary>
    private RunState Adopt(RunState placeholder, RunRecord record)
    {
        var loaded = new RunState(record, _options.RunLogMaxBytes, _store);
        // Subscribers of the placeholder resubscribe lazily: there are none for a stored run
        // created by another process, since ids are only created by this one or by publishers.
        return placeholder.SubscriberCount == 0 ? loaded : placeholder;
    }

    /// <summary>
    /// The run's state for a subscriber, created empty when the run does not exist yet. Completes
    /// at once as <see cref="FindAsync"/> does.
    /// </summary>
    internal ValueTask<RunState> GetForSubscriptionAsync(string runId, CancellationToken cancellationToken = default) =>
        _fleet is not null ? GetForFleetSubscriptionAsync(runId, cancellationToken) : GetOrAwaitAsync(runId, cancellationToken);

    /// <summary>The run, or an empty one that its subscribers wait on until it is created.</summary>
    private async ValueTask<RunState> GetOrAwaitAsync(string runId, CancellationToken cancellationToken) =>
        await FindAsync(runId, cancellationToken).ConfigureAwait(false)
        ?? _runs.GetOrAdd(runId, id => new RunState(id, _options.RunLogMaxBytes, _store));

    /// <summary>Forgets an awaited run nobody created once its last subscriber left.</summary>
    internal void ReleaseIfUnused(RunState run)
    {
        if (run.IsMirror)
        {
            return; // a mirror is retired once idle for a while (RetireIdleMirrors): a resubscribe keeps it
        }
        if (run.TryRetire())
        {
            _runs.TryRemove(new KeyValuePair<string, RunState>(run.RunId, run));
        }
    }

    /// <summary>How many sockets are subscribed to <paramref name="runId"/> (existing or awaited).</summary>
    internal int SubscriberCountOf(string runId) => _runs.TryGetValue(runId, out var run) ? run.SubscriberCount : 0;
}
