namespace RunsStream.Server.Runs.Storage;

/// <summary>A queued write. <see cref="Owner"/> hears when its events are durable.</summary>
internal abstract record StoreWrite(IPersistenceListener? Owner)
{
    /// <summary>
    /// In a fleet, the lease token (fencing token) under which the writer holds the run: a
    /// store that keeps leases applies the write only while it is still the run's token. Null
    /// for a write not made under a lease (one node, an external run).
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
}
