using System.Runtime.CompilerServices;
using System.Text;
using Npgsql;

namespace RunsStream.Server.Runs.Storage.Postgres;

/// <summary>
/// Reads, each on a pooled connection. Each is written once with an <c>async</c> switch: the
/// async methods go over the network without holding a thread; the sync ones (kept for the
/// callers that are not async yet) complete synchronously.
/// </summary>
internal sealed partial class PostgresRunStore
{
    private const string RunColumns = """
        run_id, status, command, workspace_id, created_at, started_at, finished_at, exit_code, reason, external,
        last_seq, stdout_bytes, stderr_bytes, gap_from, gap_to, gap_bytes, gap_from_offset, gap_to_offset, gap_at,
        executor, stages::text, tty_cols, tty_rows, created_by, cancelled_by
        """;

    /// <summary>A run's last seq and stream totals from its events (columns after <see cref="RunColumns"/>).</summary>
    internal const string EventTotals = """
        (SELECT max(seq) FROM events e WHERE e.run_id = runs.run_id),
        (SELECT stream_offset + octet_length(data) FROM events e WHERE e.run_id = runs.run_id AND type = 0 ORDER BY seq DESC LIMIT 1),
        (SELECT stream_offset + octet_length(data) FROM events e WHERE e.run_id = runs.run_id AND type = 1 ORDER BY seq DESC LIMIT 1)
        """;

    public RunRecord? GetRun(string runId) => Sync(GetRunCoreAsync(runId, async: false, default));

    public Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default) => GetRunCoreAsync(runId, async: true, cancellationToken);

    /// <remarks>
    /// With the last seq and totals of its events: the row moves only on status changes, and in a
    /// fleet the run may be appended to by another node right now (a mirror starts from here).
    /// </remarks>
    private async Task<RunRecord?> GetRunCoreAsync(string runId, bool async, CancellationToken ct)
    {
        using var command = _dataSource.CreateCommand($"SELECT {RunColumns}, {EventTotals} FROM runs WHERE run_id=$1");
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        var runs = await ReadRunsAsync(command, async, ct, withTotals: true).ConfigureAwait(false);
        return runs.Count > 0 ? runs[0] : null;
    }

    public IReadOnlyList<RunRecord> ListRuns(int limit, RunRecord? before, RunStatus? status, IReadOnlyCollection<string>? workspaces = null) =>
        Sync(ListRunsCoreAsync(limit, before, status, workspaces, async: false, default));

    public async Task<IReadOnlyList<RunRecord>> ListRunsAsync(int limit, RunRecord? before, RunStatus? status, IReadOnlyCollection<string>? workspaces = null, CancellationToken cancellationToken = default) =>
        await ListRunsCoreAsync(limit, before, status, workspaces, async: true, cancellationToken).ConfigureAwait(false);

    private Task<List<RunRecord>> ListRunsCoreAsync(int limit, RunRecord? before, RunStatus? status, IReadOnlyCollection<string>? workspaces, bool async, CancellationToken ct)
    {
        var command = _dataSource.CreateCommand();
        var where = new List<string>();
        if (before is not null)
        {
            where.Add("(created_at < @created OR (created_at = @created AND run_id < @id))");
            command.Parameters.AddWithValue("created", PostgresSchema.Time(before.CreatedAt));
            command.Parameters.AddWithValue("id", before.RunId);
        }
        if (status is { } wanted)
        {
            where.Add("status = @status");
            command.Parameters.AddWithValue("status", wanted.ToWire());
        }
        if (workspaces is not null)
        {
            // In the query, so that limit and before page over what the token may see (issue 15).
            where.Add("COALESCE(workspace_id, @default) = ANY(@workspaces)");
            command.Parameters.AddWithValue("default", Auth.RunsPrincipal.DefaultWorkspace);
            command.Parameters.AddWithValue("workspaces", workspaces.ToArray());
        }
        command.CommandText = $"SELECT {RunColumns} FROM runs {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY created_at DESC, run_id DESC LIMIT @limit";
        command.Parameters.AddWithValue("limit", limit);
        return ReadRunsAndDisposeAsync(command, async, ct);
    }

    public IReadOnlyList<RunRecord> ListUnfinished() => Sync(ListUnfinishedCoreAsync(async: false, default));

    public async Task<IReadOnlyList<RunRecord>> ListUnfinishedAsync(CancellationToken cancellationToken = default) =>
        await ListUnfinishedCoreAsync(async: true, cancellationToken).ConfigureAwait(false);

    /// <remarks>
    /// Every unfinished run of the fleet, not only this node's; the row is updated on status
    /// changes, so the events tell how far each run really got (as SQLite's).
    /// </remarks>
    private Task<List<RunRecord>> ListUnfinishedCoreAsync(bool async, CancellationToken ct)
    {
        var command = _dataSource.CreateCommand($"""
            SELECT {RunColumns}, {EventTotals}
            FROM runs WHERE status IN ('queued', 'running') ORDER BY created_at, run_id
            """);
        return ReadRunsAndDisposeAsync(command, async, ct, withTotals: true);
    }

    private static async Task<List<RunRecord>> ReadRunsAndDisposeAsync(NpgsqlCommand command, bool async, CancellationToken ct, bool withTotals = false)
    {
        using (command)
        {
            return await ReadRunsAsync(command, async, ct, withTotals).ConfigureAwait(false);
        }
    }

    private static async Task<List<RunRecord>> ReadRunsAsync(NpgsqlCommand command, bool async, CancellationToken ct, bool withTotals = false)
    {
        var runs = new List<RunRecord>();
        using var reader = async ? await command.ExecuteReaderAsync(ct).ConfigureAwait(false) : command.ExecuteReader();
        while (async ? await reader.ReadAsync(ct).ConfigureAwait(false) : reader.Read())
        {
            var run = ReadRun(reader);
            if (withTotals)
            {
                run = run with
                {
                    LastSeq = Math.Max(run.LastSeq, reader.IsDBNull(25) ? 0 : reader.GetInt64(25)),
                    StdoutBytes = Math.Max(run.StdoutBytes, reader.IsDBNull(26) ? 0 : reader.GetInt64(26)),
                    StderrBytes = Math.Max(run.StderrBytes, reader.IsDBNull(27) ? 0 : reader.GetInt64(27)),
                };
            }
            runs.Add(run);
        }
        return runs;
    }

    /// <summary>A run from the columns of <see cref="RunColumns"/>, in order (the queue reads the same).</summary>
    internal static RunRecord ReadRun(NpgsqlDataReader r)
    {
        RunStatuses.TryParse(r.GetString(1), out var status);
        return new RunRecord(
            r.GetString(0),
            status,
            r.IsDBNull(2) ? null : r.GetString(2),
            r.IsDBNull(3) ? null : r.GetString(3),
            r.GetFieldValue<DateTimeOffset>(4),
            r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5),
            r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6),
            r.IsDBNull(7) ? null : r.GetInt32(7),
            r.IsDBNull(8) ? null : r.GetString(8),
            r.GetBoolean(9),
            r.GetInt64(10),
            r.GetInt64(11),
            r.GetInt64(12),
            new RetentionGap(r.GetInt64(13), r.GetInt64(14), r.GetInt64(15), r.GetInt64(16), r.GetInt64(17),
                r.IsDBNull(18) ? DateTimeOffset.UnixEpoch : r.GetFieldValue<DateTimeOffset>(18)))
        {
            Executor = r.IsDBNull(19) ? null : r.GetString(19),
            Stages = r.IsDBNull(20) ? null : SqliteRunStore.StagesJson.Read(r.GetString(20)),
            Tty = r.IsDBNull(21) || r.IsDBNull(22) ? null : new Execution.TerminalSize(r.GetInt32(21), r.GetInt32(22)),
            CreatedBy = r.IsDBNull(23) ? null : r.GetString(23),
            CancelledBy = r.IsDBNull(24) ? null : r.GetString(24),
        };
    }

    /// <summary>The columns <see cref="ReadRun"/> reads, for the queue's RETURNING clauses.</summary>
    internal const string RunColumnList = RunColumns;

    public List<RunEvent> ReadEvents(string runId, long afterSeq, int maxEvents, long maxBytes) =>
        Sync(ReadEventsCoreAsync(runId, afterSeq, maxEvents, maxBytes, async: false, default));

    public Task<List<RunEvent>> ReadEventsAsync(string runId, long afterSeq, int maxEvents, long maxBytes, CancellationToken cancellationToken = default) =>
        ReadEventsCoreAsync(runId, afterSeq, maxEvents, maxBytes, async: true, cancellationToken);

    /// <summary>As SQLite's: events after a seq, the retention marker in place of the dropped stretch, up to a byte budget.</summary>
    private async Task<List<RunEvent>> ReadEventsCoreAsync(string runId, long afterSeq, int maxEvents, long maxBytes, bool async, CancellationToken ct)
    {
        using var connection = async ? await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false) : _dataSource.OpenConnection();
        // Two statements, one round trip: the gap, then the events (a range scan of the primary key).
        using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT gap_from, gap_to, gap_bytes, gap_from_offset, gap_to_offset, gap_at FROM runs WHERE run_id = $1")
                {
                    Parameters = { new NpgsqlParameter { Value = runId } },
                },
                new NpgsqlBatchCommand("""
                    SELECT seq, type, data, ts, status, reason, exit_code, stdout_bytes, stderr_bytes, stage_name, stage_index, duration_ms
                    FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
                    """)
                {
                    Parameters = { new NpgsqlParameter { Value = runId }, new NpgsqlParameter { Value = afterSeq }, new NpgsqlParameter { Value = maxEvents } },
                },
            },
        };
        using var reader = async ? await batch.ExecuteReaderAsync(ct).ConfigureAwait(false) : batch.ExecuteReader();
        var gap = RetentionGap.None;
        if (async ? await reader.ReadAsync(ct).ConfigureAwait(false) : reader.Read())
        {
            gap = new RetentionGap(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4),
                reader.IsDBNull(5) ? DateTimeOffset.UnixEpoch : reader.GetFieldValue<DateTimeOffset>(5));
        }
        _ = async ? await reader.NextResultAsync(ct).ConfigureAwait(false) : reader.NextResult();
        var page = new StoredEventPage(runId, gap, afterSeq, maxEvents, maxBytes);
        while (async ? await reader.ReadAsync(ct).ConfigureAwait(false) : reader.Read())
        {
            if (!page.Add(reader.GetInt64(0), reader, ReadEvent))
            {
                break;
            }
        }
        return page.Complete();
    }

    private static RunEvent ReadEvent(string runId, NpgsqlDataReader r)
    {
        var seq = r.GetInt64(0);
        var type = (RunEventType)r.GetInt16(1);
        var timestamp = r.GetFieldValue<DateTimeOffset>(3);
        if (type == RunEventType.Stage)
        {
            StageStatuses.TryParse(r.GetString(4), out var stageStatus);
            var mark = new StageMark(r.GetString(9), r.GetInt32(10), stageStatus, r.IsDBNull(6) ? null : r.GetInt32(6), r.IsDBNull(11) ? null : r.GetInt64(11));
            return RunEvent.ForStage(runId, seq, mark, timestamp);
        }
        if (type != RunEventType.Status)
        {
            return new RunEvent(runId, seq, type, r.GetFieldValue<byte[]>(2), timestamp);
        }
        RunStatuses.TryParse(r.GetString(4), out var status);
        return RunEvent.ForStatus(runId, seq, status, timestamp,
            r.IsDBNull(5) ? null : r.GetString(5),
            r.IsDBNull(6) ? null : r.GetInt32(6),
            r.IsDBNull(7) ? null : r.GetInt64(7),
            r.IsDBNull(8) ? null : r.GetInt64(8));
    }

    public IEnumerable<OutputChunk> ReadOutput(string runId, RunEventType? stream, long from, long to)
    {
        using var command = OutputCommand(runId, stream, from, to);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return new OutputChunk(reader.GetInt64(0), Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(1)));
        }
    }

    public async IAsyncEnumerable<OutputChunk> ReadOutputAsync(string runId, RunEventType? stream, long from, long to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = OutputCommand(runId, stream, from, to);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new OutputChunk(reader.GetInt64(0), Encoding.UTF8.GetString(reader.GetFieldValue<byte[]>(1)));
        }
    }

    /// <summary>The output events overlapping [from, to) of the chosen byte space, in order.</summary>
    private NpgsqlCommand OutputCommand(string runId, RunEventType? stream, long from, long to)
    {
        var offset = stream is null ? "out_offset" : "stream_offset";
        var command = _dataSource.CreateCommand($"""
            SELECT {offset}, data FROM events
            WHERE run_id=@id AND type {(stream is null ? "IN (0, 1)" : "= @type")} AND {offset} < @to AND {offset} + octet_length(data) > @from
            ORDER BY seq
            """);
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("to", to);
        command.Parameters.AddWithValue("from", from);
        if (stream is { } s)
        {
            command.Parameters.AddWithValue("type", (short)s);
        }
        return command;
    }

    public bool IsDeleted(string runId) => Sync(IsDeletedCoreAsync(runId, async: false, default));

    public Task<bool> IsDeletedAsync(string runId, CancellationToken cancellationToken = default) => IsDeletedCoreAsync(runId, async: true, cancellationToken);

    private async Task<bool> IsDeletedCoreAsync(string runId, bool async, CancellationToken ct)
    {
        using var command = _dataSource.CreateCommand("SELECT 1 FROM deleted_runs WHERE run_id=$1");
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        return (async ? await command.ExecuteScalarAsync(ct).ConfigureAwait(false) : command.ExecuteScalar()) is not null;
    }

    /// <summary>One statement: the runs, their events, and the tombstones that make them answer 410.</summary>
    public IReadOnlyList<string> DeleteFinishedBefore(DateTimeOffset cutoff)
    {
        using var command = _dataSource.CreateCommand("""
            WITH gone AS (
                DELETE FROM runs WHERE created_at < $1 AND status IN ('succeeded', 'failed', 'cancelled') RETURNING run_id),
            events_gone AS (
                DELETE FROM events WHERE run_id IN (SELECT run_id FROM gone)),
            tombstones AS (
                INSERT INTO deleted_runs(run_id, deleted_at) SELECT run_id, now() FROM gone
                ON CONFLICT(run_id) DO UPDATE SET deleted_at = EXCLUDED.deleted_at)
            SELECT run_id FROM gone
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = PostgresSchema.Time(cutoff) });
        var ids = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    /// <summary>The result of a core method run with async: false, which never yields.</summary>
    private static T Sync<T>(Task<T> task) => task.IsCompleted
        ? task.GetAwaiter().GetResult()
        : throw new InvalidOperationException("a synchronous read went asynchronous");
}
