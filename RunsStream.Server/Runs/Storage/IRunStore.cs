namespace RunsStream.Server.Runs.Storage;

/// <summary>
/// Where runs and their events live beyond the process. Writes are queued and applied in
/// order by a background writer in batches (group commit), so appending never waits on the
/// disk; reads see everything written before the last <see cref="FlushAsync"/>. A write is
/// acknowledged (<see cref="IPersistenceListener.OnPersisted"/>) only once it is committed.
/// </summary>
internal interface IRunStore : IAsyncDisposable
{
    /// <summary>Queues a write; never blocks on I/O.</summary>
    void Enqueue(StoreWrite write);

    /// <summary>
    /// Completes once every write queued before the call is durable. Faults with
    /// <see cref="StoreUnavailableException"/> when the commit that should make them durable
    /// fails: the writes are not lost, they stay queued and are retried.
    /// </summary>
    Task FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>Whether writes succeed now; changes as commits fail and succeed again.</summary>
    StoreHealth Health { get; }

    RunRecord? GetRun(string runId);

    /// <summary>
    /// Runs newest first; <paramref name="before"/> is a cursor (a run id), exclusive; only those of
    /// <paramref name="workspaces"/> (a run without one is in "default") unless it is null.
    /// </summary>
    IReadOnlyList<RunRecord> ListRuns(int limit, RunRecord? before, RunStatus? status, IReadOnlyCollection<string>? workspaces = null);

    /// <summary>Runs a previous process left queued or running.</summary>
    IReadOnlyList<RunRecord> ListUnfinished();

    /// <summary>Stored events after <paramref name="afterSeq"/> in order; the retention marker stands in for dropped ones.</summary>
    List<RunEvent> ReadEvents(string runId, long afterSeq, int maxEvents, long maxBytes);

    /// <summary>
    /// Output events that overlap the byte range [<paramref name="from"/>, <paramref name="to"/>)
    /// of the raw log, or of one stream's bytes when <paramref name="stream"/> is given.
    /// </summary>
    IEnumerable<OutputChunk> ReadOutput(string runId, RunEventType? stream, long from, long to);

    /// <summary>True when the run existed and was deleted by retention (410 Gone).</summary>
    bool IsDeleted(string runId);

    // The reads again, for callers that are async: a store across the network (PostgreSQL)
    // answers them without holding a thread. The local stores answer at once (the defaults).

    /// <summary>As <see cref="GetRun"/>.</summary>
    Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default) => Task.FromResult(GetRun(runId));

    /// <summary>As <see cref="ListRuns"/>.</summary>
    Task<IReadOnlyList<RunRecord>> ListRunsAsync(int limit, RunRecord? before, RunStatus? status, IReadOnlyCollection<string>? workspaces = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(ListRuns(limit, before, status, workspaces));

    /// <summary>As <see cref="ListUnfinished"/>.</summary>
    Task<IReadOnlyList<RunRecord>> ListUnfinishedAsync(CancellationToken cancellationToken = default) => Task.FromResult(ListUnfinished());

    /// <summary>As <see cref="ReadEvents"/>.</summary>
    Task<List<RunEvent>> ReadEventsAsync(string runId, long afterSeq, int maxEvents, long maxBytes, CancellationToken cancellationToken = default) =>
        Task.FromResult(ReadEvents(runId, afterSeq, maxEvents, maxBytes));

    /// <summary>As <see cref="ReadOutput"/>.</summary>
    IAsyncEnumerable<OutputChunk> ReadOutputAsync(string runId, RunEventType? stream, long from, long to, CancellationToken cancellationToken = default) =>
        ReadOutput(runId, stream, from, to).ToAsyncEnumerable();

    /// <summary>As <see cref="IsDeleted"/>.</summary>
    Task<bool> IsDeletedAsync(string runId, CancellationToken cancellationToken = default) => Task.FromResult(IsDeleted(runId));

    /// <summary>Deletes finished runs created before <paramref name="cutoff"/>; returns their ids.</summary>
    IReadOnlyList<string> DeleteFinishedBefore(DateTimeOffset cutoff);
}

/// <summary>The data of one output event and where it starts in the chosen byte space.</summary>
internal readonly record struct OutputChunk(long Offset, string Data);
