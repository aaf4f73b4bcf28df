using System.Runtime.InteropServices;

namespace RunsStream.Server.Runs.Execution;

/// <summary>
/// kill(2) for process groups. .NET has no API to signal a process group (Process.Kill only
/// sends SIGKILL to one process or walks a tree that a double-forked child has already left),
/// and a run is defined as everything in the group its shell leads.
/// </summary>
internal static class ProcessGroup
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    // errno values from Linux asm-generic/errno-base.h.
    private const int ESRCH = 3;

    /// <summary>Sends <paramref name="signal"/> to every process in group <paramref name="pgid"/>.</summary>
    /// <returns>False when no process of the group exists any more.</returns>
    public static bool TrySignalGroup(int pgid, int signal) => Send(-CheckId(pgid), signal);

    /// <summary>Sends <paramref name="signal"/> to the single process <paramref name="pid"/>.</summary>
    /// <returns>False when the process does not exist.</returns>
    public static bool TrySignalProcess(int pid, int signal) => Send(CheckId(pid), signal);

    /// <summary>
    /// True while any process of the group exists, zombies included (they are dead but not yet
    /// reaped, which is the parent's or init's business).
    /// </summary>
    public static bool IsGroupAlive(int pgid) => Send(-CheckId(pgid), 0);

    private static bool Send(int target, int signal)
    {
        if (kill(target, signal) == 0)
        {
            return true;
        }
        // EPERM means the target exists but belongs to someone else: still alive.
        return Marshal.GetLastPInvokeError() != ESRCH;
    }

    // kill(0, …) signals our own group and kill(-1, …) every process we may signal: a pid of
    // 0 or 1 here is a bug that would take the server (or the machine) down, so refuse it.
    private static int CheckId(int id)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(id, 1);
        return id;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
