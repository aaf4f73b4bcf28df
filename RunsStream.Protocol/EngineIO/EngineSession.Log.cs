using Microsoft.Extensions.Logging;

namespace RunsStream.Protocol.EngineIO;

public sealed partial class EngineSession
{
    private static partial class Log
    {
        [LoggerMessage(1101, LogLevel.Debug, "Engine.IO session {SessionId} closing: {Reason}")]
        public static partial void SessionClosing(ILogger logger, string sessionId, string reason);

        [LoggerMessage(1102, LogLevel.Warning, "Engine.IO session {SessionId} disconnected as a slow consumer: {BufferedBytes} bytes buffered, limit {MaxBufferedBytes}")]
        public static partial void SlowConsumer(ILogger logger, string sessionId, long bufferedBytes, long maxBufferedBytes);

        [LoggerMessage(1103, LogLevel.Error, "The handler of Engine.IO session {SessionId} failed")]
        public static partial void HandlerFailed(ILogger logger, string sessionId, Exception exception);

        [LoggerMessage(1104, LogLevel.Debug, "Engine.IO session {SessionId} upgraded to websocket")]
        public static partial void Upgraded(ILogger logger, string sessionId);

        [LoggerMessage(1105, LogLevel.Debug, "Engine.IO session {SessionId} sent a malformed payload ({Reason}); closing")]
        public static partial void MalformedPayload(ILogger logger, string sessionId, string reason);
    }
}
