using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Storage;

/// <summary>
/// The embedded store: one SQLite file in DATA_DIR (WAL mode). Writes go through one
/// background writer that commits in batches, at most every <see cref="MaxBatchDelay"/> or
/// <see cref="MaxBatchBytes"/> of data, whichever comes first; readers use their own pooled
/// connections and never block the writer.
/// </summary>
internal sealed partial class SqliteRunStore : IRunStore
{
    /// <summary>Longest a write waits for its batch to commit (the window a crash can lose).</summary>
    public static readonly TimeSpan MaxBatchDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Data bytes that make a batch commit at once.</summary>
    public const long MaxBatchBytes = 1024 * 1024;

    public const string FileName = "runsstream.db";

    private readonly string _connectionString;
    private readonly Channel<object> _writes = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = false });
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _disposing = new();
    private readonly Task _writer;
    private volatile StoreHealth _health = StoreHealth.Writable;
    private volatile Exception? _stopped;
    private int _disposed;

    private readonly Diagnostics.RunsMetrics? _metrics;

    /// <param name="time">Drives the batch delay and the retry backoff; the system clock when null.</param>
    /// <param name="metrics">Where each commit's duration and the backlog are reported; none when null.</param>
    public SqliteRunStore(string dataDirectory, ILogger<SqliteRunStore> logger, TimeProvider? time = null, Diagnostics.RunsMetrics? metrics = null)
    {
        _time = time ?? TimeProvider.System;
        _metrics = metrics;
        metrics?.ObserveStore(() => _writes.Reader.Count);
        Directory.CreateDirectory(dataDirectory);
        Path = System.IO.Path.GetFullPath(System.IO.Path.Combine(dataDirectory, FileName));
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _logger = logger;
        using (var connection = Open())
        {
            Schema.Apply(connection);
        }
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    public StoreHealth Health => _health;

    /// <param name="forWriting">
    /// The writer keeps SQLite's default page cache (2 MB) for its inserts. Readers, mostly
    /// streaming a log once from start to end, get a small one: each pooled connection keeps its
    /// cache, and several readers at once (late joiners) would otherwise hold megabytes each.
    /// </param>
    private SqliteConnection Open(bool forWriting = false)
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF; PRAGMA cache_size={(forWriting ? -2000 : -256)};";
        pragma.ExecuteNonQuery();
        return connection;
    }

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
        SqliteConnection.ClearAllPools();
    }

    private sealed class FlushRequest
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
