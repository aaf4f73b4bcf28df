using System.Diagnostics;

namespace RunsStream.Server.Runs.Execution;

/// <summary>Builds the <see cref="ProcessStartInfo"/> for a run.</summary>
internal static class RunProcessStartInfo
{
    /// <summary>The server's own credential: a run's command must never see it.</summary>
    public const string AuthTokenVariable = "WS_AUTH_TOKEN";

    // setsid(1) makes the shell a session and process-group leader (pgid == pid), so one
    // kill(-pgid) reaches every process of the run and none of the server's. It does not fork
    // here because a child freshly started by .NET is never a group leader already.
    private const string SetsidPath = "setsid";
    private const string ShellPath = "/bin/sh";

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
        startInfo.ArgumentList.Add(ShellPath);
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(request.Command);

        // Environment starts as a copy of the server's environment.
        startInfo.Environment.Remove(AuthTokenVariable);
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
