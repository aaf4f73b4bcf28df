using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Storage;

/// <summary>
/// SQLite's part of the group-commit writer (<see cref="GroupCommitWriter"/>, which batches,
/// retries, reports <see cref="Health"/> and acknowledges): each batch is one transaction on
/// one connection the writer keeps open, and opens again after a failed commit.
/// </summary>
internal sealed partial class SqliteRunStore
{
    /// <summary>Wait before the first retry of a failed commit (<see cref="GroupCommitWriter.FirstRetryDelay"/>).</summary>
    public static readonly TimeSpan FirstRetryDelay = GroupCommitWriter.FirstRetryDelay;

    /// <summary>Longest wait between retries (<see cref="GroupCommitWriter.MaxRetryDelay"/>).</summary>
    public static readonly TimeSpan MaxRetryDelay = GroupCommitWriter.MaxRetryDelay;

    private sealed class Writer(SqliteRunStore store, ILogger logger, TimeProvider time)
        : GroupCommitWriter("SQLite", MaxBatchDelay, logger, time)
    {
        /// <summary>The writer's connection; only the loop touches it.</summary>
        private SqliteConnection? _connection;

        protected override Task<IReadOnlySet<StoreWrite>> CommitAsync(IReadOnlyList<object> batch)
        {
            try
            {
                _connection ??= store.Open(forWriting: true);
                var started = Stopwatch.GetTimestamp();
                Commit(_connection, batch);
                store._metrics?.OnCommit(Stopwatch.GetElapsedTime(started));
                return NothingFenced;
            }
            catch
            {
                // The transaction was rolled back. A new connection for the retry leaves no
                // doubt about the state of the old one.
                _connection?.Dispose();
                _connection = null;
                throw;
            }
        }

        /// <summary>SQLite's own message, or the exception's type and message.</summary>
        protected override string Describe(Exception ex) => ex is SqliteException ? ex.Message : ex.GetType().Name + ": " + ex.Message;

        protected override void OnStopped()
        {
            _connection?.Dispose();
            _connection = null;
        }

        private static void Commit(SqliteConnection connection, IReadOnlyList<object> batch)
        {
            using var transaction = connection.BeginTransaction();
            using var commands = new WriteCommands(connection, transaction);
            foreach (var item in batch)
            {
                switch (item)
                {
                    case SaveRunWrite save:
                        commands.SaveRun(save.Run);
                        break;
                    case AppendEventWrite append:
                        commands.AppendEvent(append);
                        break;
                    case DropEventsWrite drop:
                        commands.Drop(drop);
                        break;
                }
            }
            transaction.Commit();
        }
    }
}
