namespace RunsStream.Server.Runs.Storage;

/// <summary>A queued write. <see cref="Owner"/> hears when its events are durable.</summary>
internal abstract record StoreWrite(IPersistenceListener? Owner)
{
    /// <summary>
    /// The lease's fencing token of the node that wrote it (fleet mode, issue 14): a store that
    /// keeps leases (PostgreSQL) drops the write when the run's lease_token is no longer this
    /// one, and tells <see cref="Owner"/> (<see cref="IPersistenceListener.OnFenced"/>). Null
    /// applies the write as it is; the single-node stores ignore it.
    /// </summary>
    public long? Fence { get; init; }
}

/// <summary>Insert or update a run's metadata.</summary>
internal sealed record SaveRunWrite(RunRecord Run, IPersistenceListener? Owner = null) : StoreWrite(Owner);

/// <summary>
/// Append one event. <see cref="Offset"/> is where its data starts in the run's output (both
/// streams), <see cref="StreamOffset"/> where it starts in its own stream.
/// </summary>
internal sealed record AppendEventWrite(RunEvent Event, long Offset, long StreamOffset, IPersistenceListener? Owner = null) : StoreWrite(Owner);

/// <summary>Delete the events of a retention gap and record the gap on the run.</summary>
internal sealed record DropEventsWrite(string RunId, long FromSeq, long ToSeq, RetentionGap Gap) : StoreWrite((IPersistenceListener?)null);

/// <summary>Told by the writer once events up to a seq are durable.</summary>
internal interface IPersistenceListener
{
    void OnPersisted(long seq);

    /// <summary>
    /// A write for <paramref name="runId"/> was dropped because its fence is stale: another node
    /// took the run over, so this one must stop executing it (its later writes are dropped too).
    /// </summary>
    void OnFenced(string runId);
}
