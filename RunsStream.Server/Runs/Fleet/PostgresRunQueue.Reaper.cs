using Npgsql;
using RunsStream.Server.Runs.Storage;
using RunsStream.Server.Runs.Storage.Postgres;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>
/// Ending runs in the store on behalf of a node that cannot: the reaper (expired leases), a
/// node's start (its previous life's runs) and the cancel of a run nobody claimed yet. Each run
/// ends in one transaction, as the run itself would have ended it: its stages closed (running
/// ones with the run's status, pending ones skipped), then the terminal status event after the
/// last stored one, with the output totals as stored; and its lease is taken over
/// (lease_token + 1, no owner), so that the old owner's writes are fenced from then on.
/// </summary>
internal sealed partial class PostgresRunQueue
{
    /// <summary>The reason of a run whose node died (its lease expired, or it came back).</summary>
    public const string NodeLostReason = "node lost";

    private const string Unfinished = "status IN ('queued', 'running')";

    /// <summary>
    /// Ends as failed, "node lost", every claimed or running run whose lease expired (one
    /// transaction each; runs another reaper is ending are skipped). Returns the events it
    /// appended, in order, for the bus to publish.
    /// </summary>
    public Task<IReadOnlyList<RunEvent>> ReapExpiredAsync(string reaperNodeId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        EndEachAsync($"{Unfinished} AND lease_expires_at < now()", [], now, cancellationToken);

    /// <summary>
    /// At a node's start: ends its previous life's unfinished runs as failed, "node lost" (call
    /// it after the executors killed that life's leftover processes).
    /// </summary>
    public Task<IReadOnlyList<RunEvent>> TakeOverOwnAsync(string nodeId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        EndEachAsync($"{Unfinished} AND owner_node = $1", [nodeId], now, cancellationToken);

    /// <summary>
    /// Cancels a run that is still queued and unclaimed; null when it is not (claimed runs are
    /// cancelled by their owner, see <see cref="RequestCancelAsync"/>). Returns its status event.
    /// </summary>
    public async Task<RunEvent?> CancelQueuedAsync(string runId, string reason, string? by, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var events = await EndOneAsync(connection, transaction,
            $"run_id = $1 AND {Claimable}", [runId], RunStatus.Cancelled, reason, now, cancellationToken, by).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return events?[^1];
    }

    private async Task<IReadOnlyList<RunEvent>> EndEachAsync(string where, object[] parameters, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var appended = new List<RunEvent>();
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var events = await EndOneAsync(connection, transaction, where, parameters, RunStatus.Failed, NodeLostReason, now, cancellationToken).ConfigureAwait(false);
            if (events is null)
            {
                return appended;
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            appended.AddRange(events);
        }
    }

    /// <summary>Locks one run matching <paramref name="where"/> and ends it; null when none matches.</summary>
    private static async Task<List<RunEvent>?> EndOneAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string where, object[] parameters,
        RunStatus status, string reason, DateTimeOffset now, CancellationToken cancellationToken, string? by = null)
    {
        // The run and how far its stored events got (the row's totals move only on status changes).
        await using var select = new NpgsqlCommand($"""
            SELECT {PostgresRunStore.RunColumnList}, {PostgresRunStore.EventTotals}
            FROM runs WHERE {where} ORDER BY created_at, run_id LIMIT 1 FOR UPDATE SKIP LOCKED
            """, connection, transaction);
        foreach (var value in parameters)
        {
            select.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        RunRecord run;
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
            run = PostgresRunStore.ReadRun(reader);
            run = run with
            {
                LastSeq = Math.Max(run.LastSeq, reader.IsDBNull(25) ? 0 : reader.GetInt64(25)),
                StdoutBytes = Math.Max(run.StdoutBytes, reader.IsDBNull(26) ? 0 : reader.GetInt64(26)),
                StderrBytes = Math.Max(run.StderrBytes, reader.IsDBNull(27) ? 0 : reader.GetInt64(27)),
            };
        }
        var at = PostgresSchema.Time(now);
        var (events, stages) = Ending(run, status, reason, at);
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var e in events)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO events(run_id, seq, type, data, ts, status, reason, exit_code, stdout_bytes, stderr_bytes, out_offset, stream_offset,
                                   stage_name, stage_index, duration_ms)
                VALUES($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10, 0, $11, $12, $13)
                """, e.RunId, e.Seq, (short)e.Type, e.DataUtf8Array, e.Timestamp, e.Stage?.Status.ToWire() ?? e.Status?.ToWire(), e.Reason,
                e.StdoutBytes, e.StderrBytes, run.OutputBytes, e.Stage?.Name, e.Stage?.Index, e.Stage?.DurationMs));
        }
        var update = Command("""
            UPDATE runs SET status = $2, finished_at = $3, reason = $4, exit_code = NULL, last_seq = $5, stdout_bytes = $6, stderr_bytes = $7,
                owner_node = NULL, lease_token = lease_token + 1, lease_expires_at = NULL, cancel_reason = NULL,
                cancelled_by = COALESCE($8, cancelled_by)
            WHERE run_id = $1
            """, run.RunId, status.ToWire(), at, reason, events[^1].Seq, run.StdoutBytes, run.StderrBytes, by);
        batch.BatchCommands.Add(update);
        if (stages is not null)
        {
            var save = Command("UPDATE runs SET stages = $2 WHERE run_id = $1", run.RunId, null);
            save.Parameters[1] = new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb, Value = SqliteRunStore.StagesJson.Write(stages) };
            batch.BatchCommands.Add(save);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return events;
    }

    /// <summary>The events that end <paramref name="run"/>, and its stages afterwards (null for a run of one command).</summary>
    private static (List<RunEvent> Events, List<RunStage>? Stages) Ending(RunRecord run, RunStatus status, string reason, DateTimeOffset now)
    {
        var events = new List<RunEvent>();
        var seq = run.LastSeq;
        List<RunStage>? stages = null;
        if (run.Stages is { } before)
        {
            stages = [.. before];
            for (var index = 0; index < stages.Count; index++)
            {
                var stage = stages[index];
                if (stage.Status.IsDone())
                {
                    continue;
                }
                var ended = stage.Status == StageStatus.Running ? (status == RunStatus.Cancelled ? StageStatus.Cancelled : StageStatus.Failed) : StageStatus.Skipped;
                long? duration = ended != StageStatus.Skipped && stage.StartedAt is { } started ? (long)Math.Max(0, (now - started).TotalMilliseconds) : null;
                stages[index] = stage with { Status = ended, EndedAt = now };
                events.Add(RunEvent.ForStage(run.RunId, ++seq, new StageMark(stage.Name, index, ended, null, duration), now));
            }
        }
        events.Add(RunEvent.ForStatus(run.RunId, ++seq, status, now, reason, null, run.StdoutBytes, run.StderrBytes));
        return (events, stages);
    }

    private static NpgsqlBatchCommand Command(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }
        return command;
    }
}
