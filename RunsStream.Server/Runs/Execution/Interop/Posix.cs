using System.Runtime.InteropServices;

namespace RunsStream.Server.Runs.Execution.Interop;

/// <summary>The few libc calls .NET has no API for: who we are, users, ownership, dumpability.</summary>
internal static class Posix
{
    private const int PrSetDumpable = 4; // PR_SET_DUMPABLE, linux/prctl.h

    /// <summary>The effective user id of this process.</summary>
    public static uint EffectiveUserId => geteuid();

    /// <summary>The user's id, group id and home, or null when there is no such user.</summary>
    /// <remarks>Not thread-safe (getpwnam's static buffer): called once, at start.</remarks>
    public static (uint Uid, uint Gid)? LookUpUser(string name)
    {
        var entry = getpwnam(name);
        if (entry == IntPtr.Zero)
        {
            return null;
        }
        // struct passwd on 64-bit Linux: two pointers, then uid_t pw_uid and gid_t pw_gid.
        var offset = 2 * IntPtr.Size;
        return ((uint)Marshal.ReadInt32(entry, offset), (uint)Marshal.ReadInt32(entry, offset + 4));
    }

    /// <summary>chown(2).</summary>
    /// <exception cref="IOException">It failed.</exception>
    public static void ChangeOwner(string path, uint uid, uint gid)
    {
        if (chown(path, uid, gid) != 0)
        {
            throw new IOException($"chown {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// Makes this process not dumpable: /proc/self/environ, /proc/self/mem and the fds are then
    /// owned by root, and no process of the same user (a run) can ptrace it or read them.
    /// </summary>
    public static bool TryMakeNotDumpable() => prctl(PrSetDumpable, 0, 0, 0, 0) == 0;

    [DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr getpwnam(string name);

    [DllImport("libc", SetLastError = true)]
    private static extern int chown(string path, uint owner, uint group);

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
