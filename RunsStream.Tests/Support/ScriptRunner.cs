using System.Diagnostics;
using System.Text;

namespace RunsStream.Tests.Support;

/// <summary>
/// Runs a command of the checkout (scripts/publish, podman, systemd-analyze) to its end and
/// returns its exit code and output; past the deadline it is killed by its pid and the test
/// fails with what it printed.
/// </summary>
public static class ScriptRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    public static async Task<Result> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', arguments)} did not end within {timeout.TotalSeconds:0} s; stdout: {stdout}; stderr: {stderr}");
        }
        process.WaitForExit(); // the output's last lines
        return new Result(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>bash -c <paramref name="script"/> with scripts/lib/setup.sh (log, apt_install, ...) sourced, from the checkout's root.</summary>
    public static Task<Result> BashAsync(string script, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null) =>
        RunAsync("bash", ["-c", $"set -euo pipefail; source scripts/lib/setup.sh; {script}"], timeout, environment);
}
