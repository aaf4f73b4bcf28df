using System.Threading.Channels;

namespace RunsStream.Server.Runs;

/// <summary>
/// A catching-up subscriber's next batches, read and encoded on another thread while the pump
/// sends: reading a megabyte from the store and encoding it cost about as much as sending it,
/// so done one after the other they halve the speed a subscriber catches up at. Started after
/// a full batch (more is likely there), it reads on from there, up to <c>depth</c> batches
/// ahead of what the pump has taken, and stops at the first batch that is not full: the pump
/// then reads the usual way, which also decides when the subscriber goes live. Used by one
/// pump at a time.
/// </summary>
internal sealed class CatchUpReadAhead(Func<long, ValueTask<List<RunEvent>>> read, string ns, int fullEvents, long fullBytes, int depth = CatchUpReadAhead.DefaultDepth)
{
    /// <summary>
    /// Batches read ahead at most: enough that the encoding thread is never idle while the pump
    /// sends, and small beside a connection's own bound (a batch is about a megabyte).
    /// </summary>
    public const int DefaultDepth = 2;

    private Channel<List<RunEvent>>? _batches;
    private CancellationTokenSource? _stop;

    /// <summary>Starts reading on after <paramref name="batch"/> when it is a full one and no read-ahead is under way.</summary>
    public void After(List<RunEvent> batch)
    {
        if (_batches is not null || !IsFull(batch))
        {
            return;
        }
        var batches = Channel.CreateBounded<List<RunEvent>>(new BoundedChannelOptions(depth) { SingleReader = true, SingleWriter = true });
        _batches = batches;
        _stop = new CancellationTokenSource();
        var afterSeq = batch[^1].Seq;
        var stop = _stop.Token;
        _ = Task.Run(() => ReadOnAsync(afterSeq, batches.Writer, stop));
    }

    /// <summary>
    /// The next batch read ahead (its events already encoded for the namespace), or null when
    /// none is under way or the read-ahead has ended: the caller then reads the usual way.
    /// </summary>
    public async ValueTask<List<RunEvent>?> TakeAsync()
    {
        if (_batches is not { } batches)
        {
            return null;
        }
        if (await batches.Reader.WaitToReadAsync().ConfigureAwait(false) && batches.Reader.TryRead(out var batch))
        {
            return batch;
        }
        _batches = null;
        _stop?.Dispose();
        _stop = null;
        return null;
    }

    /// <summary>Stops reading ahead (the subscription ended); what was read is dropped.</summary>
    public void Stop()
    {
        _stop?.Cancel();
        _batches = null;
    }

    private bool IsFull(List<RunEvent> batch)
    {
        if (batch.Count == 0)
        {
            return false;
        }
        if (batch.Count >= fullEvents)
        {
            return true;
        }
        long bytes = 0;
        foreach (var e in batch)
        {
            bytes += e.DataBytes;
        }
        return bytes >= fullBytes;
    }

    private async Task ReadOnAsync(long afterSeq, ChannelWriter<List<RunEvent>> batches, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var batch = await read(afterSeq).ConfigureAwait(false);
                foreach (var e in batch)
                {
                    RunEventEncoder.Encode(e, ns);
                }
                if (batch.Count > 0)
                {
                    await batches.WriteAsync(batch, stop).ConfigureAwait(false);
                }
                if (!IsFull(batch))
                {
                    break;
                }
                afterSeq = batch[^1].Seq;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Stopped, or the store could not be read: the pump's own read meets the same
            // failure and handles it (it waits for the store).
        }
        finally
        {
            batches.TryComplete();
        }
    }
}
