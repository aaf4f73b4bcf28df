using System.Text;
using Microsoft.Data.Sqlite;

namespace RunsStream.Server.Runs.Storage;

/// <summary>Reads, each on its own pooled connection (WAL: readers never wait for the writer).</summary>
internal sealed partial class SqliteRunStore
{
    private const string RunColumns = """
        run_id, status, command, workspace_id, created_at, started_at, finished_at, exit_code, reason, external,
        last_seq, stdout_bytes, stderr_bytes, gap_from, gap_to, gap_bytes, gap_from_offset, gap_to_offset, gap_at,
        executor, stages, tty, created_by, cancelled_by
        """;

    public RunRecord? GetRun(string runId)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {RunColumns} FROM runs WHERE run_id=$id";
        command.Parameters.AddWithValue("$id", runId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRun(reader) : null;
    }

    public IReadOnlyList<RunRecord> ListRuns(int limit, RunRecord? before, RunStatus? status, IReadOnlyCollection<string>? workspaces = null)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        var where = new List<string>();
        if (before is not null)
        {
            where.Add("(created_at < $created OR (created_at = $created AND run_id < $id))");
            command.Parameters.AddWithValue("$created", ToMillis(before.CreatedAt));
            command.Parameters.AddWithValue("$id", before.RunId);
        }
        if (status is { } wanted)
        {
            where.Add("status = $status");
            command.Parameters.AddWithValue("$status", wanted.ToWire());
        }
        if (workspaces is not null)
        {
            // In the query, not after it: a page of `limit` is a page of what the token may see.
            var names = workspaces.Select((w, i) => "$w" + i).ToArray();
            where.Add(names.Length == 0 ? "0" : $"COALESCE(workspace_id, 'default') IN ({string.Join(", ", names)})");
            var i = 0;
            foreach (var workspace in workspaces)
            {
                command.Parameters.AddWithValue(names[i++], workspace);
            }
        }
        command.CommandText = $"SELECT {RunColumns} FROM runs {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY created_at DESC, run_id DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        return ReadRuns(command);
    }

    public IReadOnlyList<RunRecord> ListUnfinished()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {RunColumns} FROM runs WHERE status IN ('queued', 'running') ORDER BY created_at";
        // The row is updated on status changes; the events tell how far the run really got.
        return ReadRuns(command).Select(run => WithTotalsFromEvents(connection, run)).ToList();
    }

    private static RunRecord WithTotalsFromEvents(SqliteConnection connection, RunRecord run)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT (SELECT MAX(seq) FROM events WHERE run_id=$id),
                   (SELECT stream_offset + length(CAST(data AS BLOB)) FROM events WHERE run_id=$id AND type=0 ORDER BY seq DESC LIMIT 1),
                   (SELECT stream_offset + length(CAST(data AS BLOB)) FROM events WHERE run_id=$id AND type=1 ORDER BY seq DESC LIMIT 1)
            """;
        command.Parameters.AddWithValue("$id", run.RunId);
        using var reader = command.ExecuteReader();
        reader.Read();
        return run with
        {
            LastSeq = Math.Max(run.LastSeq, reader.IsDBNull(0) ? 0 : reader.GetInt64(0)),
            StdoutBytes = Math.Max(run.StdoutBytes, reader.IsDBNull(1) ? 0 : reader.GetInt64(1)),
            StderrBytes = Math.Max(run.StderrBytes, reader.IsDBNull(2) ? 0 : reader.GetInt64(2)),
        };
    }

    private static List<RunRecord> ReadRuns(SqliteCommand command)
    {
        var runs = new List<RunRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            runs.Add(ReadRun(reader));
        }
        return runs;
    }

    private static RunRecord ReadRun(SqliteDataReader r)
    {
        RunStatuses.TryParse(r.GetString(1), out var status);
        return new RunRecord(
            r.GetString(0),
            status,
            r.IsDBNull(2) ? null : r.GetString(2),
            r.IsDBNull(3) ? null : r.GetString(3),
            FromMillis(r.GetInt64(4)),
            r.IsDBNull(5) ? null : FromMillis(r.GetInt64(5)),
            r.IsDBNull(6) ? null : FromMillis(r.GetInt64(6)),
            r.IsDBNull(7) ? null : r.GetInt32(7),
            r.IsDBNull(8) ? null : r.GetString(8),
            r.GetInt64(9) != 0,
            r.GetInt64(10),
            r.GetInt64(11),
            r.GetInt64(12),
            new RetentionGap(r.GetInt64(13), r.GetInt64(14), r.GetInt64(15), r.GetInt64(16), r.GetInt64(17), FromMillis(r.GetInt64(18))))
        {
            // A run stored before schema 2 that this server executed ran as a process.
            Executor = r.IsDBNull(19) ? (r.GetInt64(9) != 0 ? null : ProcessExecutorName) : r.GetString(19),
            Stages = r.IsDBNull(20) ? null : StagesJson.Read(r.GetString(20)),
            Tty = r.IsDBNull(21) ? null : Execution.TerminalSize.Parse(r.GetString(21)),
            CreatedBy = r.IsDBNull(22) ? null : r.GetString(22),
            CancelledBy = r.IsDBNull(23) ? null : r.GetString(23),
        };
    }

    public List<RunEvent> ReadEvents(string runId, long afterSeq, int maxEvents, long maxBytes)
    {
        using var connection = Open();
        var gap = ReadGap(connection, runId);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT seq, type, data, ts, status, reason, exit_code, stdout_bytes, stderr_bytes, stage_name, stage_index, duration_ms
            FROM events WHERE run_id=$id AND seq > $after ORDER BY seq LIMIT $limit
            """;
        command.Parameters.AddWithValue("$id", runId);
        command.Parameters.AddWithValue("$after", afterSeq);
        command.Parameters.AddWithValue("$limit", maxEvents);
        var page = new StoredEventPage(runId, gap, afterSeq, maxEvents, maxBytes);
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                if (!page.Add(reader.GetInt64(0), reader, ReadEvent))
                {
                    break;
                }
            }
        }
        return page.Complete();
    }

    private static RunEvent ReadEvent(string runId, SqliteDataReader r)
    {
        var type = (RunEventType)r.GetInt32(1);
        var timestamp = FromMillis(r.GetInt64(3));
        if (type == RunEventType.Stage)
        {
            StageStatuses.TryParse(r.GetString(4), out var stageStatus);
            var mark = new StageMark(r.GetString(9), r.GetInt32(10), stageStatus, r.IsDBNull(6) ? null : r.GetInt32(6), r.IsDBNull(11) ? null : r.GetInt64(11));
            return RunEvent.ForStage(runId, r.GetInt64(0), mark, timestamp);
        }
        if (type != RunEventType.Status)
        {
            return new RunEvent(runId, r.GetInt64(0), type, r.GetFieldValue<byte[]>(2), timestamp);
        }
        RunStatuses.TryParse(r.GetString(4), out var status);
        return RunEvent.ForStatus(runId, r.GetInt64(0), status, timestamp,
            r.IsDBNull(5) ? null : r.GetString(5),
            r.IsDBNull(6) ? null : r.GetInt32(6),
            r.IsDBNull(7) ? null : r.GetInt64(7),
            r.IsDBNull(8) ? null : r.GetInt64(8));
    }

    private static RetentionGap ReadGap(SqliteConnection connection, string runId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT gap_from, gap_to, gap_bytes, gap_from_offset, gap_to_offset, gap_at FROM runs WHERE run_id=$id";
        command.Parameters.AddWithValue("$id", runId);
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new RetentionGap(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), FromMillis(reader.GetInt64(5)))
            : RetentionGap.None;
    }

    public IEnumerable<OutputChunk> ReadOutput(string runId, RunEventType? stream, long from, long to)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        var offset = stream is null ? "out_offset" : "stream_offset";
        command.CommandText = $"""
            SELECT {offset}, data FROM events
            WHERE run_id=$id AND type {(stream is null ? "IN (0, 1)" : "= $type")} AND {offset} < $to
            ORDER BY seq
            """;
        command.Parameters.AddWithValue("$id", runId);
        command.Parameters.AddWithValue("$to", to);
        if (stream is { } s)
        {
            command.Parameters.AddWithValue("$type", (int)s);
        }
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var start = reader.GetInt64(0);
            var data = reader.GetString(1);
            if (start + Encoding.UTF8.GetByteCount(data) > from)
            {
                yield return new OutputChunk(start, data);
            }
        }
    }

    public bool IsDeleted(string runId)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM deleted_runs WHERE run_id=$id";
        command.Parameters.AddWithValue("$id", runId);
        return command.ExecuteScalar() is not null;
    }

    public IReadOnlyList<string> DeleteFinishedBefore(DateTimeOffset cutoff)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        var ids = new List<string>();
        using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = "SELECT run_id FROM runs WHERE created_at < $cutoff AND status IN ('succeeded', 'failed', 'cancelled')";
            select.Parameters.AddWithValue("$cutoff", ToMillis(cutoff));
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
        }
        using var deleteEvents = connection.CreateCommand();
        deleteEvents.Transaction = transaction;
        deleteEvents.CommandText = "DELETE FROM events WHERE run_id=$id; DELETE FROM runs WHERE run_id=$id; INSERT OR REPLACE INTO deleted_runs(run_id, deleted_at) VALUES($id, $now);";
        var idParameter = deleteEvents.Parameters.Add("$id", SqliteType.Text);
        deleteEvents.Parameters.AddWithValue("$now", ToMillis(DateTimeOffset.UtcNow));
        foreach (var id in ids)
        {
            idParameter.Value = id;
            deleteEvents.ExecuteNonQuery();
        }
        transaction.Commit();
        return ids;
    }
}
