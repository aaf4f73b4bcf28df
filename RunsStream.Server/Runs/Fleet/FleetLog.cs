using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Fleet;

/// <summary>Log messages of the fleet node, with stable event ids.</summary>
internal static partial class FleetLog
{
    [LoggerMessage(3101, LogLevel.Information, "Claimed run {RunId} (lease token {Fence})")]
    public static partial void Claimed(ILogger logger, string runId, long fence);

    [LoggerMessage(3102, LogLevel.Warning, "Lost the lease of run {RunId}: another node took it over; its process is stopped")]
    public static partial void LeaseLost(ILogger logger, string runId);

    [LoggerMessage(3103, LogLevel.Warning, "PostgreSQL is unreachable: {Reason}; trying again")]
    public static partial void DatabaseUnreachable(ILogger logger, string reason);

    [LoggerMessage(3104, LogLevel.Warning, "Mirror of run {RunId} could not read the store: {Reason}; the next check fills it")]
    public static partial void MirrorFillFailed(ILogger logger, string runId, string reason);

    [LoggerMessage(3105, LogLevel.Information, "Run {RunId} seq {Seq} ({What}) written by the fleet")]
    public static partial void Appended(ILogger logger, string runId, long seq, string what);

    [LoggerMessage(3106, LogLevel.Error, "The fleet's {Loop} loop failed; it goes on at its next round")]
    public static partial void LoopFailed(ILogger logger, string loop, Exception exception);
}
