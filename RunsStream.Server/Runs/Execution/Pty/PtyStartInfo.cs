using System.Diagnostics;

namespace RunsStream.Server.Runs.Execution.Pty;

/// <summary>Builds the <see cref="ProcessStartInfo"/> of a run whose programs see a terminal.</summary>
/// <remarks>
/// <para>
/// It is the ordinary run's exec chain (<see cref="RunProcessStartInfo"/>: setsid, cgroup join,
/// setpriv, <c>/bin/sh -c</c>) behind one more step that comes first: a tiny shell opens the
/// terminal's slave by path on fds 0, 1 and 2 and execs <c>setsid --ctty</c>, which after
/// setsid() makes the terminal on fd 0 the new session's controlling terminal. Every step is
/// an exec in the same pid, so the process .NET started is still the session and group
/// leader, and <see cref="Process"/> still reaps it and reports its exit code.
/// </para>
/// <para>
/// Why not posix_spawn with file actions: it would need our own waitpid and exit-code
/// handling next to .NET's SIGCHLD reaping. Why not hand the child an inherited slave fd: it
/// would have to be opened without close-on-exec, and every other run started meanwhile would
/// inherit it and hold our terminal open, so its end would never be seen. Why not fork in
/// managed code: the child of a fork in a multi-threaded .NET process must not run managed
/// code. Opening by path runs only sh, and the slave exists while the server holds the master.
/// </para>
/// <para>
/// The three standard streams are still redirected to pipes by .NET (and dropped by the
/// server at once): otherwise .NET treats the child as using the server's own terminal and
/// changes that terminal's settings while it runs.
/// </para>
/// </remarks>
internal static class PtyStartInfo
{
    /// <summary>What programs learn the terminal understands (colours, cursor movement).</summary>
    public const string TerminalType = "xterm-256color";

    private const string ShellPath = "/bin/sh";
    private const string SetsidPath = "setsid";

    // $1 is the slave's path; the rest is the chain to exec with it as stdin, stdout and stderr.
    private const string OpenTerminalScript = "t=$1; shift; exec \"$@\" 0<>\"$t\" 1>&0 2>&0";

    // Variables that would override the terminal's own size for programs that read them first.
    private static readonly string[] SizeVariables = ["COLUMNS", "LINES"];

    public static ProcessStartInfo Create(ProcessStartRequest request, string slavePath)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(slavePath);

        var startInfo = RunProcessStartInfo.Create(request);
        if (startInfo.FileName != SetsidPath)
        {
            // The terminal must be made controlling right at setsid; a changed chain needs a look here.
            throw new InvalidOperationException($"The run's exec chain starts with '{startInfo.FileName}', not setsid.");
        }
        var chain = startInfo.ArgumentList.ToArray();
        startInfo.FileName = ShellPath;
        var args = startInfo.ArgumentList;
        args.Clear();
        args.Add("-c");
        args.Add(OpenTerminalScript);
        args.Add("runsstream-open-tty"); // $0
        args.Add(slavePath);
        args.Add(SetsidPath);
        args.Add("--ctty");
        foreach (var arg in chain)
        {
            args.Add(arg);
        }

        var extra = request.ExtraEnvironment;
        foreach (var name in SizeVariables)
        {
            if (extra is null || !extra.ContainsKey(name))
            {
                startInfo.Environment.Remove(name);
            }
        }
        if (extra is null || !extra.ContainsKey("TERM"))
        {
            startInfo.Environment["TERM"] = TerminalType;
        }
        return startInfo;
    }
}
