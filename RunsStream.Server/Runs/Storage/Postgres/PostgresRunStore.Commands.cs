using Npgsql;
using NpgsqlTypes;

namespace RunsStream.Server.Runs.Storage.Postgres;

internal sealed partial class PostgresRunStore
{
    /// <summary>
    /// Applies <paramref name="writes"/> in the caller's transaction, in order, unfenced (for a
    /// transaction that holds the run itself: the fleet's publish of an external run).
    /// </summary>
    internal static async Task ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<StoreWrite> writes, CancellationToken cancellationToken)
    {
        await using var commands = new NpgsqlBatch(connection, transaction);
        var appends = new List<AppendEventWrite>();
        foreach (var write in writes)
        {
            if (write is AppendEventWrite append)
            {
                appends.Add(append);
                continue;
            }
            WriteCommands.AddAppends(commands, appends);
            appends.Clear();
            WriteCommands.Add(commands, write);
        }
        WriteCommands.AddAppends(commands, appends);
        if (commands.BatchCommands.Count > 0)
        {
            await commands.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The statements of the writes, added to a batch that goes to PostgreSQL as one round trip.</summary>
    private static class WriteCommands
    {
        private const string SaveRunSql = """
            INSERT INTO runs(run_id, status, command, workspace_id, created_at, started_at, finished_at, exit_code, reason, external,
                             last_seq, stdout_bytes, stderr_bytes, gap_from, gap_to, gap_bytes, gap_from_offset, gap_to_offset, gap_at,
                             executor, stages, tty_cols, tty_rows, created_by, cancelled_by)
            VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)
            ON CONFLICT(run_id) DO UPDATE SET status=EXCLUDED.status, started_at=EXCLUDED.started_at, finished_at=EXCLUDED.finished_at,
                exit_code=EXCLUDED.exit_code, reason=EXCLUDED.reason, last_seq=GREATEST(runs.last_seq, EXCLUDED.last_seq),
                stdout_bytes=EXCLUDED.stdout_bytes, stderr_bytes=EXCLUDED.stderr_bytes,
                gap_from=EXCLUDED.gap_from, gap_to=EXCLUDED.gap_to, gap_bytes=EXCLUDED.gap_bytes, gap_from_offset=EXCLUDED.gap_from_offset,
                gap_to_offset=EXCLUDED.gap_to_offset, gap_at=EXCLUDED.gap_at, stages=EXCLUDED.stages,
                cancelled_by=COALESCE(EXCLUDED.cancelled_by, runs.cancelled_by)
            """;

        // Every event of a run of appends in one statement (arrays unnested into rows): one
        // statement to plan instead of thousands. An event written again replaces itself, as in SQLite.
        private const string AppendEventsSql = """
            INSERT INTO events(run_id, seq, type, data, ts, status, reason, exit_code, stdout_bytes, stderr_bytes, out_offset, stream_offset,
                               stage_name, stage_index, duration_ms)
            SELECT * FROM unnest($1::text[], $2::bigint[], $3::smallint[], $4::bytea[], $5::timestamptz[], $6::text[], $7::text[], $8::int[],
                                 $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[], $14::int[], $15::bigint[])
            ON CONFLICT(run_id, seq) DO UPDATE SET type=EXCLUDED.type, data=EXCLUDED.data, ts=EXCLUDED.ts, status=EXCLUDED.status,
                reason=EXCLUDED.reason, exit_code=EXCLUDED.exit_code, stdout_bytes=EXCLUDED.stdout_bytes, stderr_bytes=EXCLUDED.stderr_bytes,
                out_offset=EXCLUDED.out_offset, stream_offset=EXCLUDED.stream_offset, stage_name=EXCLUDED.stage_name,
                stage_index=EXCLUDED.stage_index, duration_ms=EXCLUDED.duration_ms
            """;

        private const string DropSql = """
            DELETE FROM events WHERE run_id=$1 AND seq BETWEEN $2 AND $3;
            """;

        private const string RecordGapSql = """
            UPDATE runs SET gap_from=$2, gap_to=$3, gap_bytes=$4, gap_from_offset=$5, gap_to_offset=$6, gap_at=$7 WHERE run_id=$1
            """;

        /// <summary>Adds a write that is not an append (appends go in groups, <see cref="AddAppends"/>).</summary>
        public static void Add(NpgsqlBatch batch, StoreWrite write)
        {
            switch (write)
            {
                case SaveRunWrite save:
                    batch.BatchCommands.Add(SaveRun(save.Run));
                    break;
                case AppendEventWrite:
                    throw new ArgumentException("appends are added in groups", nameof(write));
                case DropEventsWrite drop:
                    batch.BatchCommands.Add(Command(DropSql, drop.RunId, drop.FromSeq, drop.ToSeq));
                    var gap = drop.Gap;
                    batch.BatchCommands.Add(Command(RecordGapSql, drop.RunId, gap.FromSeq, gap.ToSeq, gap.Bytes, gap.FromOffset, gap.ToOffset, GapTime(gap)));
                    break;
            }
        }

        private static NpgsqlBatchCommand SaveRun(RunRecord run)
        {
            var command = Command(SaveRunSql,
                run.RunId, run.Status.ToWire(), run.Command, run.WorkspaceId, PostgresSchema.Time(run.CreatedAt),
                Time(run.StartedAt), Time(run.FinishedAt), run.ExitCode, run.Reason, run.External,
                run.LastSeq, run.StdoutBytes, run.StderrBytes,
                run.Gap.FromSeq, run.Gap.ToSeq, run.Gap.Bytes, run.Gap.FromOffset, run.Gap.ToOffset, GapTime(run.Gap),
                run.Executor, null, run.Tty?.Columns, run.Tty?.Rows, run.CreatedBy, run.CancelledBy);
            command.Parameters[20] = new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = run.Stages is { } stages ? SqliteRunStore.StagesJson.Write(stages) : DBNull.Value };
            return command;
        }

        /// <summary>Adds consecutive appends as one statement; an event given twice is written as its last copy.</summary>
        public static void AddAppends(NpgsqlBatch batch, List<AppendEventWrite> appends)
        {
            if (appends.Count == 0)
            {
                return;
            }
            var last = new Dictionary<(string, long), int>();
            for (var i = 0; i < appends.Count; i++)
            {
                last[(appends[i].Event.RunId, appends[i].Event.Seq)] = i;
            }
            var rows = appends.Where((a, i) => last[(a.Event.RunId, a.Event.Seq)] == i).ToList();
            T[] Column<T>(Func<AppendEventWrite, T> value) => rows.Select(value).ToArray();
            batch.BatchCommands.Add(Command(AppendEventsSql,
                Column(a => a.Event.RunId),
                Column(a => a.Event.Seq),
                Column(a => (short)a.Event.Type),
                Column(a => a.Event.DataUtf8Array),
                Column(a => PostgresSchema.Time(a.Event.Timestamp)),
                Column(a => a.Event.Stage is { } stage ? stage.Status.ToWire() : a.Event.Status?.ToWire()),
                Column(a => a.Event.Reason),
                Column(a => a.Event.Stage is { } s ? s.ExitCode : a.Event.ExitCode),
                Column(a => a.Event.StdoutBytes),
                Column(a => a.Event.StderrBytes),
                Column(a => a.Offset),
                Column(a => a.StreamOffset),
                Column(a => a.Event.Stage?.Name),
                Column(a => a.Event.Stage?.Index),
                Column(a => a.Event.Stage?.DurationMs)));
        }

        private static DateTimeOffset? Time(DateTimeOffset? time) => time is { } t ? PostgresSchema.Time(t) : null;

        private static DateTimeOffset? GapTime(RetentionGap gap) => gap.Exists ? PostgresSchema.Time(gap.At) : null;

        /// <summary>A statement with positional parameters; a null is sent as a typed NULL.</summary>
        private static NpgsqlBatchCommand Command(string sql, params object?[] values)
        {
            var command = new NpgsqlBatchCommand(sql);
            foreach (var value in values)
            {
                command.Parameters.Add(value is null ? new NpgsqlParameter { Value = DBNull.Value } : new NpgsqlParameter { Value = value });
            }
            return command;
        }
    }
}
