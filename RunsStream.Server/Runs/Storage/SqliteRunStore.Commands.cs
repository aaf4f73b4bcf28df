using Microsoft.Data.Sqlite;

namespace RunsStream.Server.Runs.Storage;

internal sealed partial class SqliteRunStore
{
    /// <summary>The prepared statements of one transaction.</summary>
    private sealed class WriteCommands : IDisposable
    {
        private readonly SqliteCommand _saveRun;
        private readonly SqliteCommand _appendEvent;
        private readonly SqliteCommand _dropEvents;
        private readonly SqliteCommand _recordGap;

        public WriteCommands(SqliteConnection connection, SqliteTransaction transaction)
        {
            _saveRun = Prepare(connection, transaction, """
                INSERT INTO runs(run_id, status, command, workspace_id, created_at, started_at, finished_at, exit_code, reason, external,
                                 last_seq, stdout_bytes, stderr_bytes, gap_from, gap_to, gap_bytes, gap_from_offset, gap_to_offset, gap_at,
                                 executor, stages, tty, created_by, cancelled_by)
                VALUES($id, $status, $command, $workspace, $created, $started, $finished, $exit, $reason, $external,
                       $last, $out, $err, $gfrom, $gto, $gbytes, $gfromoff, $gtooff, $gat, $executor, $stages, $tty, $createdby, $cancelledby)
                ON CONFLICT(run_id) DO UPDATE SET status=$status, started_at=$started, finished_at=$finished, exit_code=$exit,
                    reason=$reason, last_seq=MAX(last_seq, $last), stdout_bytes=$out, stderr_bytes=$err,
                    gap_from=$gfrom, gap_to=$gto, gap_bytes=$gbytes, gap_from_offset=$gfromoff, gap_to_offset=$gtooff, gap_at=$gat,
                    stages=$stages, cancelled_by=COALESCE($cancelledby, cancelled_by)
                """, "$id", "$status", "$command", "$workspace", "$created", "$started", "$finished", "$exit", "$reason", "$external",
                "$last", "$out", "$err", "$gfrom", "$gto", "$gbytes", "$gfromoff", "$gtooff", "$gat", "$executor", "$stages", "$tty", "$createdby", "$cancelledby");
            _appendEvent = Prepare(connection, transaction, """
                INSERT OR REPLACE INTO events(run_id, seq, type, data, ts, status, reason, exit_code, stdout_bytes, stderr_bytes, out_offset, stream_offset,
                                              stage_name, stage_index, duration_ms)
                VALUES($id, $seq, $type, CAST($data AS TEXT), $ts, $status, $reason, $exit, $out, $err, $offset, $soffset, $sname, $sindex, $duration)
                """, "$id", "$seq", "$type", "$data", "$ts", "$status", "$reason", "$exit", "$out", "$err", "$offset", "$soffset", "$sname", "$sindex", "$duration");
            _dropEvents = Prepare(connection, transaction, "DELETE FROM events WHERE run_id=$id AND seq BETWEEN $from AND $to", "$id", "$from", "$to");
            _recordGap = Prepare(connection, transaction, """
                UPDATE runs SET gap_from=$gfrom, gap_to=$gto, gap_bytes=$gbytes, gap_from_offset=$gfromoff, gap_to_offset=$gtooff, gap_at=$gat
                WHERE run_id=$id
                """, "$id", "$gfrom", "$gto", "$gbytes", "$gfromoff", "$gtooff", "$gat");
        }

        private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] names)
        {
            var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            foreach (var name in names)
            {
                command.Parameters.Add(new SqliteParameter(name, null));
            }
            return command;
        }

        private static void Set(SqliteCommand command, string name, object? value) => command.Parameters[name].Value = value ?? DBNull.Value;

        public void SaveRun(RunRecord run)
        {
            var c = _saveRun;
            Set(c, "$id", run.RunId);
            Set(c, "$status", run.Status.ToWire());
            Set(c, "$command", run.Command);
            Set(c, "$workspace", run.WorkspaceId);
            Set(c, "$created", ToMillis(run.CreatedAt));
            Set(c, "$started", run.StartedAt is { } s ? ToMillis(s) : null);
            Set(c, "$finished", run.FinishedAt is { } f ? ToMillis(f) : null);
            Set(c, "$exit", run.ExitCode);
            Set(c, "$reason", run.Reason);
            Set(c, "$external", run.External ? 1 : 0);
            Set(c, "$last", run.LastSeq);
            Set(c, "$out", run.StdoutBytes);
            Set(c, "$err", run.StderrBytes);
            SetGap(c, run.Gap);
            Set(c, "$executor", run.Executor);
            Set(c, "$stages", run.Stages is { } stages ? StagesJson.Write(stages) : null);
            Set(c, "$tty", run.Tty is { } tty ? tty.ToString() : null);
            Set(c, "$createdby", run.CreatedBy);
            Set(c, "$cancelledby", run.CancelledBy);
            c.ExecuteNonQuery();
        }

        private static void SetGap(SqliteCommand c, RetentionGap gap)
        {
            Set(c, "$gfrom", gap.FromSeq);
            Set(c, "$gto", gap.ToSeq);
            Set(c, "$gbytes", gap.Bytes);
            Set(c, "$gfromoff", gap.FromOffset);
            Set(c, "$gtooff", gap.ToOffset);
            Set(c, "$gat", gap.Exists ? ToMillis(gap.At) : 0);
        }

        public void AppendEvent(AppendEventWrite write)
        {
            var e = write.Event;
            var c = _appendEvent;
            Set(c, "$id", e.RunId);
            Set(c, "$seq", e.Seq);
            Set(c, "$type", (int)e.Type);
            Set(c, "$data", e.DataUtf8Array); // UTF-8 bound as is; stored as TEXT by the CAST
            Set(c, "$ts", ToMillis(e.Timestamp));
            Set(c, "$status", e.Stage is { } stage ? stage.Status.ToWire() : e.Status?.ToWire());
            Set(c, "$reason", e.Reason);
            Set(c, "$exit", e.Stage is { } s ? s.ExitCode : e.ExitCode);
            Set(c, "$sname", e.Stage?.Name);
            Set(c, "$sindex", e.Stage?.Index);
            Set(c, "$duration", e.Stage?.DurationMs);
            Set(c, "$out", e.StdoutBytes);
            Set(c, "$err", e.StderrBytes);
            Set(c, "$offset", write.Offset);
            Set(c, "$soffset", write.StreamOffset);
            c.ExecuteNonQuery();
        }

        public void Drop(DropEventsWrite drop)
        {
            Set(_dropEvents, "$id", drop.RunId);
            Set(_dropEvents, "$from", drop.FromSeq);
            Set(_dropEvents, "$to", drop.ToSeq);
            _dropEvents.ExecuteNonQuery();
            Set(_recordGap, "$id", drop.RunId);
            SetGap(_recordGap, drop.Gap);
            _recordGap.ExecuteNonQuery();
        }

        public void Dispose()
        {
            _saveRun.Dispose();
            _appendEvent.Dispose();
            _dropEvents.Dispose();
            _recordGap.Dispose();
        }
    }
}
