using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>
/// Catch-up of one run from the store: its durable events older than the memory window, read
/// off the caller's thread. Subscribers that replay the same finished run at once (a late join
/// of many) ask for the same batches: each batch is read once, by the first to ask, the others
/// await that read, and the last few are kept, so they share one read and, through each event's
/// cached encoding, one frame per event. Thread-safe.
/// </summary>
internal sealed class RunStoreReader(string runId, IRunStore store)
{
    /// <summary>Store batches recently read for this run, shared by subscribers replaying together.</summary>
    public const int BatchCacheSize = 16;

    /// <summary>
    /// Catch-up reads from the store in progress at once, across runs: as many as there are
    /// cores. More would only add connections, each with its own cache and buffers.
    /// </summary>
    private static readonly SemaphoreSlim ReadSlots = new(Environment.ProcessorCount);

    private readonly LinkedList<(long After, int MaxEvents, long MaxBytes, Task<List<RunEvent>> Batch)> _batches = new();

    /// <summary>
    /// Stored events after <paramref name="afterSeq"/>. A live run's stored log still changes
    /// (retention drops), so it is read fresh; a finished run's batches are shared.
    /// </summary>
    public Task<List<RunEvent>> ReadAsync(long afterSeq, int maxEvents, long maxBytes, bool finished)
    {
        if (!finished)
        {
            return ReadFromStoreAsync(afterSeq, maxEvents, maxBytes);
        }
        Task<List<RunEvent>> batch;
        var created = false;
        lock (_batches)
        {
            var node = _batches.First;
            while (node is not null && (node.Value.After != afterSeq || node.Value.MaxEvents != maxEvents || node.Value.MaxBytes != maxBytes))
            {
                node = node.Next;
            }
            if (node is not null)
            {
                _batches.Remove(node);
            }
            else
            {
                node = new((afterSeq, maxEvents, maxBytes, ReadFromStoreAsync(afterSeq, maxEvents, maxBytes)));
                created = true;
            }
            _batches.AddFirst(node);
            if (_batches.Count > BatchCacheSize)
            {
                _batches.RemoveLast();
            }
            batch = node.Value.Batch;
        }
        if (created)
        {
            _ = batch.ContinueWith(ForgetFailedRead, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return batch;
    }

    private Task<List<RunEvent>> ReadFromStoreAsync(long afterSeq, int maxEvents, long maxBytes) => Task.Run(async () =>
    {
        await ReadSlots.WaitAsync();
        try
        {
            return store.ReadEvents(runId, afterSeq, maxEvents, maxBytes);
        }
        finally
        {
            ReadSlots.Release();
        }
    });

    /// <summary>A failed read is not kept: the next subscriber to ask reads again.</summary>
    private void ForgetFailedRead(Task<List<RunEvent>> failed)
    {
        lock (_batches)
        {
            for (var node = _batches.First; node is not null; node = node.Next)
            {
                if (ReferenceEquals(node.Value.Batch, failed))
                {
                    _batches.Remove(node);
                    return;
                }
            }
        }
    }
}
