using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Storage;

/// <summary>
/// The writer's logs, shared by the stores: {Store} names the database ("SQLite",
/// "PostgreSQL"); the logger's category is the store's.
/// </summary>
internal abstract partial class GroupCommitWriter
{
    private static partial class Log
    {
        [LoggerMessage(5001, LogLevel.Error, "A batch of {Count} writes to {Store} failed ({Failures} failures in a row); it is kept and retried")]
        public static partial void WriteFailed(ILogger logger, int count, string store, int failures, Exception exception);

        [LoggerMessage(5002, LogLevel.Information, "{Store} takes writes again after {Failures} failed commits over {Duration}")]
        public static partial void WritesAgain(ILogger logger, string store, int failures, TimeSpan duration);

        [LoggerMessage(5003, LogLevel.Error, "A listener of the run store failed after events up to seq {Seq} were committed")]
        public static partial void ListenerFailed(ILogger logger, long seq, Exception exception);

        [LoggerMessage(5004, LogLevel.Critical, "The run store is shutting down and could not commit {Count} writes to {Store}: they are lost")]
        public static partial void LostOnShutdown(ILogger logger, int count, string store, Exception exception);

        [LoggerMessage(5005, LogLevel.Critical, "The {Store} run store's writer stopped: writes and flushes fail from now on")]
        public static partial void WriterStopped(ILogger logger, string store, Exception exception);
    }
}
