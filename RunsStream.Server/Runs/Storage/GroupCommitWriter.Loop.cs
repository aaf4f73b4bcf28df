using System.Threading.Channels;

namespace RunsStream.Server.Runs.Storage;

/// <summary>The write loop: batching, the commit, and what a failed commit does (retry, health, flushes).</summary>
internal abstract partial class GroupCommitWriter
{
    private async Task WriteLoopAsync()
    {
        var reader = _writes.Reader;
        var batch = new List<object>();
        var failures = 0;
        try
        {
            while (true)
            {
                IReadOnlySet<StoreWrite> fenced;
                try
                {
                    if (batch.Count == 0)
                    {
                        if (!await CollectAsync(reader, batch).ConfigureAwait(false))
                        {
                            return;
                        }
                    }
                    else
                    {
                        // A retry takes in what was queued meanwhile: a flush queued behind the
                        // failed batch hears of this attempt instead of waiting for the disk.
                        while (reader.TryRead(out var item))
                        {
                            batch.Add(item);
                        }
                    }
                    fenced = await CommitAsync(batch).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // Whatever the failure, the transaction was rolled back (or never began):
                    // nothing of the batch is durable, so nothing is acknowledged.
                    failures++;
                    OnCommitFailed(batch, ex, failures);
                    if (_disposing.IsCancellationRequested)
                    {
                        // Shutting down: the host already waited for the store as long as it could.
                        Log.LostOnShutdown(Logger, batch.Count, _store, ex);
                        batch.Clear();
                        continue;
                    }
                    await DelayAsync(RetryDelay(failures)).ConfigureAwait(false);
                    continue;
                }
                if (failures > 0)
                {
                    Log.WritesAgain(Logger, _store, failures, _time.GetUtcNow() - (_health.Since ?? _time.GetUtcNow()));
                    failures = 0;
                }
                // Writable before anyone is told: a run released here checks it to go on.
                _health = StoreHealth.Writable;
                Acknowledge(batch, fenced);
                batch.Clear();
            }
        }
        catch (Exception ex)
        {
            // Not expected (every commit failure is caught above), but if the loop itself
            // breaks, nobody must wait for it: later writes throw and flushes fault.
            Log.WriterStopped(Logger, _store, ex);
            _stopped = ex;
            _health = new StoreHealth(false, "the store's writer stopped: " + Describe(ex), _time.GetUtcNow(), failures);
            _writes.Writer.TryComplete(ex);
            while (reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            FailFlushes(batch, ex, retrying: false);
        }
        finally
        {
            OnStopped();
        }
    }

    /// <summary>Waits for the next writes and gathers a batch; false once the store is closed and empty.</summary>
    private async Task<bool> CollectAsync(ChannelReader<object> reader, List<object> batch)
    {
        if (!await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            return false;
        }
        long bytes = 0;
        var flushRequested = false;
        var deadline = Task.Delay(_maxBatchDelay, _time);
        while (true)
        {
            while (bytes < MaxBatchBytes && reader.TryRead(out var item))
            {
                batch.Add(item);
                if (item is AppendEventWrite append)
                {
                    bytes += append.Event.DataBytes + 64;
                }
                else if (item is FlushRequest)
                {
                    flushRequested = true;
                }
            }
            if (flushRequested || bytes >= MaxBatchBytes || deadline.IsCompleted)
            {
                return true;
            }
            var more = reader.WaitToReadAsync().AsTask();
            if (await Task.WhenAny(more, deadline).ConfigureAwait(false) == deadline || !await more.ConfigureAwait(false))
            {
                // Take what arrived meanwhile, then commit.
                while (bytes < MaxBatchBytes && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }
                return true;
            }
        }
    }

    private void OnCommitFailed(List<object> batch, Exception ex, int failures)
    {
        var since = failures == 1 ? _time.GetUtcNow() : _health.Since ?? _time.GetUtcNow();
        _health = new StoreHealth(false, Describe(ex), since, failures);
        if ((failures & (failures - 1)) == 0)
        {
            // The 1st, 2nd, 4th, 8th... failure in a row: a disk full for an hour is not 1,800 errors.
            Log.WriteFailed(Logger, batch.Count, _store, failures, ex);
        }
        FailFlushes(batch, ex, retrying: !_disposing.IsCancellationRequested);
        batch.RemoveAll(static item => item is FlushRequest);
    }

    private void FailFlushes(List<object> batch, Exception ex, bool retrying)
    {
        var message = retrying
            ? "The run store cannot write now (" + Describe(ex) + "); the writes are kept and retried"
            : "The run store could not write (" + Describe(ex) + ") and stopped trying";
        foreach (var item in batch)
        {
            (item as FlushRequest)?.Done.TrySetException(new StoreUnavailableException(message, retrying, ex));
        }
    }

    private static TimeSpan RetryDelay(int failures)
    {
        var delay = FirstRetryDelay * Math.Pow(2, Math.Min(failures - 1, 16));
        return delay < MaxRetryDelay ? delay : MaxRetryDelay;
    }

    private async Task DelayAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _disposing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Disposing: retry at once, one last time.
        }
    }
}
