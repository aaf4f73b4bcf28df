using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Storage;

/// <summary>
/// The embedded store: one SQLite file in DATA_DIR (WAL mode). Writes go through one
/// background writer (<see cref="GroupCommitWriter"/>) that commits in batches, at most every
/// <see cref="MaxBatchDelay"/> or <see cref="GroupCommitWriter.MaxBatchBytes"/> of data,
/// whichever comes first; readers use their own pooled connections and never block the writer.
/// </summary>
internal sealed partial class SqliteRunStore : IRunStore
{
    /// <summary>Longest a write waits for its batch to commit (the window a crash can lose).</summary>
    public static readonly TimeSpan MaxBatchDelay = TimeSpan.FromMilliseconds(100);

    public const string FileName = "runsstream.db";

    private readonly string _connectionString;
    private readonly Writer _writer;
    private readonly Diagnostics.RunsMetrics? _metrics;

    /// <param name="time">Drives the batch delay and the retry backoff; the system clock when null.</param>
    /// <param name="metrics">Where each commit's duration and the backlog are reported; none when null.</param>
    public SqliteRunStore(string dataDirectory, ILogger<SqliteRunStore> logger, TimeProvider? time = null, Diagnostics.RunsMetrics? metrics = null)
    {
        _metrics = metrics;
        Directory.CreateDirectory(dataDirectory);
        Path = System.IO.Path.GetFullPath(System.IO.Path.Combine(dataDirectory, FileName));
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using (var connection = Open())
        {
            Schema.Apply(connection);
        }
        _writer = new Writer(this, logger, time ?? TimeProvider.System);
        metrics?.ObserveStore(() => _writer.Queued);
        _writer.Start();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    public StoreHealth Health => _writer.Health;

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

    public void Enqueue(StoreWrite write) => _writer.Enqueue(write);

    public Task FlushAsync(CancellationToken cancellationToken = default) => _writer.FlushAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        SqliteConnection.ClearAllPools();
    }
}
