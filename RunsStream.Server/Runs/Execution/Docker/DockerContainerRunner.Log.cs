using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution.Docker;

// Event ids 4850-4869: Runs/Execution/Docker.
internal sealed partial class DockerContainerRunner
{
    internal static partial class Log
    {
        [LoggerMessage(4850, LogLevel.Debug, "Container {ContainerId} of run {RunId} started from image {Image}")]
        public static partial void Started(ILogger logger, string containerId, string runId, string image);

        [LoggerMessage(4851, LogLevel.Warning, "Leftover container {ContainerId} of run {RunId} ({State}) removed")]
        public static partial void LeftoverRemoved(ILogger logger, string containerId, string runId, string state);

        [LoggerMessage(4852, LogLevel.Error, "Leftover container {ContainerId} of run {RunId} could not be removed")]
        public static partial void LeftoverNotRemoved(ILogger logger, Exception exception, string containerId, string runId);

        [LoggerMessage(4853, LogLevel.Warning, "Container {ContainerId} could not be removed; the next start removes it")]
        public static partial void RemoveFailed(ILogger logger, Exception exception, string containerId);
    }
}

internal sealed partial class DockerContainerRun
{
    private static partial class Log
    {
        [LoggerMessage(4860, LogLevel.Information, "Stopping container {ContainerId}: SIGTERM, SIGKILL after {GraceSeconds} s")]
        public static partial void Stopping(ILogger logger, string containerId, uint graceSeconds);

        [LoggerMessage(4861, LogLevel.Warning, "The engine did not stop container {ContainerId}; sending SIGKILL")]
        public static partial void StopFailed(ILogger logger, Exception exception, string containerId);

        [LoggerMessage(4862, LogLevel.Debug, "SIGKILL to container {ContainerId} not delivered (it has ended)")]
        public static partial void KillFailed(ILogger logger, Exception exception, string containerId);

        [LoggerMessage(4863, LogLevel.Debug, "Container {ContainerId} exited with code {ExitCode} (OOM killed: {OomKilled}, stopped: {Stopped})")]
        public static partial void Exited(ILogger logger, string containerId, int exitCode, bool oomKilled, bool stopped);

        [LoggerMessage(4864, LogLevel.Error, "Lost track of container {ContainerId} (the engine stopped answering)")]
        public static partial void WatchFailed(ILogger logger, Exception exception, string containerId);

        [LoggerMessage(4865, LogLevel.Warning, "Container {ContainerId} could not be removed; the next start removes it")]
        public static partial void RemoveFailed(ILogger logger, Exception exception, string containerId);
    }
}
