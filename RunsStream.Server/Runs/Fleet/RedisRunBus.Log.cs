using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Fleet;

internal sealed partial class RedisRunBus
{
    private static partial class Log
    {
        [LoggerMessage(6101, LogLevel.Warning, "Redis connection to {EndPoint} lost ({FailureType}); publishes are dropped (the store has them) until it is back")]
        public static partial void ConnectionLost(ILogger logger, string endPoint, string failureType, Exception? exception);

        [LoggerMessage(6102, LogLevel.Information, "Redis connection restored and subscriptions live again; mirrors re-read from the store")]
        public static partial void ConnectionRestored(ILogger logger);

        [LoggerMessage(6103, LogLevel.Warning, "Publishing on {Channel} failed; dropped (the store has it)")]
        public static partial void PublishFailed(ILogger logger, string channel, Exception exception);

        [LoggerMessage(6104, LogLevel.Warning, "A message on {Channel} is malformed and was ignored")]
        public static partial void MalformedMessage(ILogger logger, string channel, Exception exception);

        [LoggerMessage(6105, LogLevel.Error, "A handler of {Channel} failed; the channel's later messages are still delivered")]
        public static partial void HandlerFailed(ILogger logger, string channel, Exception exception);
    }
}
