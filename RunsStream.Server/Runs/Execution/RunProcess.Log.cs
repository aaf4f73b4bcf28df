using Microsoft.Extensions.Logging;

namespace RunsStream.Server.Runs.Execution;

internal sealed partial class RunProcess
{
    // Event ids 4701-4799: Runs/Execution.
    internal static partial class Log
    {
        [LoggerMessage(4701, LogLevel.Debug, "Run process {ProcessId} started in {WorkingDirectory}")]
        public static partial void Started(ILogger logger, int processId, string workingDirectory);

        [LoggerMessage(4702, LogLevel.Warning, "Run process could not be started in {WorkingDirectory}")]
        public static partial void StartFailed(ILogger logger, Exception? exception, string workingDirectory);

        [LoggerMessage(4703, LogLevel.Information, "Sending SIGTERM to process group {ProcessGroup}; SIGKILL in {GraceMilliseconds} ms")]
        public static partial void Terminating(ILogger logger, int processGroup, long graceMilliseconds);

        [LoggerMessage(4704, LogLevel.Warning, "Process group {ProcessGroup} outlived its grace period; sending SIGKILL")]
        public static partial void GraceExpired(ILogger logger, int processGroup);

        [LoggerMessage(4705, LogLevel.Information, "Sending SIGKILL to process group {ProcessGroup}")]
        public static partial void Killing(ILogger logger, int processGroup);

        [LoggerMessage(4706, LogLevel.Warning, "Shell {ProcessId} exited but a leftover process keeps its output pipes open; killing its group")]
        public static partial void PipesHeldOpen(ILogger logger, int processId);

        [LoggerMessage(4707, LogLevel.Warning, "Output pipes of run process {ProcessId} are still open after SIGKILL (a process left the group); no longer reading them")]
        public static partial void PipesAbandoned(ILogger logger, int processId);

        [LoggerMessage(4708, LogLevel.Debug, "Process group {ProcessGroup} outlived its shell with its output closed; sending SIGKILL")]
        public static partial void KillingStragglers(ILogger logger, int processGroup);

        [LoggerMessage(4709, LogLevel.Debug, "Run process {ProcessId} exited with code {ExitCode} ({StdoutBytes} bytes stdout, {StderrBytes} bytes stderr)")]
        public static partial void Exited(ILogger logger, int processId, int exitCode, long stdoutBytes, long stderrBytes);

        [LoggerMessage(4710, LogLevel.Warning, "Reading {Stream} of run process {ProcessId} failed")]
        public static partial void OutputReadFailed(ILogger logger, Exception exception, OutputStream stream, int processId);

        [LoggerMessage(4712, LogLevel.Error, "Processes of run process {ProcessId} are still in its cgroup {Path} after SIGKILL")]
        public static partial void CgroupNotEmptied(ILogger logger, int processId, string path);

        [LoggerMessage(4711, LogLevel.Error, "The output sink of run process {ProcessId} threw; further output is still delivered")]
        public static partial void SinkFailed(ILogger logger, Exception exception, int processId);
    }
}
