using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace RunsStream.Server.Runs.Storage.Postgres;

/// <summary>
/// The fleet's store (issue 14): PostgreSQL, shared by every node, with the semantics of
/// <see cref="SqliteRunStore"/> (seqs, byte offsets, the retention gap and its marker,
/// tombstones, paging). Writes go through one background writer that commits in batches (group
/// commit), at most every <see cref="MaxBatchDelay"/> or <see cref="MaxBatchBytes"/> of data;
/// a batch is one transaction sent as one round trip. Fenced writes (<see cref="StoreWrite.Fence"/>)
/// are checked against runs.lease_token inside that transaction. Reads use pooled connections.
/// </summary>
internal sealed partial class PostgresRunStore : IRunStore
{
    /// <summary>
    /// Longest a write waits for more writes to join its batch. Short, unlike SQLite's 100 ms:
    /// in a fleet an event reaches the other nodes only once committed, so this window is part
    /// of their latency (measured with 100 ms: p99 108 ms from node A to node C; with 2 ms,
    /// about 44 ms, see README). While a commit is in flight the next batch gathers anyway, so
    /// a busy run still commits in large batches (<see cref="MaxBatchBytes"/>).
    /// </summary>
    public static readonly TimeSpan MaxBatchDelay = TimeSpan.FromMilliseconds(2);

    /// <summary>Data bytes that make a batch commit at once.</summary>
    public const long MaxBatchBytes = 1024 * 1024;

    private readonly Channel<object> _writes = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = false });
    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _disposing = new();
    private readonly Task _writer;
    private volatile StoreHealth _health = StoreHealth.Writable;
    private volatile Exception? _stopped;
    private int _disposed;

    /// <param name="connectionString">An Npgsql connection string (see FleetOptions for DATABASE_URL's forms).</param>
    /// <param name="time">Drives the batch delay and the retry backoff; the system clock when null.</param>
    /// <exception cref="NpgsqlException">PostgreSQL cannot be reached to create or check the schema.</exception>
    public PostgresRunStore(string connectionString, ILogger<PostgresRunStore> logger, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _logger = logger;
        _dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            PostgresSchema.Apply(_dataSource);
        }
        catch
        {
            _dataSource.Dispose();
            throw;
        }
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>
    /// Raised by the writer after each COMMIT with the events that commit made durable, in the
    /// order they were written (fenced ones left out). The fleet's bus publishes them; a
    /// handler must not block (it holds up the next batch) and its exceptions are logged.
    /// </summary>
    public event Action<IReadOnlyList<RunEvent>>? Committed;

    /// <summary>The pool this store uses; the queue (PostgresRunQueue) shares it.</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    public StoreHealth Health => _health;

    public void Enqueue(StoreWrite write)
    {
        if (!_writes.Writer.TryWrite(write))
        {
            throw new InvalidOperationException("The run store is closed.", _stopped);
        }
    }

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

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // What is still queued gets one more attempt; a commit that fails now is not retried.
            await _disposing.CancelAsync().ConfigureAwait(false);
        }
        await _writer.ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class FlushRequest
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
