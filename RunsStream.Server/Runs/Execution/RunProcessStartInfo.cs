using System.Diagnostics;
using System.Globalization;

namespace RunsStream.Server.Runs.Execution;

/// <summary>Builds the <see cref="ProcessStartInfo"/> for a run.</summary>
/// <remarks>
/// The process .NET starts becomes, by a chain of execs that keep its pid:
/// <c>setsid</c> (its own session and process group, pgid == pid), then a tiny shell that writes
/// its pid into the run's cgroup (so everything it ever forks is born there), then
/// <c>setpriv</c> (the run's user, no new privileges), then <c>/bin/sh -c command</c>. Each
/// step is left out when it does not apply. A <see cref="ProcessWrapper"/> (the sandbox) adds
/// its own steps on either side of <c>setpriv</c>.
/// </remarks>
internal static class RunProcessStartInfo
{
    /// <summary>The server's own credential: a run's command must never see it.</summary>
    public const string AuthTokenVariable = "WS_AUTH_TOKEN";

    /// <summary>Where the credential may be read from; not a run's business either.</summary>
    public const string AuthTokenFileVariable = "WS_AUTH_TOKEN_FILE";

    // setsid(1) makes the shell a session and process-group leader (pgid == pid), so one
    // kill(-pgid) reaches every process of the run and none of the server's. It does not fork
    // here because a child freshly started by .NET is never a group leader already.
    private const string SetsidPath = "setsid";
    private const string ShellPath = "/bin/sh";
    private const string SetprivPath = "setpriv";

    // $1 is the cgroup's cgroup.procs; the rest is the command to exec. 125: could not contain it.
    private const string JoinCgroupScript = "echo $$ > \"$1\" || exit 125; shift; exec \"$@\"";

    public static ProcessStartInfo Create(ProcessStartRequest request)
    {
        var startInfo = new ProcessStartInfo(SetsidPath)
        {
            WorkingDirectory = request.WorkingDirectory,
            UseShellExecute = false,
            // Redirected (and closed right after start) so a command reading stdin gets EOF
            // instead of sharing the server's stdin.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var args = startInfo.ArgumentList;
        if (request.Cgroup is { } cgroup)
        {
            args.Add(ShellPath);
            args.Add("-c");
            args.Add(JoinCgroupScript);
            args.Add("runsstream-join-cgroup"); // $0
            args.Add(cgroup.ProcsPath);
        }
        if (request.Wrapper is { } outer)
        {
            foreach (var arg in outer.AsServerUser)
            {
                args.Add(arg);
            }
        }
        if (request.User is { } user)
        {
            args.Add(SetprivPath);
            args.Add("--reuid=" + user.Uid.ToString(CultureInfo.InvariantCulture));
            args.Add("--regid=" + user.Gid.ToString(CultureInfo.InvariantCulture));
            args.Add("--init-groups");
            args.Add("--no-new-privs");
            args.Add("--");
        }
        if (request.Wrapper is { } inner)
        {
            foreach (var arg in inner.AsRunUser)
            {
                args.Add(arg);
            }
        }
        args.Add(ShellPath);
        args.Add("-c");
        args.Add(request.Command);

        // Environment starts as a copy of the server's environment.
        startInfo.Environment.Remove(AuthTokenVariable);
        startInfo.Environment.Remove(AuthTokenFileVariable);
        if (request.User is { } runUser)
        {
            startInfo.Environment["HOME"] = request.WorkingDirectory;
            startInfo.Environment["USER"] = runUser.Name;
            startInfo.Environment["LOGNAME"] = runUser.Name;
        }
        if (request.ExtraEnvironment is { } extra)
        {
            foreach ((string name, string? value) in extra)
            {
                if (value is null)
                {
                    startInfo.Environment.Remove(name);
                }
                else
                {
                    startInfo.Environment[name] = value;
                }
            }
        }
        return startInfo;
    }
}
