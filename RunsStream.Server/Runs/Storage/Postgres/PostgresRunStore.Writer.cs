using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace RunsStream.Server.Runs.Storage.Postgres;

/// <summary>
/// The group-commit writer, as SQLite's (<see cref="SqliteRunStore"/>): one transaction per
/// batch, listeners told only after its COMMIT; a batch whose commit fails (PostgreSQL down or
/// restarting, a network error) is kept and retried with what was queued meanwhile, after a
/// delay doubling from <see cref="FirstRetryDelay"/> to <see cref="MaxRetryDelay"/>, while
/// <see cref="Health"/> says why and the runs pause their output.
/// </summary>
internal sealed partial class PostgresRunStore
{
    /// <summary>Wait before the first retry of a failed commit.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest wait between retries: how long writes may stay stuck after PostgreSQL is back.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    private async Task WriteLoopAsync()
    {
        var reader = _writes.Reader;
        var batch = new List<object>();
        var failures = 0;
        try
        {
            while (true)
            {
                BatchOutcome outcome;
                try
                {
                    if (batch.Count == 0)
                    {
                        if (!await CollectAsync(reader, batch).ConfigureAwait(false))
                        {
                            return;
                        }
                    }
                    else
                    {
                        // A retry takes in what was queued meanwhile (flushes included).
                        while (reader.TryRead(out var item))
                        {
                            batch.Add(item);
                        }
                    }
                    outcome = await CommitAsync(batch).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // The transaction was rolled back (or never began): nothing is acknowledged.
                    failures++;
                    OnCommitFailed(batch, ex, failures);
                    if (_disposing.IsCancellationRequested)
                    {
                        Log.LostOnShutdown(_logger, batch.Count, ex);
                        batch.Clear();
                        continue;
                    }
                    await DelayAsync(RetryDelay(failures)).ConfigureAwait(false);
                    continue;
                }
                if (failures > 0)
                {
                    Log.WritesAgain(_logger, failures, _time.GetUtcNow() - (_health.Since ?? _time.GetUtcNow()));
                    failures = 0;
                }
                _health = StoreHealth.Writable;
                Acknowledge(batch, outcome);
                batch.Clear();
            }
        }
        catch (Exception ex)
        {
            // Not expected; if the loop itself breaks nobody must wait for it.
            Log.WriterStopped(_logger, ex);
            _stopped = ex;
            _health = new StoreHealth(false, "the store's writer stopped: " + Describe(ex), _time.GetUtcNow(), failures);
            _writes.Writer.TryComplete(ex);
            while (reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            FailFlushes(batch, ex, retrying: false);
        }
    }

    /// <summary>Waits for the next writes and gathers a batch; false once the store is closed and empty.</summary>
    private async Task<bool> CollectAsync(ChannelReader<object> reader, List<object> batch)
    {
        if (!await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            return false;
        }
        long bytes = 0;
        var flushRequested = false;
        var deadline = Task.Delay(MaxBatchDelay, _time);
        while (true)
        {
            while (bytes < MaxBatchBytes && reader.TryRead(out var item))
            {
                batch.Add(item);
                if (item is AppendEventWrite append)
                {
                    bytes += append.Event.DataBytes + 64;
                }
                else if (item is FlushRequest)
                {
                    flushRequested = true;
                }
            }
            if (flushRequested || bytes >= MaxBatchBytes || deadline.IsCompleted)
            {
                return true;
            }
            var more = reader.WaitToReadAsync().AsTask();
            if (await Task.WhenAny(more, deadline).ConfigureAwait(false) == deadline || !await more.ConfigureAwait(false))
            {
                while (bytes < MaxBatchBytes && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }
                return true;
            }
        }
    }

    /// <summary>
    /// One transaction: the lease tokens of the fenced runs read FOR UPDATE (so no take-over
    /// can slip in between the check and the writes), then every write that passes, sent as
    /// one batch, then COMMIT.
    /// </summary>
    private async Task<BatchOutcome> CommitAsync(List<object> batch)
    {
        await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        var tokens = await ReadLeaseTokensAsync(connection, transaction, batch).ConfigureAwait(false);
        var outcome = new BatchOutcome();
        await using var commands = new NpgsqlBatch(connection, transaction);
        // Consecutive appends go as one statement; the writes keep their order otherwise.
        var appends = new List<AppendEventWrite>();
        foreach (var item in batch)
        {
            if (item is not StoreWrite write)
            {
                continue;
            }
            if (write.Fence is { } fence && (!tokens.TryGetValue(RunIdOf(write), out var token) || token != fence))
            {
                outcome.Fenced.Add(write);
                continue;
            }
            if (write is AppendEventWrite append)
            {
                appends.Add(append);
                outcome.Committed.Add(append.Event);
                continue;
            }
            WriteCommands.AddAppends(commands, appends);
            appends.Clear();
            WriteCommands.Add(commands, write);
        }
        WriteCommands.AddAppends(commands, appends);
        if (commands.BatchCommands.Count > 0)
        {
            await commands.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        await transaction.CommitAsync().ConfigureAwait(false);
        return outcome;
    }

    private static async Task<Dictionary<string, long>> ReadLeaseTokensAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<object> batch)
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

    /// <summary>After a commit: owners hear of their last durable seq or of their fence, the bus of the events, flushes complete.</summary>
    private void Acknowledge(List<object> batch, BatchOutcome outcome)
    {
        var fenced = new HashSet<StoreWrite>(outcome.Fenced, ReferenceEqualityComparer.Instance);
        var persisted = new Dictionary<IPersistenceListener, long>(ReferenceEqualityComparer.Instance);
        foreach (var item in batch)
        {
            if (item is AppendEventWrite { Owner: { } owner } append && !fenced.Contains(append))
            {
                persisted[owner] = append.Event.Seq;
            }
        }
        foreach (var (owner, seq) in persisted)
        {
            Tell(() => owner.OnPersisted(seq));
        }
        foreach (var (owner, runId) in outcome.Fenced.Where(w => w.Owner is not null).Select(w => (w.Owner!, RunIdOf(w))).Distinct())
        {
            Log.Fenced(_logger, runId);
            Tell(() => owner.OnFenced(runId));
        }
        if (outcome.Committed.Count > 0 && Committed is { } committed)
        {
            Tell(() => committed(outcome.Committed));
        }
        foreach (var item in batch)
        {
            (item as FlushRequest)?.Done.TrySetResult();
        }
    }

    private void Tell(Action listener)
    {
        try
        {
            listener();
        }
        catch (Exception ex)
        {
            // The data is committed; a listener's fault must not stop the writer or the others.
            Log.ListenerFailed(_logger, ex);
        }
    }

    private void OnCommitFailed(List<object> batch, Exception ex, int failures)
    {
        var since = failures == 1 ? _time.GetUtcNow() : _health.Since ?? _time.GetUtcNow();
        _health = new StoreHealth(false, Describe(ex), since, failures);
        if ((failures & (failures - 1)) == 0)
        {
            Log.WriteFailed(_logger, batch.Count, failures, ex);
        }
        FailFlushes(batch, ex, retrying: !_disposing.IsCancellationRequested);
        batch.RemoveAll(static item => item is FlushRequest);
    }

    private static void FailFlushes(List<object> batch, Exception ex, bool retrying)
    {
        var message = retrying
            ? "The run store cannot write now (" + Describe(ex) + "); the writes are kept and retried"
            : "The run store could not write (" + Describe(ex) + ") and stopped trying";
        foreach (var item in batch)
        {
            (item as FlushRequest)?.Done.TrySetException(new StoreUnavailableException(message, retrying, ex));
        }
    }

    private static TimeSpan RetryDelay(int failures)
    {
        var delay = FirstRetryDelay * Math.Pow(2, Math.Min(failures - 1, 16));
        return delay < MaxRetryDelay ? delay : MaxRetryDelay;
    }

    private async Task DelayAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _disposing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Disposing: retry at once, one last time.
        }
    }

    /// <summary>The reason /healthz shows: PostgreSQL's or Npgsql's message, else the exception's type and message.</summary>
    private static string Describe(Exception ex) => ex is NpgsqlException ? "PostgreSQL: " + ex.Message : ex.GetType().Name + ": " + ex.Message;

    /// <summary>What one commit did: the events it made durable, in order, and the writes it dropped as fenced.</summary>
    private sealed class BatchOutcome
    {
        public List<RunEvent> Committed { get; } = [];

        public List<StoreWrite> Fenced { get; } = [];
    }

    private static partial class Log
    {
        [LoggerMessage(5101, LogLevel.Error, "A batch of {Count} writes to PostgreSQL failed ({Failures} failures in a row); it is kept and retried")]
        public static partial void WriteFailed(ILogger logger, int count, int failures, Exception exception);

        [LoggerMessage(5102, LogLevel.Information, "PostgreSQL takes writes again after {Failures} failed commits over {Duration}")]
        public static partial void WritesAgain(ILogger logger, int failures, TimeSpan duration);

        [LoggerMessage(5103, LogLevel.Error, "A listener of the run store failed after a commit")]
        public static partial void ListenerFailed(ILogger logger, Exception exception);

        [LoggerMessage(5104, LogLevel.Critical, "The run store is shutting down and could not commit {Count} writes to PostgreSQL: they are lost")]
        public static partial void LostOnShutdown(ILogger logger, int count, Exception exception);

        [LoggerMessage(5105, LogLevel.Critical, "The PostgreSQL run store's writer stopped: writes and flushes fail from now on")]
        public static partial void WriterStopped(ILogger logger, Exception exception);

        [LoggerMessage(5106, LogLevel.Warning, "Writes for run {RunId} were dropped: its lease was taken over by another node")]
        public static partial void Fenced(ILogger logger, string runId);
    }
}
