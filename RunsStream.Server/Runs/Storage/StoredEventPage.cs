namespace RunsStream.Server.Runs.Storage;

/// <summary>
/// One page of a run's stored events as every store's read returns it, built from rows in seq
/// order: the rows of the retention gap (dropped, maybe not deleted yet) are left out and one
/// marker stands in their place; the page ends at <c>maxBytes</c> of output (whole events) or
/// after <c>maxEvents</c> rows. The stores differ only in how they fetch the rows.
/// </summary>
internal sealed class StoredEventPage(string runId, RetentionGap gap, long afterSeq, int maxEvents, long maxBytes)
{
    private readonly List<RunEvent> _events = [];
    private bool _markerPending = gap.Exists && afterSeq < gap.ToSeq;
    private bool _full;
    private int _rows;
    private long _bytes;

    /// <summary>
    /// Takes the row of <paramref name="seq"/>, turned into an event by <paramref name="read"/>
    /// only when it is not in the gap. False once the page is full: read no more rows.
    /// </summary>
    public bool Add<TRow>(long seq, TRow row, Func<string, TRow, RunEvent> read)
    {
        _rows++;
        if (gap.Exists && seq >= gap.FromSeq && seq <= gap.ToSeq)
        {
            return true;
        }
        if (_markerPending && seq > gap.ToSeq)
        {
            _events.Add(gap.Marker(runId));
            _markerPending = false;
        }
        var e = read(runId, row);
        _events.Add(e);
        _bytes += e.DataBytes;
        _full = _bytes >= maxBytes;
        return !_full;
    }

    /// <summary>
    /// The page. A gap at the end of what is stored (no row after it in this page, and the
    /// rows ran out before <c>maxEvents</c>) still gets its marker.
    /// </summary>
    public List<RunEvent> Complete()
    {
        if (!_full && _markerPending && _rows < maxEvents)
        {
            _events.Add(gap.Marker(runId));
            _markerPending = false;
        }
        return _events;
    }
}
