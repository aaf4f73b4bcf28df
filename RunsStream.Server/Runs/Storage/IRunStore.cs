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

    /// <summary>Deletes finished runs created before <paramref name="cutoff"/>; returns their ids.</summary>
    IReadOnlyList<string> DeleteFinishedBefore(DateTimeOffset cutoff);
}

/// <summary>The data of one output event and where it starts in the chosen byte space.</summary>
internal readonly record struct OutputChunk(long Offset, string Data);
