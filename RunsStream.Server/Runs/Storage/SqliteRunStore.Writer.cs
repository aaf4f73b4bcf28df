using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Storage;

/// <summary>
/// The group-commit writer: one transaction per batch, listeners told afterwards, and only
/// after a commit that succeeded. A batch whose commit fails (a full disk, an I/O error, or
/// anything unexpected) is kept and retried, with what was queued meanwhile, after a delay
/// that doubles from <see cref="FirstRetryDelay"/> to <see cref="MaxRetryDelay"/>; until it
/// succeeds <see cref="Health"/> says why, and the runs, whose events stay in memory
/// unacknowledged, pause their output (<see cref="RunState.WaitForStoreAsync"/>).
/// </summary>
internal sealed partial class SqliteRunStore
{
    /// <summary>Wait before the first retry of a failed commit.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Longest wait between retries: how long writes may stay stuck after the disk has room
    /// again, and how often a failing disk is tried.
    /// </summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    private async Task WriteLoopAsync()
    {
        var reader = _writes.Reader;
        var batch = new List<object>();
        SqliteConnection? connection = null;
        var failures = 0;
        try
        {
            while (true)
            {
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
                        // A retry takes in what was queued meanwhile: a flush queued behind the
                        // failed batch hears of this attempt instead of waiting for the disk.
                        while (reader.TryRead(out var item))
                        {
                            batch.Add(item);
                        }
                    }
                    connection ??= Open(forWriting: true);
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    Commit(connection, batch);
                    _metrics?.OnCommit(System.Diagnostics.Stopwatch.GetElapsedTime(started));
                }
                catch (Exception ex)
                {
                    // Whatever the failure, the transaction was rolled back: nothing of the
                    // batch is durable, so nothing is acknowledged. A new connection for the
                    // retry leaves no doubt about the state of the old one.
                    failures++;
                    connection?.Dispose();
                    connection = null;
                    OnCommitFailed(batch, ex, failures);
                    if (_disposing.IsCancellationRequested)
                    {
                        // Shutting down: the host already waited for the disk as long as it could.
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
                // Writable before anyone is told: a run released here checks it to go on.
                _health = StoreHealth.Writable;
                Acknowledge(batch);
                batch.Clear();
            }
        }
        catch (Exception ex)
        {
            // Not expected (every commit failure is caught above), but if the loop itself
            // breaks, nobody must wait for it: later writes throw and flushes fault.
            Log.WriterStopped(_logger, ex);
            _stopped = ex;
            _health = new StoreHealth(false, "the store's writer stopped: " + Describe(ex), _time.GetUtcNow(), failures);
            _writes.Writer.TryComplete(ex);
            batch.AddRange(DrainQueued(reader));
            FailFlushes(batch, ex, retrying: false);
        }
        finally
        {
            connection?.Dispose();
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
                // Take what arrived meanwhile, then commit.
                while (bytes < MaxBatchBytes && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }
                return true;
            }
        }
    }

    private static void Commit(SqliteConnection connection, List<object> batch)
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

    /// <summary>After a commit: each owner hears of its last durable seq, each flush completes.</summary>
    private void Acknowledge(List<object> batch)
    {
        var persisted = new Dictionary<IPersistenceListener, long>(ReferenceEqualityComparer.Instance);
        foreach (var item in batch)
        {
            if (item is AppendEventWrite { Owner: { } owner } append)
            {
                persisted[owner] = append.Event.Seq;
            }
        }
        foreach (var (owner, seq) in persisted)
        {
            try
            {
                owner.OnPersisted(seq);
            }
            catch (Exception ex)
            {
                // The data is committed; a listener's fault must not stop the writer or the others.
                Log.ListenerFailed(_logger, seq, ex);
            }
        }
        foreach (var item in batch)
        {
            (item as FlushRequest)?.Done.TrySetResult();
        }
    }

    private void OnCommitFailed(List<object> batch, Exception ex, int failures)
    {
        var since = failures == 1 ? _time.GetUtcNow() : _health.Since ?? _time.GetUtcNow();
        _health = new StoreHealth(false, Describe(ex), since, failures);
        if ((failures & (failures - 1)) == 0)
        {
            // The 1st, 2nd, 4th, 8th... failure in a row: a disk full for an hour is not 1,800 errors.
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

    private static IEnumerable<object> DrainQueued(ChannelReader<object> reader)
    {
        while (reader.TryRead(out var item))
        {
            yield return item;
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

    /// <summary>The reason /healthz shows: SQLite's own message, or the exception's type and message.</summary>
    private static string Describe(Exception ex) => ex is SqliteException ? ex.Message : ex.GetType().Name + ": " + ex.Message;

    private static partial class Log
    {
        [LoggerMessage(5001, LogLevel.Error, "A batch of {Count} writes to the run store failed ({Failures} failures in a row); it is kept and retried")]
        public static partial void WriteFailed(ILogger logger, int count, int failures, Exception exception);

        [LoggerMessage(5002, LogLevel.Information, "The run store writes again after {Failures} failed commits over {Duration}")]
        public static partial void WritesAgain(ILogger logger, int failures, TimeSpan duration);

        [LoggerMessage(5003, LogLevel.Error, "A listener of the run store failed after events up to seq {Seq} were committed")]
        public static partial void ListenerFailed(ILogger logger, long seq, Exception exception);

        [LoggerMessage(5004, LogLevel.Critical, "The run store is shutting down and could not commit {Count} writes: they are lost")]
        public static partial void LostOnShutdown(ILogger logger, int count, Exception exception);

        [LoggerMessage(5005, LogLevel.Critical, "The run store's writer stopped: writes and flushes fail from now on")]
        public static partial void WriterStopped(ILogger logger, Exception exception);
    }
}
