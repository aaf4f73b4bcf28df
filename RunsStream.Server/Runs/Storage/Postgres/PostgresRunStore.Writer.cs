using Microsoft.Extensions.Logging;
using Npgsql;

namespace RunsStream.Server.Runs.Storage.Postgres;

/// <summary>
/// PostgreSQL's part of the group-commit writer (<see cref="GroupCommitWriter"/>, which batches,
/// retries, reports <see cref="Health"/> and acknowledges): each batch is one transaction on a
/// pooled connection that checks the lease tokens of fenced writes and drops the stale ones;
/// after the COMMIT their owners hear of the fence and <see cref="Committed"/> gets the events.
/// </summary>
internal sealed partial class PostgresRunStore
{
    private sealed class Writer(PostgresRunStore store, ILogger logger, TimeProvider time)
        : GroupCommitWriter("PostgreSQL", MaxBatchDelay, logger, time)
    {
        /// <summary>
        /// One transaction: the lease tokens of the fenced runs read FOR UPDATE (so no take-over
        /// can slip in between the check and the writes), then every write that passes, sent as
        /// one batch (<see cref="ApplyAsync"/>), then COMMIT.
        /// </summary>
        protected override async Task<IReadOnlySet<StoreWrite>> CommitAsync(IReadOnlyList<object> batch)
        {
            await using var connection = await store._dataSource.OpenConnectionAsync().ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
            var tokens = await ReadLeaseTokensAsync(connection, transaction, batch).ConfigureAwait(false);
            var fenced = new HashSet<StoreWrite>(ReferenceEqualityComparer.Instance);
            var passing = new List<StoreWrite>(batch.Count);
            foreach (var write in batch.OfType<StoreWrite>())
            {
                if (write.Fence is { } fence && (!tokens.TryGetValue(RunIdOf(write), out var token) || token != fence))
                {
                    fenced.Add(write);
                }
                else
                {
                    passing.Add(write);
                }
            }
            await ApplyAsync(connection, transaction, passing, CancellationToken.None).ConfigureAwait(false);
            await transaction.CommitAsync().ConfigureAwait(false);
            return fenced;
        }

        /// <summary>After the owners heard of their durable seqs: owners of fenced writes hear of their fence, then the bus gets the events.</summary>
        protected override void OnCommitted(IReadOnlyList<object> batch, IReadOnlySet<StoreWrite> fenced)
        {
            foreach (var (owner, runId) in batch.OfType<StoreWrite>().Where(w => w.Owner is not null && fenced.Contains(w)).Select(w => (w.Owner!, RunIdOf(w))).Distinct())
            {
                Log.Fenced(Logger, runId);
                Tell(() => owner.OnFenced(runId));
            }
            if (store.Committed is { } committed)
            {
                var events = batch.OfType<AppendEventWrite>().Where(a => !fenced.Contains(a)).Select(a => a.Event).ToList();
                if (events.Count > 0)
                {
                    Tell(() => committed(events));
                }
            }
        }

        /// <summary>PostgreSQL's or Npgsql's message, else the exception's type and message.</summary>
        protected override string Describe(Exception ex) => ex is NpgsqlException ? "PostgreSQL: " + ex.Message : ex.GetType().Name + ": " + ex.Message;

        private void Tell(Action listener)
        {
            try
            {
                listener();
            }
            catch (Exception ex)
            {
                // The data is committed; a listener's fault must not stop the writer or the others.
                Log.ListenerFailed(Logger, ex);
            }
        }

        private static async Task<Dictionary<string, long>> ReadLeaseTokensAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<object> batch)
        {
            var tokens = new Dictionary<string, long>(StringComparer.Ordinal);
            var ids = batch.OfType<StoreWrite>().Where(static w => w.Fence is not null).Select(RunIdOf).Distinct().ToArray();
            if (ids.Length == 0)
            {
                return tokens;
            }
            await using var command = new NpgsqlCommand("SELECT run_id, lease_token FROM runs WHERE run_id = ANY(@ids) ORDER BY run_id FOR UPDATE", connection, transaction);
            command.Parameters.AddWithValue("ids", ids);
            await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                tokens[reader.GetString(0)] = reader.GetInt64(1);
            }
            return tokens;
        }

        private static string RunIdOf(StoreWrite write) => write switch
        {
            SaveRunWrite save => save.Run.RunId,
            AppendEventWrite append => append.Event.RunId,
            DropEventsWrite drop => drop.RunId,
            _ => throw new ArgumentException("unknown write " + write.GetType().Name),
        };
    }

    private static partial class Log
    {
        [LoggerMessage(5103, LogLevel.Error, "A listener of the run store failed after a commit")]
        public static partial void ListenerFailed(ILogger logger, Exception exception);

        [LoggerMessage(5106, LogLevel.Warning, "Writes for run {RunId} were dropped: its lease was taken over by another node")]
        public static partial void Fenced(ILogger logger, string runId);
    }
}
