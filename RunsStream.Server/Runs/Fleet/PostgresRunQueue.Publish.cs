using Npgsql;
using RunsStream.Server.Runs.Storage;
using RunsStream.Server.Runs.Storage.Postgres;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>
/// An external executor's events (POST /runs/{id}/events) in a fleet: any node may take a
/// publish for any run, so the run's next seqs are given out in one transaction that holds the
/// run (an advisory lock on its id: it may not exist yet), by the same rules as on one node
/// (<see cref="RunState.Publish"/>, run on the stored state), all or nothing.
/// </summary>
internal sealed partial class PostgresRunQueue
{
    public async Task<(PublishOutcome Outcome, IReadOnlyList<RunEvent> Appended)> PublishExternalAsync(
        string runId, IReadOnlyList<PublishedEvent> events, string? by, TimeProvider time, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockRun = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", connection, transaction))
        {
            lockRun.Parameters.Add(new NpgsqlParameter { Value = runId });
            await lockRun.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        var record = await StoredRunAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false);
        var deleted = record is null && await IsDeletedAsync(connection, transaction, runId, cancellationToken).ConfigureAwait(false);
        var writes = new WriteCapture(deleted);
        // The cap is the executing side's concern; an external run's events are all kept here.
        var run = record is null ? new RunState(runId, long.MaxValue, writes) : new RunState(record, long.MaxValue, writes);
        var outcome = run.Publish(events, time, by);
        if (outcome != PublishOutcome.Accepted || writes.Captured.Count == 0)
        {
            return (outcome, []);
        }
        await PostgresRunStore.ApplyAsync(connection, transaction, writes.Captured, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (outcome, writes.Captured.OfType<AppendEventWrite>().Select(a => a.Event).ToList());
    }

    /// <summary>The run as stored, with its last seq and totals from its events (the row moves only on status changes).</summary>
    private static async Task<RunRecord?> StoredRunAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string runId, CancellationToken cancellationToken)
    {
        await using var select = new NpgsqlCommand($"""
            SELECT {PostgresRunStore.RunColumnList}, {PostgresRunStore.EventTotals}
            FROM runs WHERE run_id = $1
            """, connection, transaction);
        select.Parameters.Add(new NpgsqlParameter { Value = runId });
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        var run = PostgresRunStore.ReadRun(reader);
        return run with
        {
            LastSeq = Math.Max(run.LastSeq, reader.IsDBNull(25) ? 0 : reader.GetInt64(25)),
            StdoutBytes = Math.Max(run.StdoutBytes, reader.IsDBNull(26) ? 0 : reader.GetInt64(26)),
            StderrBytes = Math.Max(run.StderrBytes, reader.IsDBNull(27) ? 0 : reader.GetInt64(27)),
        };
    }

    private static async Task<bool> IsDeletedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string runId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM deleted_runs WHERE run_id = $1)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// A store that only collects what the run writes, for the transaction to apply; its reads
    /// are never used by a publish but the one it needs, whether the run was deleted.
    /// </summary>
    private sealed class WriteCapture(bool deleted) : IRunStore
    {
        public List<StoreWrite> Captured { get; } = [];

        public void Enqueue(StoreWrite write) => Captured.Add(write);

        public bool IsDeleted(string runId) => deleted;

        public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public StoreHealth Health => StoreHealth.Writable;

        public RunRecord? GetRun(string runId) => null;

        public IReadOnlyList<RunRecord> ListRuns(int limit, RunRecord? before, RunStatus? status, IReadOnlyCollection<string>? workspaces = null) => [];

        public IReadOnlyList<RunRecord> ListUnfinished() => [];

        public List<RunEvent> ReadEvents(string runId, long afterSeq, int maxEvents, long maxBytes) => [];

        public IEnumerable<OutputChunk> ReadOutput(string runId, RunEventType? stream, long from, long to) => [];

        public IReadOnlyList<string> DeleteFinishedBefore(DateTimeOffset cutoff) => [];

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
