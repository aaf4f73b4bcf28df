namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// How big a fan-out case must be for its CPU figures to mean something. A server's CPU is read
/// from /proc in clock ticks (10 ms) and moves by tens of milliseconds with whatever else the
/// shared machine does, so a case is trusted only when each server spent at least
/// <see cref="BenchConfig.MinServerCpuSeconds"/> on it. A case under that after its first
/// repetition is grown by a power of two, the same for both servers so that the ratio stays
/// fair, up to <see cref="BenchConfig.MaxRunBytes"/>; one still under it is marked too short.
/// </summary>
internal static class FanOutSizing
{
    /// <summary>Aim this far above the least, so that a quicker repetition does not fall under it.</summary>
    public const double Margin = 1.25;

    /// <summary>
    /// The bytes per run for the next attempt: <paramref name="bytes"/> when the lowest server CPU
    /// of the first repetition (<paramref name="lowestCpuSeconds"/>) is enough, else grown by the
    /// power of two that should lift it to the least with <see cref="Margin"/>, capped at
    /// <paramref name="maxBytes"/>.
    /// </summary>
    public static long Grow(long bytes, double lowestCpuSeconds, double minCpuSeconds, long maxBytes)
    {
        if (minCpuSeconds <= 0 || lowestCpuSeconds >= minCpuSeconds || bytes >= maxBytes)
        {
            return bytes;
        }
        // CPU grows with the bytes delivered; a reading of 0 (under one clock tick) counts as one tick.
        var wanted = minCpuSeconds * Margin / Math.Max(lowestCpuSeconds, 0.01);
        var factor = 1L << (int)Math.Min(20, Math.Ceiling(Math.Log2(wanted)));
        return Math.Min(maxBytes, bytes * factor);
    }

    /// <summary>Null when every repetition's server CPU reached the least; else what the table says instead of a verdict.</summary>
    public static string? TooShort(IEnumerable<double> serverCpuSeconds, double minCpuSeconds)
    {
        var lowest = serverCpuSeconds.DefaultIfEmpty(0).Min();
        return minCpuSeconds > 0 && lowest < minCpuSeconds
            ? $"too short: {Reporting.Format.Number(lowest)} s of server CPU in a repetition, under {Reporting.Format.Number(minCpuSeconds)} s"
            : null;
    }
}
