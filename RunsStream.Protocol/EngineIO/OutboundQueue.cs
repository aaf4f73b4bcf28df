using RunsStream.Protocol.EngineIO.Parser;
using RunsStream.Protocol.EngineIO.Transports;

namespace RunsStream.Protocol.EngineIO;

/// <summary>
/// A session's outbound frames, bounded by bytes. Many producers enqueue; exactly one
/// consumer (the active transport's writer) drains. Exceeding the bound does not block the
/// producer: <see cref="TryEnqueue(ReadOnlySpan{EngineFrame})"/> returns false and the session
/// closes the connection, so a slow client costs neither memory nor the other clients'
/// throughput. An empty queue always takes a packet, however large.
/// </summary>
/// <remarks>
/// One send path: every packet, an Engine.IO frame or a Socket.IO packet with its attachments,
/// goes through <see cref="TryEnqueue(ReadOnlySpan{EngineFrame})"/>. While a WebSocket whose
/// output can send without waiting is active and its writer is idle with nothing queued, the
/// producer sends the frames itself, under this queue's lock, and they are never queued. What
/// the socket does not take at once (a partial send) is kept as <c>_partial</c>, which the
/// writer sends before anything else, and the packet's remaining frames queue behind it. The
/// writer brackets its own sends with <see cref="BeginWrite"/> and <see cref="EndWrite"/>,
/// during which producers queue, so bytes from the two never interleave.
/// </remarks>
internal sealed class OutboundQueue(long maxBytes)
{
    private readonly object _lock = new();
    private readonly Queue<EngineFrame> _frames = new();
    private TaskCompletionSource? _waiter;
    private TaskCompletionSource? _drainWaiter;
    private TaskCompletionSource? _writeWaiter;
    private WebSocketOutput? _direct;
    private Action? _waker;
    private ReadOnlyMemory<byte> _partial;
    private bool _writing;
    private long _bytes;
    private bool _completed;
    // Units of work handed to the writer (a queued frame, a partial rest) and how many of them
    // it has taken and written: WaitForWrittenAsync compares them.
    private long _accepted;
    private long _taken;
    private long _written;

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

    // How the active WebSocket frames binary messages (a v3 session's differ from v4's).
    private FrameEncoding _encoding;

    /// <summary>Sets how producers' direct sends frame binary messages: the active WebSocket's <see cref="FrameEncoding"/>.</summary>
    public void SetEncoding(FrameEncoding encoding)
    {
        lock (_lock)
        {
            _encoding = encoding;
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
            if (!partial.IsEmpty)
            {
                _partial = default;
                _bytes -= partial.Length;
                _taken++;
            }
            return partial;
        }
    }

    /// <summary>The writer's sends since <see cref="BeginWrite"/> are complete: what it took is written.</summary>
    public void EndWrite()
    {
        TaskCompletionSource? written;
        lock (_lock)
        {
            _writing = false;
            _written = _taken;
            written = _writeWaiter;
            _writeWaiter = null;
        }
        written?.TrySetResult();
    }

    /// <summary>Queues (or sends now) one frame. False when the client is too slow.</summary>
    public bool TryEnqueue(EngineFrame frame) => TryEnqueue(new ReadOnlySpan<EngineFrame>(in frame));

    /// <summary>
    /// Queues (or sends now) a packet's frames, in order and atomically: the whole packet is
    /// taken, or none of it. False when the client is too slow (the queue holds more than the
    /// bound with this packet); true, dropping the packet, when the queue is completed.
    /// </summary>
    public bool TryEnqueue(ReadOnlySpan<EngineFrame> frames)
    {
        Wake wake;
        lock (_lock)
        {
            if (_completed)
            {
                return true; // the session is closing: drop silently
            }
            var sent = 0;
            var partial = false;
            while (sent < frames.Length && !partial && TrySendNowLocked(frames[sent].WebSocketFrameFor(_encoding), out partial))
            {
                sent++;
            }
            if (sent == frames.Length && !partial)
            {
                return true;
            }
            var rest = frames[sent..];
            long size = 0;
            foreach (var frame in rest)
            {
                size += frame.Size;
            }
            // Once part of the packet is out, the rest must follow whatever the bound says.
            if (sent == 0 && _bytes + size > maxBytes && (_frames.Count > 0 || !_partial.IsEmpty))
            {
                return false;
            }
            foreach (var frame in rest)
            {
                _frames.Enqueue(frame);
            }
            _bytes += size;
            _accepted += rest.Length;
            wake = TakeWakeLocked();
        }
        wake.Run();
        return true;
    }

    /// <summary>
    /// Sends a WebSocket frame that is not an Engine.IO packet (a pong answering a ping) on
    /// this thread, as <see cref="TryEnqueue(ReadOnlySpan{EngineFrame})"/> would. False when
    /// nothing was sent: the writer must send it.
    /// </summary>
    public bool TrySendNow(ReadOnlyMemory<byte> frame)
    {
        var wake = default(Wake);
        bool handled;
        lock (_lock)
        {
            var partial = false;
            handled = !_completed && TrySendNowLocked(frame, out partial);
            if (partial)
            {
                wake = TakeWakeLocked();
            }
        }
        wake.Run();
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
            _accepted++;
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
            _taken += count;
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

    /// <summary>
    /// Completes when everything accepted before the call is written to the connection (sent
    /// by its producer, or by the writer, whose <see cref="EndWrite"/> marks it written), or the
    /// queue is completed. Only a writer that brackets its sends (the WebSocket's) advances it.
    /// </summary>
    public async Task WaitForWrittenAsync()
    {
        long target;
        lock (_lock)
        {
            target = _accepted;
        }
        while (true)
        {
            Task next;
            lock (_lock)
            {
                if (_completed || _written >= target)
                {
                    return;
                }
                _writeWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                next = _writeWaiter.Task;
            }
            await next;
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
        Wake wake;
        lock (_lock)
        {
            wake = TakeWakeLocked();
        }
        wake.Run();
    }

    /// <summary>Stops accepting frames; queued frames can still be drained.</summary>
    public void Complete()
    {
        TaskCompletionSource? drained;
        TaskCompletionSource? written;
        Wake wake;
        lock (_lock)
        {
            _completed = true;
            _direct = null;
            drained = _drainWaiter;
            _drainWaiter = null;
            written = _writeWaiter;
            _writeWaiter = null;
            wake = TakeWakeLocked();
        }
        drained?.TrySetResult();
        written?.TrySetResult();
        wake.Run();
    }

    /// <summary>Takes, under the lock, whom to tell that the writer has work; run outside it.</summary>
    private Wake TakeWakeLocked()
    {
        var wake = new Wake(_waiter, _waker);
        _waiter = null;
        return wake;
    }

    /// <summary>The writer's two wake-ups: the polling waiter and the WebSocket writer's own signal.</summary>
    private readonly struct Wake(TaskCompletionSource? waiter, Action? waker)
    {
        public void Run()
        {
            waiter?.TrySetResult();
            waker?.Invoke();
        }
    }
}
