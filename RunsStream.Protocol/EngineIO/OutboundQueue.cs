namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// A session's outbound frames, bounded by bytes. Many producers enqueue; exactly one
/// consumer (the active transport's writer) drains. Exceeding the bound does not block the
/// producer: <see cref="TryEnqueue"/> returns false and the session closes the connection, so a
/// slow client costs neither memory nor the other clients' throughput.
/// </summary>
internal sealed class OutboundQueue(long maxBytes)
{
    private readonly object _lock = new();
    private readonly Queue<EngineFrame> _frames = new();
    private TaskCompletionSource? _waiter;
    private TaskCompletionSource? _drainWaiter;
    private long _bytes;
    private bool _completed;

    public long BufferedBytes => Volatile.Read(ref _bytes);

    public int Count
    {
        get { lock (_lock) return _frames.Count; }
    }

    public bool TryEnqueue(EngineFrame frame)
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            if (_completed)
            {
                return true; // the session is closing: drop silently
            }
            if (_bytes + frame.Size > maxBytes && _frames.Count > 0)
            {
                return false;
            }
            _frames.Enqueue(frame);
            _bytes += frame.Size;
            wake = _waiter;
            _waiter = null;
        }
        wake?.TrySetResult();
        return true;
    }

    public bool TryEnqueue(IReadOnlyList<EngineFrame> frames)
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            if (_completed)
            {
                return true;
            }
            long size = 0;
            foreach (var frame in frames)
            {
                size += frame.Size;
            }
            if (_bytes + size > maxBytes && _frames.Count > 0)
            {
                return false;
            }
            foreach (var frame in frames)
            {
                _frames.Enqueue(frame);
            }
            _bytes += size;
            wake = _waiter;
            _waiter = null;
        }
        wake?.TrySetResult();
        return true;
    }

    /// <summary>Moves up to <paramref name="maxBytes"/> worth of frames (at least one) into <paramref name="into"/>.</summary>
    public int Drain(List<EngineFrame> into, long maxBytes = long.MaxValue)
    {
        lock (_lock)
        {
            long taken = 0;
            var count = 0;
            while (_frames.TryPeek(out var frame) && (count == 0 || taken + frame.Size <= maxBytes))
            {
                _frames.Dequeue();
                taken += frame.Size;
                into.Add(frame);
                count++;
            }
            _bytes -= taken;
            if (count > 0 && _drainWaiter is { } drained)
            {
                _drainWaiter = null;
                drained.TrySetResult();
            }
            return count;
        }
    }

    /// <summary>Completes when the writer has taken frames from the queue, or the queue is completed.</summary>
    public Task WaitForDrainAsync()
    {
        lock (_lock)
        {
            if (_completed || _frames.Count == 0)
            {
                return Task.CompletedTask;
            }
            _drainWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drainWaiter.Task;
        }
    }

    /// <summary>Completes when a frame is queued or the queue is completed.</summary>
    public Task WaitAsync()
    {
        lock (_lock)
        {
            if (_frames.Count > 0 || _completed)
            {
                return Task.CompletedTask;
            }
            _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiter.Task;
        }
    }

    /// <summary>Wakes any waiter so it can observe a state change (upgrade, close).</summary>
    public void Signal()
    {
        TaskCompletionSource? wake;
        lock (_lock)
        {
            wake = _waiter;
            _waiter = null;
        }
        wake?.TrySetResult();
    }

    /// <summary>Stops accepting frames; queued frames can still be drained.</summary>
    public void Complete()
    {
        TaskCompletionSource? drained;
        lock (_lock)
        {
            _completed = true;
            drained = _drainWaiter;
            _drainWaiter = null;
        }
        drained?.TrySetResult();
        Signal();
    }
}
