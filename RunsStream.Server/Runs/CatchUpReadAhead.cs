namespace RunsStream.Server.Runs;

/// <summary>
/// A catching-up subscriber's next batch, read and encoded on another thread while the current
/// one is sent: reading a megabyte from the store and encoding it cost about as much as sending
/// it, so done one after the other they halve the speed a subscriber catches up at. Only after
/// a full batch (more is likely there), and only one batch ahead, so a subscriber holds at
/// most one batch more than it is sending. Used by one pump at a time.
/// </summary>
internal sealed class CatchUpReadAhead(Func<long, ValueTask<List<RunEvent>>> read, string ns, int fullEvents, long fullBytes)
{
    private Task<List<RunEvent>?>? _next;

    /// <summary>Starts reading the batch after <paramref name="batch"/> when it is a full one.</summary>
    public void After(List<RunEvent> batch)
    {
        if (batch.Count == 0 || _next is not null || !IsFull(batch))
        {
            return;
        }
        var afterSeq = batch[^1].Seq;
        _next = Task.Run(() => ReadAndEncodeAsync(afterSeq));
    }

    /// <summary>
    /// The batch read ahead (its events already encoded for the namespace), or null when none
    /// was started or it could not be read: the caller then reads the usual way.
    /// </summary>
    public async ValueTask<List<RunEvent>?> TakeAsync()
    {
        if (_next is not { } next)
        {
            return null;
        }
        _next = null;
        return await next.ConfigureAwait(false);
    }

    private bool IsFull(List<RunEvent> batch)
    {
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

    private async Task<List<RunEvent>?> ReadAndEncodeAsync(long afterSeq)
    {
        try
        {
            var batch = await read(afterSeq).ConfigureAwait(false);
            foreach (var e in batch)
            {
                RunEventEncoder.Encode(e, ns);
            }
            return batch;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The pump's own read meets the same failure and handles it (waits for the store).
            return null;
        }
    }
}
