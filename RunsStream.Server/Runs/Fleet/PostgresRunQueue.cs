using Npgsql;
using RunsStream.Server.Runs.Storage.Postgres;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>
/// The fleet's queue, leases and node table in PostgreSQL (issue 14, docs/fleet.md). The run
/// row is the queue entry: a queued run is durable as soon as the store committed it, and a
/// claim is one UPDATE that takes the oldest unclaimed queued run (FOR UPDATE SKIP LOCKED), so
/// claims are FIFO across the fleet and never give one run twice. Each claim or take-over adds
/// one to runs.lease_token, the fencing token of the run's writes. Lease times are
/// PostgreSQL's now(): one clock for the fleet. Every method is one transaction (the reaper's:
/// one per run).
/// </summary>
internal sealed partial class PostgresRunQueue(NpgsqlDataSource dataSource)
{
    // A claim can come back empty while runs are queued: the row it picked was claimed by
    // another node between its snapshot and its lock. It then tries again, a few times.
    private const int ClaimAttempts = 5;

    private const string Claimable = "status = 'queued' AND owner_node IS NULL AND NOT external";

    /// <summary>Claims the oldest queued run for <paramref name="nodeId"/>; null when none is waiting.</summary>
    public async Task<ClaimedRun?> ClaimNextAsync(string nodeId, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < ClaimAttempts; attempt++)
        {
            await using var command = dataSource.CreateCommand($"""
                UPDATE runs SET owner_node = $1, lease_token = lease_token + 1, lease_expires_at = now() + $2, cancel_reason = NULL
                WHERE run_id = (SELECT run_id FROM runs WHERE {Claimable} ORDER BY created_at, run_id FOR UPDATE SKIP LOCKED LIMIT 1)
                  AND {Claimable}
                RETURNING {PostgresRunStore.RunColumnList}, lease_token
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = nodeId });
            command.Parameters.Add(new NpgsqlParameter { Value = lease });
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return new ClaimedRun(PostgresRunStore.ReadRun(reader), reader.GetInt64(25));
                }
            }
            if (!await AnyClaimableAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
        return null;
    }

    private async Task<bool> AnyClaimableAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT EXISTS (SELECT 1 FROM runs WHERE {Claimable})");
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Renews, in one statement, the leases <paramref name="nodeId"/> holds; a run whose
    /// (run id, fence) no longer matches was taken over and comes back in <see cref="LeaseRenewal.Lost"/>.
    /// </summary>
    public async Task<LeaseRenewal> RenewAsync(string nodeId, IReadOnlyCollection<(string RunId, long Fence)> held, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        if (held.Count == 0)
        {
            return new LeaseRenewal([], new Dictionary<string, string>());
        }
        await using var command = dataSource.CreateCommand("""
            UPDATE runs SET lease_expires_at = now() + $2
            WHERE owner_node = $1 AND (run_id, lease_token) IN (SELECT * FROM unnest($3::text[], $4::bigint[]))
            RETURNING run_id, cancel_reason
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = nodeId });
        command.Parameters.Add(new NpgsqlParameter { Value = lease });
        command.Parameters.Add(new NpgsqlParameter { Value = held.Select(h => h.RunId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = held.Select(h => h.Fence).ToArray() });
        var renewed = new HashSet<string>(StringComparer.Ordinal);
        var cancels = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                renewed.Add(reader.GetString(0));
                if (!reader.IsDBNull(1))
                {
                    cancels[reader.GetString(0)] = reader.GetString(1);
                }
            }
        }
        return new LeaseRenewal(held.Select(h => h.RunId).Where(id => !renewed.Contains(id)).Distinct().ToList(), cancels);
    }

    /// <summary>
    /// Asks the node that executes <paramref name="runId"/> to cancel it: it sees the reason at
    /// its next renewal (the Redis cancel channel is the fast path). False when the run is not
    /// queued or running.
    /// </summary>
    public async Task<bool> RequestCancelAsync(string runId, string reason, string? by = null, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE runs SET cancel_reason = $2, cancelled_by = COALESCE($3, cancelled_by) WHERE run_id = $1 AND status IN ('queued', 'running')");
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        command.Parameters.Add(new NpgsqlParameter { Value = reason });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)by ?? DBNull.Value });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>
    /// The last stored seq of each run (for mirrors to find what they missed), from the events
    /// themselves: the run row's last_seq only moves on status changes. Unknown runs are left out.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, long>> LastSeqsAsync(IReadOnlyCollection<string> runIds, CancellationToken cancellationToken = default)
    {
        var seqs = new Dictionary<string, long>(StringComparer.Ordinal);
        if (runIds.Count == 0)
        {
            return seqs;
        }
        await using var command = dataSource.CreateCommand("""
            SELECT run_id, GREATEST(last_seq, COALESCE((SELECT max(seq) FROM events e WHERE e.run_id = runs.run_id), 0))
            FROM runs WHERE run_id = ANY($1)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = runIds.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            seqs[reader.GetString(0)] = reader.GetInt64(1);
        }
        return seqs;
    }
}
