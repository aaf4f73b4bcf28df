using RunsStream.LoadGen.Reporting;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Short scenarios are repeated on the same (warm) server and summarized: the median time,
/// the mean CPU per repetition, the highest peak RSS and its growth over that repetition's start.
/// </summary>
internal static class Repetitions
{
    public static Measurement Summarize(Measurement m, IReadOnlyList<Repetition> reps)
    {
        m.WallSeconds = Median(reps.Select(r => r.Seconds));
        m.ServerCpuSeconds = reps.Average(r => r.ServerCpu);
        m.ClientCpuSeconds = reps.Average(r => r.ClientCpu);
        m.RssStartMB = reps[0].RssStartMB;
        m.PeakRssMB = reps.Max(r => r.PeakRssMB);
        m.Complete = reps.Select(r => r.Complete).FirstOrDefault(c => c != "ok") ?? "ok";
        m.Repetitions = reps.ToList();
        return m;
    }

    /// <summary>The largest peak-RSS growth of any repetition over its own start.</summary>
    public static double MaxGrowthMB(IReadOnlyList<Repetition> reps) => reps.Max(r => r.PeakRssMB - r.RssStartMB);

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
