using RunsStream.Server.Runs.Storage;

namespace RunsStream.Server.Runs;

/// <summary>
/// Catch-up of one run from the store: its durable events older than the memory window, read
/// off the caller's thread. Two things make it as fast as the subscriber's connection:
/// <list type="bullet">
/// <item>Read-ahead: when a subscriber is handed a full batch, the batch after it is read at
/// once, so the next store read overlaps the sending of this one instead of following it.</item>
/// <item>Sharing: subscribers that replay the same range at once (a late join of many, or
/// several that fell behind together) ask for the same batches: each batch is read once, by
/// the first to ask, the others await that read, and the last few are kept, so they share one
/// read and, through each event's cached encoding, one frame per event.</item>
/// </list>
/// A live run's stored log changes only where retention drops events: a kept batch is used
/// only while the retention gap is what it was when the batch was read; and a batch that
/// stopped short of its limits (the store did not have more yet) is handed to whoever asked
/// for it but not kept. Thread-safe.
/// </summary>
internal sealed class RunStoreReader(string runId, IRunStore store)
{
    /// <summary>Store batches recently read for this run, shared by subscribers replaying together.</summary>
    public const int BatchCacheSize = 16;

    /// <summary>Output bytes the kept batches may hold at most (with their encodings, about twice that).</summary>
    public const long CacheBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Catch-up reads from the store in progress at once, across runs: as many as there are
    /// cores. More would only add connections, each with its own cache and buffers.
    /// </summary>
    private static readonly SemaphoreSlim ReadSlots = new(Environment.ProcessorCount);

    private readonly LinkedList<Entry> _batches = new();
    private long _cachedBytes;

    /// <summary>
    /// Stored events after <paramref name="afterSeq"/>, at most <paramref name="maxEvents"/>
    /// and about <paramref name="maxBytes"/> of output. <paramref name="gapToSeq"/> is the
    /// last seq of the run's retention gap now (0 without one); <paramref name="durableSeq"/> is
    /// the last seq the store holds (what may be read ahead).
    /// </summary>
    public Task<List<RunEvent>> ReadAsync(long afterSeq, int maxEvents, long maxBytes, long gapToSeq, long durableSeq)
    {
        var key = new Key(afterSeq, maxEvents, maxBytes, gapToSeq);
        Entry entry;
        lock (_batches)
        {
            entry = FindOrAddLocked(key, durableSeq);
        }
        // Asked for this batch: read the next one while this one is sent.
        _ = entry.Batch.ContinueWith(
            (done, state) => ((RunStoreReader)state!).ReadAhead(key, done, durableSeq),
            this, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return entry.Batch;
    }

    /// <summary>How many batches are kept or being read (for tests).</summary>
    internal int CachedBatches
    {
        get { lock (_batches) return _batches.Count; }
    }

    private Entry FindOrAddLocked(Key key, long durableSeq)
    {
        for (var node = _batches.First; node is not null; node = node.Next)
        {
            if (node.Value.Key == key)
            {
                _batches.Remove(node);
                _batches.AddFirst(node);
                return node.Value;
            }
        }
        var entry = new Entry(key, ReadFromStoreAsync(key));
        _batches.AddFirst(entry);
        _ = entry.Batch.ContinueWith(
            (done, state) => ((RunStoreReader)state!).OnRead(entry, done),
            this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return entry;
    }

    /// <summary>Starts reading the batch after <paramref name="done"/> unless it is read, or there is none.</summary>
    private void ReadAhead(Key key, Task<List<RunEvent>> done, long durableSeq)
    {
        var batch = done.Result;
        if (!IsFull(batch, key) || batch[^1] is not { IsTerminal: false } last || last.Seq >= durableSeq)
        {
            return;
        }
        lock (_batches)
        {
            FindOrAddLocked(key with { AfterSeq = last.Seq }, durableSeq);
        }
    }

    /// <summary>
    /// Keeps a finished read within the cache's bounds; forgets a failed one (the next to ask
    /// reads again) and a short one (the store may hold more by the next time it is asked for).
    /// </summary>
    private void OnRead(Entry entry, Task<List<RunEvent>> read)
    {
        lock (_batches)
        {
            var node = _batches.Find(entry);
            if (node is null)
            {
                return; // pushed out while it was read
            }
            var keep = read.IsCompletedSuccessfully && (IsFull(read.Result, entry.Key) || read.Result is [.., { IsTerminal: true }]);
            if (!keep)
            {
                _batches.Remove(node);
                return;
            }
            entry.Bytes = read.Result.Sum(e => (long)e.DataBytes);
            _cachedBytes += entry.Bytes;
            // Evict the least recently asked for, never the one just read.
            while ((_batches.Count > BatchCacheSize || _cachedBytes > CacheBytes) && _batches.Last != node)
            {
                _cachedBytes -= _batches.Last!.Value.Bytes;
                _batches.RemoveLast();
            }
        }
    }

    private static bool IsFull(List<RunEvent> batch, Key key)
    {
        if (batch.Count >= key.MaxEvents)
        {
            return true;
        }
        long bytes = 0;
        foreach (var e in batch)
        {
            bytes += e.DataBytes;
        }
        return bytes >= key.MaxBytes;
    }

    private static long _storeReads;

    /// <summary>Reads from the store by every reader of this process (runsstream_store_catchup_reads_total).</summary>
    internal static long StoreReads => Volatile.Read(ref _storeReads);

    private Task<List<RunEvent>> ReadFromStoreAsync(Key key) => Task.Run(async () =>
    {
        Interlocked.Increment(ref _storeReads);
        await ReadSlots.WaitAsync();
        try
        {
            return await store.ReadEventsAsync(runId, key.AfterSeq, key.MaxEvents, key.MaxBytes);
        }
        finally
        {
            ReadSlots.Release();
        }
    });

    private readonly record struct Key(long AfterSeq, int MaxEvents, long MaxBytes, long GapToSeq);

    private sealed class Entry(Key key, Task<List<RunEvent>> batch)
    {
        public Key Key { get; } = key;

        public Task<List<RunEvent>> Batch { get; } = batch;

        /// <summary>Counted against <see cref="CacheBytes"/> once read; guarded by the cache's lock.</summary>
        public long Bytes { get; set; }
    }
}
