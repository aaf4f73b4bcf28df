using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>
/// A run's log as held in memory: a window of recent events (every event not yet durable,
/// plus recent ones up to <see cref="WindowBytes"/>) and the retention bookkeeping of
/// RUN_LOG_MAX_BYTES: the head (first half of the cap) is kept, then a rolling tail (second
/// half) in segments; when the tail outgrows its half, its oldest segments become the one
/// retention gap, dropped from the store and replaced on replay by one marker. Older events
/// are read from the store. Not thread-safe: <see cref="RunState"/> locks.
/// </summary>
internal sealed class RunLog
{
    /// <summary>Durable events kept in memory per run for subscribers that fall a little behind.</summary>
    public const long WindowBytes = 8L * 1024 * 1024;

    private const long MaxSegmentBytes = 64 * 1024;

    private readonly string _runId;
    private readonly long _headCap;
    private readonly long _tailCap;
    private readonly long _segmentBytes;
    private readonly List<RunEvent> _window = new();
    private readonly LinkedList<Segment> _tail = new();
    private int _windowStart;
    private int _persistIndex;
    private long _windowBytes;
    private long _persistedSeq;
    private long _headBytes;
    private bool _headFull;
    private long _tailBytes;

    public RunLog(string runId, long capBytes, RetentionGap gap = default, long persistedSeq = 0)
    {
        _runId = runId;
        _headCap = capBytes / 2;
        _tailCap = capBytes - capBytes / 2;
        _segmentBytes = Math.Clamp(_tailCap / 8, 1, MaxSegmentBytes);
        Gap = gap;
        _persistedSeq = persistedSeq;
        _headFull = gap.Exists;
    }

    public RetentionGap Gap { get; private set; }

    public long PersistedSeq => _persistedSeq;

    /// <summary>Adds an event whose data starts at <paramref name="offset"/> of the output; returns a newly dropped range, if any.</summary>
    public (long From, long To)? Append(RunEvent e, long offset)
    {
        _window.Add(e);
        _windowBytes += e.DataBytes;

        if (!_headFull && _headBytes < _headCap)
        {
            _headBytes += e.DataBytes; // whole events, so the head may overshoot by one
            return null;
        }
        _headFull = true;

        var bytes = e.Type == RunEventType.Status ? 0 : e.DataBytes;
        if (_tail.Last is { } last && last.Value.Bytes < _segmentBytes)
        {
            last.Value = last.Value with { ToSeq = e.Seq, Bytes = last.Value.Bytes + bytes, ToOffset = offset + bytes, At = e.Timestamp };
        }
        else
        {
            _tail.AddLast(new Segment(e.Seq, e.Seq, bytes, offset, offset + bytes, e.Timestamp));
        }
        _tailBytes += bytes;

        (long From, long To)? dropped = null;
        while (_tailBytes > _tailCap && _tail.Count > 1)
        {
            var oldest = _tail.First!.Value;
            _tail.RemoveFirst();
            _tailBytes -= oldest.Bytes;
            Gap = Gap.Exists
                ? Gap with { ToSeq = oldest.ToSeq, Bytes = Gap.Bytes + oldest.Bytes, ToOffset = oldest.ToOffset, At = oldest.At }
                : new RetentionGap(oldest.FromSeq, oldest.ToSeq, oldest.Bytes, oldest.FromOffset, oldest.ToOffset, oldest.At);
            dropped = (dropped?.From ?? oldest.FromSeq, oldest.ToSeq);
        }
        return dropped;
    }

    /// <summary>
    /// Events up to <paramref name="seq"/> are durable: the window may let them go. Returns the
    /// data bytes that became durable with this call (for <see cref="StoreFlowControl"/>).
    /// </summary>
    public long OnPersisted(long seq, bool finished)
    {
        _persistedSeq = Math.Max(_persistedSeq, seq);
        long durable = 0;
        while (_persistIndex < _window.Count && _window[_persistIndex].Seq <= _persistedSeq)
        {
            durable += _window[_persistIndex++].DataBytes;
        }
        var keep = finished ? 0 : WindowBytes;
        while (_windowStart < _window.Count)
        {
            var oldest = _window[_windowStart];
            if (oldest.Seq > _persistedSeq || (_windowBytes <= keep && !InGap(oldest.Seq)))
            {
                break;
            }
            _windowBytes -= oldest.DataBytes;
            _window[_windowStart++] = null!;
        }
        if (_windowStart > 1024 && _windowStart > _window.Count / 2)
        {
            _window.RemoveRange(0, _windowStart);
            _persistIndex -= _windowStart;
            _windowStart = 0;
        }
        return durable;
    }

    private bool InGap(long seq) => Gap.Exists && seq >= Gap.FromSeq && seq <= Gap.ToSeq;

    /// <summary>
    /// Events after <paramref name="afterSeq"/> from memory (a marker for the gap), or null
    /// when some of them are only in the store.
    /// </summary>
    public List<RunEvent>? TryRead(long afterSeq, int maxEvents, long maxBytes)
    {
        var next = afterSeq + 1;
        if (InGap(next))
        {
            next = Gap.ToSeq + 1;
        }
        var first = _windowStart < _window.Count ? _window[_windowStart].Seq : long.MaxValue;
        if (next < first && next <= _persistedSeq)
        {
            return null;
        }

        var result = new List<RunEvent>();
        long bytes = 0;
        var markerPending = Gap.Exists && afterSeq < Gap.ToSeq;
        for (var i = _windowStart; i < _window.Count && result.Count < maxEvents && bytes < maxBytes; i++)
        {
            var e = _window[i];
            if (e.Seq <= afterSeq || InGap(e.Seq))
            {
                continue;
            }
            if (markerPending && e.Seq > Gap.ToSeq)
            {
                result.Add(Gap.Marker(_runId));
                markerPending = false;
            }
            result.Add(e);
            bytes += e.DataBytes;
        }
        return result;
    }

    private readonly record struct Segment(long FromSeq, long ToSeq, long Bytes, long FromOffset, long ToOffset, DateTimeOffset At);
}
