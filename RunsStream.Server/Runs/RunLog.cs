namespace RunsStream.Server.Runs;

/// <summary>
/// The retained events of one run, bounded by bytes of output: the head (first half of the
/// cap) is kept, then a rolling tail (second half); what falls out of the tail is counted and
/// replaced on read by one marker event. Not thread-safe: <see cref="RunState"/> locks.
/// </summary>
internal sealed class RunLog(string runId, long capBytes)
{
    private readonly long _headCap = capBytes / 2;
    private readonly long _tailCap = capBytes - capBytes / 2;
    private readonly List<RunEvent> _head = new();
    private readonly List<RunEvent> _tail = new();
    private int _tailStart;
    private long _headBytes;
    private long _tailBytes;
    private bool _headFull;
    private long _droppedBytes;
    private long _droppedFrom;
    private long _droppedTo;
    private DateTimeOffset _droppedAt;

    public long RetainedBytes => _headBytes + _tailBytes;

    public long DroppedBytes => _droppedBytes;

    public void Append(RunEvent e)
    {
        // The head takes whole events until it is full, so it may overshoot by one event.
        if (!_headFull && _headBytes < _headCap)
        {
            _head.Add(e);
            _headBytes += e.DataBytes;
            return;
        }
        _headFull = true;
        _tail.Add(e);
        _tailBytes += e.DataBytes;
        while (_tailBytes > _tailCap && _tail.Count - _tailStart > 1)
        {
            var dropped = _tail[_tailStart];
            _tail[_tailStart++] = null!;
            _tailBytes -= dropped.DataBytes;
            if (_droppedBytes == 0 && _droppedFrom == 0)
            {
                _droppedFrom = dropped.Seq;
            }
            _droppedBytes += dropped.DataBytes;
            _droppedTo = dropped.Seq;
            _droppedAt = dropped.Timestamp;
        }
        if (_tailStart > 1024 && _tailStart > _tail.Count / 2)
        {
            _tail.RemoveRange(0, _tailStart);
            _tailStart = 0;
        }
    }

    /// <summary>
    /// Events with seq &gt; <paramref name="afterSeq"/>, in order, at least one when any, at most
    /// <paramref name="maxEvents"/> and about <paramref name="maxBytes"/> of data. A dropped
    /// stretch comes back as one marker.
    /// </summary>
    public List<RunEvent> Read(long afterSeq, int maxEvents, long maxBytes)
    {
        var result = new List<RunEvent>();
        long bytes = 0;
        bool Full() => result.Count >= maxEvents || bytes >= maxBytes;

        if (_head.Count > 0)
        {
            var start = (int)Math.Clamp(afterSeq - _head[0].Seq + 1, 0, _head.Count);
            for (var i = start; i < _head.Count && !Full(); i++)
            {
                result.Add(_head[i]);
                bytes += _head[i].DataBytes;
            }
        }
        if (Full())
        {
            return result;
        }
        if (_droppedTo > 0 && afterSeq < _droppedTo)
        {
            result.Add(Marker());
            bytes += 64;
        }
        var tailCount = _tail.Count - _tailStart;
        if (tailCount > 0)
        {
            var firstSeq = _tail[_tailStart].Seq;
            var start = (int)Math.Clamp(afterSeq - firstSeq + 1, 0, tailCount);
            for (var i = _tailStart + start; i < _tail.Count && !Full(); i++)
            {
                result.Add(_tail[i]);
                bytes += _tail[i].DataBytes;
            }
        }
        return result;
    }

    private RunEvent Marker() =>
        new(runId, _droppedTo, RunEventType.Stderr, $"\r\n[runsstream: {_droppedBytes} bytes of output dropped here (RUN_LOG_MAX_BYTES)]\r\n", _droppedAt)
        {
            DroppedBytes = _droppedBytes,
            DroppedFromSeq = _droppedFrom,
        };
}
