namespace RunsStream.LoadGen.Client;

/// <summary>
/// Write-to-receive latencies in microseconds. Each receive loop appends to its own list (no
/// locking on the hot path); the scenario merges them once at the end.
/// </summary>
internal sealed class LatencyRecorder
{
    private readonly List<List<int>> _lists = new();

    public List<int> CreateList()
    {
        var list = new List<int>(4096);
        lock (_lists)
        {
            _lists.Add(list);
        }
        return list;
    }

    public LatencySummary Summarize()
    {
        int[] all;
        lock (_lists)
        {
            all = _lists.SelectMany(l => l).ToArray();
        }
        Array.Sort(all);
        if (all.Length == 0)
        {
            return new LatencySummary(0, 0, 0, 0, 0, 0);
        }
        double At(double q) => all[Math.Min(all.Length - 1, (int)Math.Ceiling(q * all.Length) - 1)] / 1000.0;
        return new LatencySummary(all.Length, all[0] / 1000.0, At(0.50), At(0.90), At(0.99), all[^1] / 1000.0);
    }
}

/// <summary>Milliseconds.</summary>
internal readonly record struct LatencySummary(long Samples, double Min, double P50, double P90, double P99, double Max);

/// <summary>The wall clock in microseconds since the Unix epoch (the writer uses the same clock).</summary>
internal static class WallClock
{
    public static long NowMicros() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}
