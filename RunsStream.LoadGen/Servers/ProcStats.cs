using System.Diagnostics;

namespace RunsStream.LoadGen.Servers;

/// <summary>
/// A process's CPU time and memory from /proc: utime + stime of /proc/PID/stat (the process
/// alone, not its children: a run's commands are not the server's cost), VmRSS and VmHWM of
/// /proc/PID/status. Writing "5" to /proc/PID/clear_refs resets VmHWM, so each scenario gets
/// its own peak; a 20 ms sampler of VmRSS backs it up where that reset is not allowed.
/// </summary>
internal sealed class ProcStats : IDisposable
{
    internal static readonly double TicksPerSecond = ReadClockTicks();
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private long _sampledPeakKb;

    public ProcStats(int pid)
    {
        _pid = pid;
        _ = SampleAsync();
    }

    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{_pid}/stat");
        // Fields after the parenthesized command name; utime and stime are fields 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond;
    }

    /// <summary>
    /// CPU seconds of a process and its live children, and of the children it has waited for
    /// (cutime + cstime): PostgreSQL's postmaster and its backends, one per connection.
    /// </summary>
    public static double TreeCpuSeconds(int root)
    {
        var total = 0.0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1]);
                if (pid == root || parent == root)
                {
                    // utime, stime, and for the root also its waited-for children's (cutime, cstime): backends that ended.
                    total += long.Parse(fields[11]) + long.Parse(fields[12]);
                    if (pid == root)
                    {
                        total += long.Parse(fields[13]) + long.Parse(fields[14]);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process ended while being read.
            }
        }
        return total / TicksPerSecond;
    }

    /// <summary>The system (kernel) part of <see cref="CpuSeconds"/>: stime alone.</summary>
    public double KernelCpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{_pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[12]) / TicksPerSecond;
    }

    public long RssBytes() => ReadStatusKb("VmRSS:") * 1024;

    /// <summary>The peak RSS since the last <see cref="ResetPeak"/>.</summary>
    public long PeakBytes() => Math.Max(ReadStatusKb("VmHWM:"), Interlocked.Read(ref _sampledPeakKb)) * 1024;

    public void ResetPeak()
    {
        try
        {
            File.WriteAllText($"/proc/{_pid}/clear_refs", "5");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // VmHWM then covers the whole process life; the sampler still gives this window.
        }
        Interlocked.Exchange(ref _sampledPeakKb, ReadStatusKb("VmRSS:"));
    }

    private long ReadStatusKb(string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_pid}/status"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(key.Length).Trim().TrimEnd("kB").Trim());
                }
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var rss = ReadStatusKb("VmRSS:");
                long seen;
                while (rss > (seen = Interlocked.Read(ref _sampledPeakKb)) && Interlocked.CompareExchange(ref _sampledPeakKb, rss, seen) != seen)
                {
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static double ReadClockTicks()
    {
        try
        {
            var output = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
            var text = output.StandardOutput.ReadToEnd();
            output.WaitForExit();
            return double.Parse(text.Trim());
        }
        catch (Exception)
        {
            return 100;
        }
    }

    public void Dispose() => _stop.Cancel();
}
