using RunsStream.Server.Runs.Execution;

namespace RunsStream.Tests.Server.Runs.Execution;

/// <summary>
/// Collects what a run delivers. With <c>keepText: false</c> it only counts, for outputs too
/// large to hold as strings. Records any concurrent call, which the contract forbids.
/// </summary>
internal sealed class RecordingOutputSink(bool keepText = true) : IRunOutputSink
{
    private readonly object _lock = new();
    private readonly List<(OutputStream Stream, string Text)> _events = [];
    private readonly long[] _chars = new long[2];
    private int _eventCount;
    private int _inside;

    public int ConcurrentCalls { get; private set; }

    public int EventCount
    {
        get { lock (_lock) return _eventCount; }
    }

    public bool SawReplacementChar { get; private set; }

    public void OnOutput(OutputStream stream, string text)
    {
        if (Interlocked.Increment(ref _inside) != 1)
        {
            ConcurrentCalls++;
        }
        lock (_lock)
        {
            _eventCount++;
            _chars[(int)stream] += text.Length;
            SawReplacementChar |= text.Contains('\uFFFD');
            if (keepText)
            {
                _events.Add((stream, text));
            }
        }
        Interlocked.Decrement(ref _inside);
    }

    public IReadOnlyList<(OutputStream Stream, string Text)> Events
    {
        get { lock (_lock) return _events.ToArray(); }
    }

    public string AllText => string.Concat(Events.Select(e => e.Text));

    public string Text(OutputStream stream) =>
        string.Concat(Events.Where(e => e.Stream == stream).Select(e => e.Text));

    public long CharCount(OutputStream stream)
    {
        lock (_lock) return _chars[(int)stream];
    }
}
