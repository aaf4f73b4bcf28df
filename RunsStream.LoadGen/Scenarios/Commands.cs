using System.Diagnostics;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// The shell commands the runs execute, and the gate that holds a run's output back until every
/// subscriber is connected: the command first reads a FIFO, which returns once the load
/// generator has opened and closed it.
/// </summary>
internal static class Commands
{
    /// <summary>Writes <paramref name="bytes"/> bytes of 'a' as fast as the pipe takes them.</summary>
    public static string FastWriter(long bytes) => $"head -c {bytes} /dev/zero | tr '\\0' 'a'";

    /// <summary>
    /// Prints <paramref name="perSecond"/> lines a second for <paramref name="seconds"/> s, each
    /// the wall-clock time of its write in microseconds ("1764061234567.123", ms with 3
    /// decimals), paced against absolute time so that the rate does not drift.
    /// </summary>
    public static string TimestampWriter(int perSecond, int seconds)
    {
        var script =
            $"const n={perSecond * seconds},dt={1000.0 / perSecond},{{performance}}=require('perf_hooks');" +
            "const now=()=>performance.timeOrigin+performance.now();const t0=now();let i=0;" +
            "function tick(){process.stdout.write(now().toFixed(3)+'\\n');i++;if(i<n)setTimeout(tick,Math.max(0,t0+i*dt-now()));}tick();";
        return "node -e \"" + script + "\"";
    }

    public static string Gated(Gate gate, string command) => $"cat '{gate.Path}' >/dev/null; {command}";

    public const string Idle = "sleep 300";
}

/// <summary>A FIFO that a gated command waits on.</summary>
internal sealed class Gate
{
    private Gate(string path) => Path = path;

    public string Path { get; }

    public static Gate Create(string workDir)
    {
        var path = System.IO.Path.Combine(workDir, "gate-" + Guid.NewGuid().ToString("N")[..12]);
        using var mkfifo = Process.Start("mkfifo", path);
        mkfifo.WaitForExit();
        if (mkfifo.ExitCode != 0)
        {
            throw new InvalidOperationException("mkfifo failed");
        }
        return new Gate(path);
    }

    /// <summary>Lets the command go on: opening the FIFO for writing blocks until it reads, closing it ends its read.</summary>
    public async Task OpenAsync()
    {
        await Task.Run(() =>
        {
            using var fifo = new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
        }).WaitAsync(TimeSpan.FromSeconds(30));
        File.Delete(Path);
    }
}
