using System.Buffers;
using System.Text;
using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// Batches decoded text from both of a run's streams into events for the sink. One instance is
/// shared by the stdout and stderr pumps: its lock is what makes sink calls sequential and keeps
/// the two streams in the order their reads returned. Text that follows a quiet spell (no event
/// for MaxDelay) goes out at once, so sparse output has no added latency; text that follows
/// closely is held until MaxDelay after the last event, so a fast writer produces at most about
/// one event per MaxDelay (or per MaxChunkBytes).
/// </summary>
internal sealed class OutputCoalescer : IDisposable
{
    private readonly object _lock = new();
    // The pending text, as UTF-8: what the event holds and the wire carries.
    private readonly ArrayBufferWriter<byte> _pending = new(4096);
    private readonly IRunOutputSink _sink;
    private readonly ILogger _logger;
    private readonly int _processId;
    private readonly int _maxChunkBytes;
    private readonly TimeSpan _maxDelay;
    private readonly ITimer _timer;
    private readonly TimeProvider _time;
    private long _lastFlush;
    private OutputStream _pendingStream;
    private int _pendingBytes;
    private bool _timerArmed;
    private bool _completed;
    private bool _sinkFailureLogged;

    public OutputCoalescer(
        IRunOutputSink sink, OutputCoalescingOptions options, TimeProvider time, ILogger logger, int processId)
    {
        _sink = sink;
        _logger = logger;
        _processId = processId;
        _maxChunkBytes = options.MaxChunkBytes;
        _maxDelay = options.MaxDelay;
        _time = time;
        _lastFlush = time.GetTimestamp() - (long)(options.MaxDelay.TotalSeconds * time.TimestampFrequency) - 1;
        _timer = time.CreateTimer(
            static state => ((OutputCoalescer)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Adds text decoded from <paramref name="rawBytes"/> bytes of <paramref name="stream"/>.</summary>
    public void Append(OutputStream stream, ReadOnlySpan<char> text, int rawBytes)
    {
        if (text.IsEmpty)
        {
            return; // the decoder is holding the first bytes of a multi-byte character
        }
        lock (_lock)
        {
            if (!BeforeAppendLocked(stream, rawBytes))
            {
                return;
            }
            var utf8 = _pending.GetSpan(Encoding.UTF8.GetByteCount(text));
            _pending.Advance(Encoding.UTF8.GetBytes(text, utf8));
            AfterAppendLocked(stream, rawBytes);
        }
    }

    /// <summary>Adds valid UTF-8 read as <paramref name="rawBytes"/> bytes of <paramref name="stream"/>.</summary>
    public void Append(OutputStream stream, ReadOnlySpan<byte> utf8, int rawBytes)
    {
        if (utf8.IsEmpty)
        {
            return;
        }
        lock (_lock)
        {
            if (!BeforeAppendLocked(stream, rawBytes))
            {
                return;
            }
            if (_pending.WrittenCount == 0 && FlushesAtOnceLocked(rawBytes))
            {
                // Nothing to join it with and it goes out now (a full read from a fast writer,
                // or the first text after a quiet spell): copy it once, from the read buffer
                // into the event's own array, instead of through the pending buffer.
                _pendingStream = stream;
                DeliverLocked(Copy(utf8));
                return;
            }
            _pending.Write(utf8);
            AfterAppendLocked(stream, rawBytes);
        }
    }

    private bool BeforeAppendLocked(OutputStream stream, int rawBytes)
    {
        if (_completed)
        {
            return false;
        }
        // Flushing before the other stream's text, and before a piece that would overflow the
        // bound, keeps events ordered as read and no larger than MaxChunkBytes.
        if (_pending.WrittenCount > 0 && (_pendingStream != stream || _pendingBytes + rawBytes > _maxChunkBytes))
        {
            FlushLocked();
        }
        return true;
    }

    private void AfterAppendLocked(OutputStream stream, int rawBytes)
    {
        _pendingStream = stream;
        _pendingBytes += rawBytes;
        if (_pendingBytes >= _maxChunkBytes || _maxDelay == TimeSpan.Zero)
        {
            FlushLocked();
        }
        else if (!_timerArmed)
        {
            var quiet = _time.GetElapsedTime(_lastFlush);
            if (quiet >= _maxDelay)
            {
                FlushLocked(); // nothing to coalesce with: do not add latency
            }
            else
            {
                _timerArmed = true;
                _timer.Change(_maxDelay - quiet, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>With nothing pending: whether a piece of <paramref name="rawBytes"/> would be flushed as soon as it is added.</summary>
    private bool FlushesAtOnceLocked(int rawBytes) =>
        rawBytes >= _maxChunkBytes
        || _maxDelay == TimeSpan.Zero
        || !_timerArmed && _time.GetElapsedTime(_lastFlush) >= _maxDelay;

    /// <summary>
    /// The event's own copy of its text. Not zeroed first: every byte is overwritten at once,
    /// and clearing 64 KiB per event was a visible part of the pump's CPU.
    /// </summary>
    private static byte[] Copy(ReadOnlySpan<byte> utf8)
    {
        var data = GC.AllocateUninitializedArray<byte>(utf8.Length);
        utf8.CopyTo(data);
        return data;
    }

    /// <summary>Delivers what is pending and stops: later appends and timer ticks are ignored.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }
            FlushLocked();
            _completed = true;
        }
        _timer.Dispose();
    }

    public void Dispose() => Complete();

    private void OnTimer()
    {
        lock (_lock)
        {
            _timerArmed = false;
            if (!_completed)
            {
                FlushLocked();
            }
        }
    }

    private void FlushLocked()
    {
        if (_timerArmed)
        {
            _timerArmed = false;
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        if (_pending.WrittenCount == 0)
        {
            return;
        }
        var utf8 = Copy(_pending.WrittenSpan);
        _pending.ResetWrittenCount();
        _pendingBytes = 0;
        DeliverLocked(utf8);
    }

    private void DeliverLocked(byte[] utf8)
    {
        _lastFlush = _time.GetTimestamp();
        try
        {
            _sink.OnOutput(_pendingStream, utf8);
        }
        catch (Exception ex)
        {
            // Swallowed: this runs on a pump or timer thread, and a pump that stopped reading
            // would leave the process blocked on a full pipe. Logged once, not once per event.
            if (!_sinkFailureLogged)
            {
                _sinkFailureLogged = true;
                RunProcess.Log.SinkFailed(_logger, ex, _processId);
            }
        }
    }
}
