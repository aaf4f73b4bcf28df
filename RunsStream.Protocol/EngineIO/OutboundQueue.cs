using RunsStream.Protocol.EngineIO.Transports;

namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// A session's outbound frames, bounded by bytes. Many producers enqueue; exactly one
/// consumer (the active transport's writer) drains. Exceeding the bound does not block the
/// producer: <see cref="TryEnqueue"/> returns false and the session closes the connection, so a
/// slow client costs neither memory nor the other clients' throughput.
/// </summary>
/// <remarks>
/// Sending now: while a WebSocket whose output can send without waiting is active and its
/// writer is idle with nothing queued, a producer sends its frame itself, under this queue's
/// lock, and the frame is never queued. What the socket does not take at once (a partial
/// send) is kept as <c>_partial</c>, which the writer sends before anything else. The writer
/// brackets its own sends with <see cref="BeginWrite"/> and <see cref="EndWrite"/>, during
/// which producers queue, so bytes from the two never interleave.
/// </remarks>
internal sealed class OutboundQueue(long maxBytes)
{
    private readonly object _lock = new();
    private readonly Queue<EngineFrame> _frames = new();
    private TaskCompletionSource? _waiter;
    private TaskCompletionSource? _drainWaiter;
    private WebSocketOutput? _direct;
    private Action? _waker;
    private ReadOnlyMemory<byte> _partial;
    private bool _writing;
    private long _bytes;
    private bool _completed;

    public long BufferedBytes => Volatile.Read(ref _bytes);

    public int Count
    {
        get { lock (_lock) return _frames.Count + (_partial.IsEmpty ? 0 : 1); }
    }

    /// <summary>
    /// Called (outside this queue's lock) whenever there is new work for the writer, besides
    /// completing <see cref="WaitAsync"/>: the WebSocket writer waits on one signal of its own.
    /// </summary>
    public void SetWaker(Action? waker)
    {
        lock (_lock)
        {
            _waker = waker;
        }
    }

    /// <summary>Lets producers send on <paramref name="output"/> while the writer is idle.</summary>
    public void EnableSendNow(WebSocketOutput output)
    {
        lock (_lock)
        {
            _direct = output.CanSendNow && !_completed ? output : null;
        }
    }

    /// <summary>From now on every frame goes through the queue (returns after any producer's send).</summary>
    public void DisableSendNow()
    {
        lock (_lock)
        {
            _direct = null;
        }
    }

    /// <summary>
    /// The writer is about to send: until <see cref="EndWrite"/>, producers queue. Returns the
    /// rest of a frame a producer sent in part, which must be sent first.
    /// </summary>
    public ReadOnlyMemory<byte> BeginWrite()
    {
        lock (_lock)
        {
            _writing = true;
            var partial = _partial;
            _partial = default;
            _bytes -= partial.Length;
            return partial;
        }
    }

    public void EndWrite()
    {
        lock (_lock)
        {
            _writing = false;
        }
    }

    public bool TryEnqueue(EngineFrame frame)
    {
        TaskCompletionSource? wake;
        Action? waker;
        lock (_lock)
        {
            if (_completed)
            {
                return true; // the session is closing: drop silently
            }
            if (TrySendNowLocked(frame.WebSocketFrame, out var partial))
            {
                if (!partial)
                {
                    return true;
                }
            }
            else
            {
                if (_bytes + frame.Size > maxBytes && (_frames.Count > 0 || !_partial.IsEmpty))
                {
                    return false;
                }
                _frames.Enqueue(frame);
                _bytes += frame.Size;
            }
            wake = _waiter;
            _waiter = null;
            waker = _waker;
        }
        wake?.TrySetResult();
        waker?.Invoke();
        return true;
    }

    public bool TryEnqueue(IReadOnlyList<EngineFrame> frames)
    {
        TaskCompletionSource? wake;
        Action? waker;
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
            if (_bytes + size > maxBytes && (_frames.Count > 0 || !_partial.IsEmpty))
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
            waker = _waker;
        }
        wake?.TrySetResult();
        waker?.Invoke();
        return true;
    }

    /// <summary>
    /// Sends a WebSocket frame that is not an Engine.IO packet (a pong answering a ping) on
    /// this thread, as <see cref="TryEnqueue(EngineFrame)"/> would. False when nothing was sent:
    /// the writer must send it.
    /// </summary>
    public bool TrySendNow(ReadOnlyMemory<byte> frame)
    {
        TaskCompletionSource? wake = null;
        Action? waker = null;
        bool handled;
        lock (_lock)
        {
            var partial = false;
            handled = !_completed && TrySendNowLocked(frame, out partial);
            if (handled && partial)
            {
                wake = _waiter;
                _waiter = null;
                waker = _waker;
            }
        }
        wake?.TrySetResult();
        waker?.Invoke();
        return handled;
    }

    /// <summary>
    /// Sends <paramref name="frame"/> on this thread when the writer is idle and nothing is
    /// queued. True when it was handled: sent whole, or in part (<paramref name="partial"/>) with
    /// the rest kept for the writer, who must then be woken. False when nothing was sent: queue it.
    /// </summary>
    private bool TrySendNowLocked(ReadOnlyMemory<byte> frame, out bool partial)
    {
        partial = false;
        if (_direct is not { } direct || _writing || !_partial.IsEmpty || _frames.Count > 0)
        {
            return false;
        }
        var sent = direct.TrySendNow(frame.Span);
        if (sent < 0)
        {
            // The connection is broken: queue, and let the writer and the reader find out.
            _direct = null;
            return false;
        }
        if (sent == 0)
        {
            return false;
        }
        if (sent < frame.Length)
        {
            _partial = frame[sent..];
            _bytes += _partial.Length;
            partial = true;
        }
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
            if (_completed || _frames.Count == 0 && _partial.IsEmpty)
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
            if (_frames.Count > 0 || !_partial.IsEmpty || _completed)
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
        Action? waker;
        lock (_lock)
        {
            wake = _waiter;
            _waiter = null;
            waker = _waker;
        }
        wake?.TrySetResult();
        waker?.Invoke();
    }

    /// <summary>Stops accepting frames; queued frames can still be drained.</summary>
    public void Complete()
    {
        TaskCompletionSource? drained;
        lock (_lock)
        {
            _completed = true;
            _direct = null;
            drained = _drainWaiter;
            _drainWaiter = null;
        }
        drained?.TrySetResult();
        Signal();
    }
}
