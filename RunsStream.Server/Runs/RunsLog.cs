using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs;

/// <summary>Log messages of the runs domain, with stable event ids.</summary>
internal static partial class RunsLog
{
    [LoggerMessage(3001, LogLevel.Error, "Replay of run {RunId} to socket {SocketId} failed")]
    public static partial void PumpFailed(ILogger logger, string runId, string socketId, Exception exception);

    [LoggerMessage(3002, LogLevel.Information, "Run {RunId} started by the {Executor} executor")]
    public static partial void RunStarted(ILogger logger, string runId, string executor);

    [LoggerMessage(3003, LogLevel.Information, "Run {RunId} ended {Status} (exit code {ExitCode})")]
    public static partial void RunEnded(ILogger logger, string runId, string status, int? exitCode);

    [LoggerMessage(3004, LogLevel.Warning, "Run {RunId} could not start: {Reason}")]
    public static partial void RunStartFailed(ILogger logger, string runId, string reason);

    [LoggerMessage(3005, LogLevel.Information, "Run {RunId} cancel requested")]
    public static partial void CancelRequested(ILogger logger, string runId);

    [LoggerMessage(3007, LogLevel.Warning, "Run {RunId} was left unfinished by an earlier process; it is now failed (server restarted)")]
    public static partial void RunRecovered(ILogger logger, string runId);

    [LoggerMessage(3008, LogLevel.Information, "Retention deleted {Count} runs created before {Cutoff}")]
    public static partial void RetentionDeleted(ILogger logger, int count, DateTimeOffset cutoff);

    [LoggerMessage(3009, LogLevel.Information, "Run {RunId} stage {Index} ({Stage}) ended {Status} (exit code {ExitCode})")]
    public static partial void StageEnded(ILogger logger, string runId, int index, string stage, string status, int? exitCode);

    [LoggerMessage(3010, LogLevel.Debug, "Subscriber {SocketId} of run {RunId} fell behind live delivery with {BufferedBytes} bytes buffered: it catches up from the log")]
    public static partial void FellBehind(ILogger logger, string runId, string socketId, long bufferedBytes);

    [LoggerMessage(3011, LogLevel.Warning, "Catch-up of run {RunId} for socket {SocketId} waits for the store: {Reason}")]
    public static partial void CatchUpWaitsForStore(ILogger logger, string runId, string socketId, string reason);

    [LoggerMessage(3006, LogLevel.Error, "Run {RunId} failed inside the server")]
    public static partial void RunCrashed(ILogger logger, string runId, Exception exception);
}
