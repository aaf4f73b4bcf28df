namespace RunsStream.Server.Runs.Execution;

/// <summary>What to run: <c>/bin/sh -c <paramref name="Command"/></c> in its own process group.</summary>
/// <param name="Command">The shell command line, passed verbatim to <c>/bin/sh -c</c>.</param>
/// <param name="WorkingDirectory">Must already exist; the caller creates it.</param>
/// <param name="ExtraEnvironment">
/// Applied on top of the server's environment (minus its credentials); a null value removes
/// the variable.
/// </param>
/// <param name="User">The account to run as (HOME is then the working directory); null for the server's own.</param>
/// <param name="Cgroup">An empty cgroup the process joins before the command starts; null for none.</param>
/// <param name="Wrapper">Commands that exec the rest of the chain (a sandbox); null for none.</param>
/// <param name="Tty">A terminal of this size for stdin, stdout and stderr (<see cref="Pty.PtyProcess"/>); null for pipes.</param>
internal sealed record ProcessStartRequest(
    string Command,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string?>? ExtraEnvironment = null,
    RunUser? User = null,
    RunCgroup? Cgroup = null,
    ProcessWrapper? Wrapper = null,
    Pty.PtySize? Tty = null);

/// <summary>
/// Argument prefixes put into the exec chain around the user switch; each ends in a program
/// that execs the arguments after it, so the pid (and the process group) stays the run's.
/// </summary>
/// <param name="AsServerUser">Before the user switch, still with the server's rights (joining more cgroups).</param>
/// <param name="AsRunUser">After the user switch, just before <c>/bin/sh -c</c> (limits, bwrap).</param>
internal sealed record ProcessWrapper(IReadOnlyList<string> AsServerUser, IReadOnlyList<string> AsRunUser);
