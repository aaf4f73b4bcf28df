using Microsoft.Extensions.Logging;
using Npgsql;

namespace RunsStream.Server.Runs.Storage.Postgres;

/// <summary>
/// The fleet's store (issue 14): PostgreSQL, shared by every node, with the semantics of
/// <see cref="SqliteRunStore"/> (seqs, byte offsets, the retention gap and its marker,
/// tombstones, paging). Writes go through one background writer that commits in batches (group
/// commit, <see cref="GroupCommitWriter"/>), at most every <see cref="MaxBatchDelay"/> or
/// <see cref="GroupCommitWriter.MaxBatchBytes"/> of data; a batch is one transaction sent as one
/// round trip. Fenced writes (<see cref="StoreWrite.Fence"/>) are checked against
/// runs.lease_token inside that transaction. Reads use pooled connections.
/// </summary>
internal sealed partial class PostgresRunStore : IRunStore
{
    /// <summary>
    /// Longest a write waits for more writes to join its batch. Short, unlike SQLite's 100 ms:
    /// in a fleet an event reaches the other nodes only once committed, so this window is part
    /// of their latency (measured with 100 ms: p99 108 ms from node A to node C; with 2 ms,
    /// about 44 ms, see README). While a commit is in flight the next batch gathers anyway, so
    /// a busy run still commits in large batches (<see cref="GroupCommitWriter.MaxBatchBytes"/>).
    /// </summary>
    public static readonly TimeSpan MaxBatchDelay = TimeSpan.FromMilliseconds(2);

    private readonly NpgsqlDataSource _dataSource;
    private readonly Writer _writer;

    /// <param name="connectionString">An Npgsql connection string (see FleetOptions for DATABASE_URL's forms).</param>
    /// <param name="time">Drives the batch delay and the retry backoff; the system clock when null.</param>
    /// <exception cref="NpgsqlException">PostgreSQL cannot be reached to create or check the schema.</exception>
    public PostgresRunStore(string connectionString, ILogger<PostgresRunStore> logger, TimeProvider? time = null)
    {
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
        _writer = new Writer(this, logger, time ?? TimeProvider.System);
        _writer.Start();
    }

    /// <summary>
    /// Raised by the writer after each COMMIT with the events that commit made durable, in the
    /// order they were written (fenced ones left out). The fleet's bus publishes them; a
    /// handler must not block (it holds up the next batch) and its exceptions are logged.
    /// </summary>
    public event Action<IReadOnlyList<RunEvent>>? Committed;

    /// <summary>The pool this store uses; the queue (PostgresRunQueue) shares it.</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    public StoreHealth Health => _writer.Health;

    public void Enqueue(StoreWrite write) => _writer.Enqueue(write);

    public Task FlushAsync(CancellationToken cancellationToken = default) => _writer.FlushAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}
