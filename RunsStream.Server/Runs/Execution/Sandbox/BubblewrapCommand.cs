using System.Globalization;

namespace RunsStream.Server.Runs.Execution.Sandbox;

/// <summary>
/// The programs a sandboxed run's chain gains after the user switch: <c>prlimit</c> (CPU time,
/// file size, no core dumps) then <c>bwrap</c>, each exec'ing the next, ending before
/// <c>/bin/sh -c command</c>.
/// </summary>
/// <remarks>
/// bwrap runs as the run's user, after <c>setpriv --no-new-privs</c>, and so builds its
/// sandbox in a user namespace of its own: nothing in the chain runs with privileges once the
/// user is switched, and no setuid bwrap is needed. (As root, bwrap could skip the user
/// namespace, but then a bug in the sandbox set-up would run as root.) Inside: a tmpfs root
/// with the system directories read-only, selected /etc files, its own /proc (its own PID
/// namespace), a minimal /dev, a private /tmp, and the workspace, at its own path, as the only
/// writable place. No network (an empty network namespace), no IPC or hostname shared.
/// </remarks>
internal static class BubblewrapCommand
{
    /// <summary>System directories bound read-only, or recreated as the same symlinks (merged /usr).</summary>
    private static readonly string[] SystemDirectories = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

    /// <summary>
    /// What programs need from /etc (the dynamic loader's cache, Debian's alternatives for awk
    /// and friends, user and group names, time zone); not the rest (credentials, machine keys).
    /// </summary>
    private static readonly string[] EtcFiles =
    [
        "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/passwd", "/etc/group",
        "/etc/nsswitch.conf", "/etc/localtime", "/etc/hosts", "/etc/os-release",
    ];

    /// <summary>The <c>prlimit ... bwrap ... --</c> arguments for a run in <paramref name="workspace"/>.</summary>
    /// <param name="terminal">The run has a terminal of its own (a tty run): it stays in the terminal's session.</param>
    public static IReadOnlyList<string> Create(string prlimitPath, string bwrapPath, string workspace, SandboxLimits limits, bool terminal = false)
    {
        var args = new List<string>
        {
            prlimitPath,
            // Soft limit first: SIGXCPU names the reason; the hard one a second later is SIGKILL.
            "--cpu=" + Number(limits.CpuSeconds) + ":" + Number(limits.CpuSeconds + 1),
            "--fsize=" + Number(limits.FileBytes),
            "--core=0",
            "--",
        };
        args.AddRange(Bubblewrap(bwrapPath, workspace, newSession: !terminal));
        return args;
    }

    /// <summary>The <c>bwrap ... --</c> arguments alone (also what availability is probed with).</summary>
    /// <param name="newSession">
    /// Detach from any controlling terminal (<c>--new-session</c>): so that a sandboxed program
    /// cannot push input into a terminal it shares (TIOCSTI). A tty run's terminal is its own,
    /// made for it alone, and it must stay its controlling terminal for SIGWINCH to reach it.
    /// </param>
    public static IReadOnlyList<string> Bubblewrap(string bwrapPath, string workspace, bool newSession = true)
    {
        var args = new List<string>
        {
            bwrapPath,
            // No --die-with-parent: the kernel ties it to the thread that started the run, and
            // .NET retires thread-pool threads while runs go on (they would be killed); and
            // bwrap's outer process dies at a cancel's SIGTERM, which would SIGKILL the run
            // before its traps ran. The run's cgroup does that job instead: runs are stopped
            // at shutdown, and a crashed server's next start kills what its runs left.
            // user, ipc, pid, net, uts and cgroup namespaces: no network, own PIDs.
            "--unshare-all",
            "--cap-drop", "ALL",
            "--hostname", "sandbox",
        };
        if (newSession)
        {
            // A sandboxed program cannot push input into a terminal (TIOCSTI). Signals still
            // reach it: the run's cgroup is signalled process by process, not by group.
            args.Add("--new-session");
        }
        foreach (var directory in SystemDirectories)
        {
            var info = new DirectoryInfo(directory);
            if (info.LinkTarget is { } target)
            {
                args.AddRange(["--symlink", target, directory]);
            }
            else if (info.Exists)
            {
                args.AddRange(["--ro-bind", directory, directory]);
            }
        }
        foreach (var file in EtcFiles)
        {
            args.AddRange(["--ro-bind-try", file, file]);
        }
        args.AddRange(
        [
            "--proc", "/proc",
            "--dev", "/dev",
            "--tmpfs", "/tmp",
            // After /tmp, so a workspace below /tmp is bound on top of the private one.
            "--bind", workspace, workspace,
            "--chdir", workspace,
            "--",
        ]);
        return args;
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
