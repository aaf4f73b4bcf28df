using RunsStream.Server.Runs.Execution.Interop;

namespace RunsStream.Server.Security;

/// <summary>What the server does to itself at start so that the runs it executes cannot read it.</summary>
internal static class ProcessHardening
{
    /// <summary>
    /// Not dumpable: /proc/&lt;server&gt;/environ, mem, fd and maps become root's, and no process
    /// of the server's user can ptrace it. This matters where runs execute as the server's own
    /// user (a server that is not root); for a root server they already are another user.
    /// </summary>
    /// <returns>False where the kernel refused.</returns>
    public static bool Apply() => Posix.TryMakeNotDumpable();
}
