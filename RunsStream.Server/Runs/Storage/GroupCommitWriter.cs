using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Storage;

/// <summary>
/// The group-commit writer of a durable store (SQLite's, PostgreSQL's): one background loop
/// that gathers the queued writes into batches, at most every MaxBatchDelay or
/// <see cref="MaxBatchBytes"/> of data, or at once for a flush, commits each batch in one
/// transaction (<see cref="CommitAsync"/>, the store's part) and only then tells the owners and
/// completes the flushes. A batch whose commit fails (a full disk, PostgreSQL down, anything
/// unexpected) is kept and retried, with what was queued meanwhile, after a delay that doubles
/// from <see cref="FirstRetryDelay"/> to <see cref="MaxRetryDelay"/>; until it succeeds
/// <see cref="Health"/> says why, and the runs, whose events stay in memory unacknowledged,
/// pause their output (<see cref="RunState.WaitForStoreAsync"/>).
/// </summary>
internal abstract partial class GroupCommitWriter : IAsyncDisposable
{
    /// <summary>Data bytes that make a batch commit at once.</summary>
    public const long MaxBatchBytes = 1024 * 1024;

    /// <summary>Wait before the first retry of a failed commit.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Longest wait between retries: how long writes may stay stuck after the disk has room (or
    /// the database is back) again, and how often a failing one is tried.
    /// </summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>What a store without leases returns from <see cref="CommitAsync"/>: nothing fenced.</summary>
    protected static readonly Task<IReadOnlySet<StoreWrite>> NothingFenced = Task.FromResult<IReadOnlySet<StoreWrite>>(new HashSet<StoreWrite>());

    private readonly Channel<object> _writes = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = false });
    private readonly CancellationTokenSource _disposing = new();
    private readonly string _store;
    private readonly TimeSpan _maxBatchDelay;
    private readonly TimeProvider _time;
    private Task? _loop;
    private volatile StoreHealth _health = StoreHealth.Writable;
    private volatile Exception? _stopped;
    private int _disposed;

    /// <param name="store">The database as the logs name it ("SQLite", "PostgreSQL").</param>
    /// <param name="maxBatchDelay">Longest a write waits for more writes to join its batch.</param>
    /// <param name="time">Drives the batch delay and the retry backoff.</param>
    protected GroupCommitWriter(string store, TimeSpan maxBatchDelay, ILogger logger, TimeProvider time)
    {
        _store = store;
        _maxBatchDelay = maxBatchDelay;
        Logger = logger;
        _time = time;
    }

    /// <summary>Whether the last commit succeeded, and if not why and since when.</summary>
    public StoreHealth Health => _health;

    /// <summary>Writes and flushes queued and not yet taken into a batch (the store's backlog).</summary>
    public int Queued => _writes.Reader.Count;

    /// <summary>The store's logger (its category names the store).</summary>
    protected ILogger Logger { get; }

    /// <summary>Starts the loop; the store calls it once it is ready to commit (schema applied).</summary>
    public void Start()
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The writer is already started.");
        }
        _loop = Task.Run(WriteLoopAsync);
    }

    /// <exception cref="InvalidOperationException">The store is disposed, or its writer stopped.</exception>
    public void Enqueue(StoreWrite write)
    {
        if (!_writes.Writer.TryWrite(write))
        {
            throw new InvalidOperationException("The run store is closed.", _stopped);
        }
    }

    /// <summary>
    /// Completes once everything queued before it is committed; faults with
    /// <see cref="StoreUnavailableException"/> when the commit that carried it failed.
    /// </summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var flush = new FlushRequest();
        if (!_writes.Writer.TryWrite(flush))
        {
            return _stopped is { } stopped
                ? Task.FromException(new StoreUnavailableException("The run store's writer stopped", retrying: false, stopped))
                : Task.CompletedTask;
        }
        return flush.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Takes no more writes, and returns once the loop has committed (or given up on) what is queued.</summary>
    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // What is still queued gets one more attempt; a commit that fails now is not retried.
            await _disposing.CancelAsync().ConfigureAwait(false);
        }
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Commits <paramref name="batch"/> (writes and flush markers, in queue order) in one
    /// transaction, or throws with nothing of it durable. Returns the writes it dropped as
    /// fenced, compared by reference (<see cref="NothingFenced"/> for a store without leases).
    /// </summary>
    protected abstract Task<IReadOnlySet<StoreWrite>> CommitAsync(IReadOnlyList<object> batch);

    /// <summary>The reason /healthz shows for a failed commit.</summary>
    protected abstract string Describe(Exception ex);

    /// <summary>
    /// After a commit, once the owners heard of their durable seqs and before the flushes
    /// complete: what else the store tells (fences, the events committed). Runs on the loop, so
    /// it must not block, and must not throw.
    /// </summary>
    protected virtual void OnCommitted(IReadOnlyList<object> batch, IReadOnlySet<StoreWrite> fenced)
    {
    }

    /// <summary>The loop has ended (closed and drained, or broken): release what the commits held.</summary>
    protected virtual void OnStopped()
    {
    }

    /// <summary>After a commit: each owner hears of its last durable seq, then <see cref="OnCommitted"/>, then each flush completes.</summary>
    private void Acknowledge(List<object> batch, IReadOnlySet<StoreWrite> fenced)
    {
        var persisted = new Dictionary<IPersistenceListener, long>(ReferenceEqualityComparer.Instance);
        foreach (var item in batch)
        {
            if (item is AppendEventWrite { Owner: { } owner } append && !fenced.Contains(append))
            {
                persisted[owner] = append.Event.Seq;
            }
        }
        foreach (var (owner, seq) in persisted)
        {
            try
            {
                owner.OnPersisted(seq);
            }
            catch (Exception ex)
            {
                // The data is committed; a listener's fault must not stop the writer or the others.
                Log.ListenerFailed(Logger, seq, ex);
            }
        }
        OnCommitted(batch, fenced);
        foreach (var item in batch)
        {
            (item as FlushRequest)?.Done.TrySetResult();
        }
    }

    private sealed class FlushRequest
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
