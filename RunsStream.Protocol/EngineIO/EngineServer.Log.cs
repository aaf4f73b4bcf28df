using Microsoft.Extensions.Logging;

namespace RunsStream.Protocol.EngineIO;

public sealed partial class EngineServer
{
    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Debug, "Engine.IO session {SessionId} opened over {Transport}")]
        public static partial void SessionOpened(ILogger logger, string sessionId, string transport);

        [LoggerMessage(1002, LogLevel.Debug, "Engine.IO session {SessionId} closed")]
        public static partial void SessionClosed(ILogger logger, string sessionId);

        [LoggerMessage(1003, LogLevel.Debug, "Engine.IO request {Method} {Query} refused with code {Code}")]
        public static partial void RequestRefused(ILogger logger, string method, string query, int code);
    }
}
