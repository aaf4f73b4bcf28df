using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>
/// A run in a fleet: executed here under a lease (<see cref="Fence"/>), or mirrored from the
/// node that executes it. A mirror's events are not appended here: they come committed from
/// the fleet (<see cref="ApplyCommitted"/>), keep the seqs the executing node gave them, and are
/// handed to this node's subscribers exactly as a local append would be, so replay, catch-up
/// and going live work the same on every node.
/// </summary>
internal sealed partial class RunState
{
    private bool _mirror;
    private long _capBytes;

    /// <summary>A mirror of a run another node executes or an external executor feeds, as stored now.</summary>
    internal static RunState Mirror(RunRecord record, long logCapBytes, IRunStore store) =>
        new(record, long.MaxValue, store) { _mirror = true, _capBytes = logCapBytes };

    /// <summary>A mirror of a run nobody has created yet: its subscribers wait for its first event.</summary>
    internal static RunState Mirror(string runId, long logCapBytes, IRunStore store) =>
        new(runId, long.MaxValue, store) { _mirror = true, _capBytes = logCapBytes };

    private long _lastWanted;

    /// <summary>When a subscriber last asked for the run (a <see cref="TimeProvider"/> timestamp).</summary>
    public long LastWanted => Interlocked.Read(ref _lastWanted);

    /// <summary>Notes that a subscriber asked for the run at <paramref name="timestamp"/>.</summary>
    internal void Wanted(long timestamp) => Interlocked.Exchange(ref _lastWanted, timestamp);

    /// <summary>
    /// A mirror nobody subscribes to stops being one: true when it was retired (the caller
    /// stops feeding it and forgets it).
    /// </summary>
    internal bool TryRetireMirror()
    {
        lock (_lock)
        {
            if (!_mirror || _fanout.Count > 0)
            {
                return false;
            }
            _retired = true;
            return true;
        }
    }

    /// <summary>Whether the run's events come from another node (true) or are appended here.</summary>
    public bool IsMirror
    {
        get { lock (_lock) return _mirror; }
    }

    /// <summary>The lease token this node executes the run under; null outside a fleet and for a mirror.</summary>
    public long? Fence { get; private set; }

    /// <summary>
    /// Applies an event that is committed to the shared store, in seq order. Everything it
    /// holds is already durable, so nothing is written and the memory window may let it go.
    /// </summary>
    internal MirrorApply ApplyCommitted(RunEvent e)
    {
        TaskCompletionSource appended;
        lock (_lock)
        {
            if (!_mirror)
            {
                return MirrorApply.NotMirror;
            }
            if (e.Seq <= LastSeq)
            {
                return MirrorApply.Duplicate;
            }
            // The retention marker stands in for the events the executing node dropped.
            var next = e.IsMarker && e.DroppedFromSeq is { } from ? from : e.Seq;
            if (next > LastSeq + 1 || !Exists)
            {
                // Missed events, or a run this mirror knows nothing of yet: read the store first.
                return MirrorApply.Gap;
            }
            var offset = StdoutBytes + StderrBytes;
            if (!e.IsMarker)
            {
                CountOutput(e);
            }
            ApplyMetadata(e);
            LastSeq = e.Seq;
            _log.Append(e, offset);
            _log.OnPersisted(e.Seq, IsFinished);
            _fanout.Deliver(e);
            appended = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        appended.TrySetResult();
        return MirrorApply.Applied;
    }

    /// <summary>
    /// A mirror of a run nobody had created when it was made takes the run's metadata from the
    /// store's record; its events are then applied from the first (the caller reads them), so
    /// its subscribers are handed every one of them.
    /// </summary>
    internal void AdoptRecord(RunRecord record)
    {
        lock (_lock)
        {
            if (_mirror && !Exists)
            {
                CopyMetadata(record);
            }
        }
    }

    /// <summary>
    /// This node claimed the run (<paramref name="record"/>, with its lease token
    /// <paramref name="fence"/>): from now on its events are appended here, written under the
    /// token. False when the mirror is not at the record's last seq (the caller fills it from
    /// the store first) or the run has ended.
    /// </summary>
    internal bool TakeOwnership(RunRecord record, long fence)
    {
        lock (_lock)
        {
            if (!_mirror || IsFinished)
            {
                return false;
            }
            if (!Exists || LastSeq != record.LastSeq)
            {
                return false;
            }
            // The executing node applies the retention cap; a mirror never drops anything.
            _log = new RunLog(RunId, _capBytes, record.Gap, record.LastSeq);
            _mirror = false;
            Fence = fence;
            return true;
        }
    }

    /// <summary>A run this node claimed from the store, executed here under <paramref name="fence"/>.</summary>
    internal static RunState Claimed(RunRecord record, long fence, long logCapBytes, IRunStore store) =>
        new(record, logCapBytes, store) { Fence = fence };
}

/// <summary>What <see cref="RunState.ApplyCommitted"/> did with an event.</summary>
internal enum MirrorApply
{
    /// <summary>Applied and handed to the live subscribers.</summary>
    Applied,

    /// <summary>Already had it (a replay or a second delivery): ignored.</summary>
    Duplicate,

    /// <summary>Events before it are missing, or the run is unknown here: read them from the store, then apply it.</summary>
    Gap,

    /// <summary>The run is executed here: its events are appended, not applied.</summary>
    NotMirror,
}
