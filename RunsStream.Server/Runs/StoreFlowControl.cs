namespace RunsStream.Server.Runs;

/// <summary>
/// Flow control of one run's output towards the store: counts the bytes appended and not yet
/// durable, and pauses the run's output pump when the store is far behind, or cannot write at
/// all while this run has output it has not stored (then the run pauses at once rather than
/// fill memory; the commit that stores that output releases it). Thread-safe.
/// </summary>
internal sealed class StoreFlowControl(Func<bool> storeWritable)
{
    /// <summary>Output a run may have waiting for the store before its pipes are paused.</summary>
    public const long MaxUnpersistedBytes = 32L * 1024 * 1024;

    private readonly object _lock = new();
    private long _unpersisted;
    private TaskCompletionSource? _caughtUp;

    /// <summary>Data of events appended but not yet durable.</summary>
    public long UnpersistedBytes
    {
        get { lock (_lock) return _unpersisted; }
    }

    public void OnAppended(long bytes)
    {
        lock (_lock)
        {
            _unpersisted += bytes;
        }
    }

    /// <summary>Bytes became durable: a paused run resumes once the store is half caught up.</summary>
    public void OnPersisted(long bytes)
    {
        TaskCompletionSource? release = null;
        lock (_lock)
        {
            _unpersisted -= bytes;
            if (_caughtUp is { } waiter && _unpersisted <= MaxUnpersistedBytes / 2)
            {
                release = waiter;
                _caughtUp = null;
            }
        }
        release?.TrySetResult();
    }

    /// <summary>Completes at once unless the run has to wait for the store (see the class).</summary>
    public ValueTask WaitAsync()
    {
        lock (_lock)
        {
            if (_unpersisted <= (storeWritable() ? MaxUnpersistedBytes : 0))
            {
                return ValueTask.CompletedTask;
            }
            _caughtUp ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return new ValueTask(_caughtUp.Task);
        }
    }
}
