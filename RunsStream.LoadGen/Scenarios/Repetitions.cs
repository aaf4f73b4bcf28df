using RunsStream.LoadGen.Reporting;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// A scenario is repeated as a whole, each repetition on a fresh server, alternating the
/// servers (ours, Node, ours, Node, ...) so that a slow minute of the shared machine falls on
/// both. Each server's repetitions become one measurement: every figure is the median, its
/// range (lowest-highest) kept beside it; the server's CPU, peak RSS and wall time too.
/// </summary>
internal static class Repetitions
{
    /// <summary>The figures every scenario has, added to each repetition's own so that they get a median and a range too.</summary>
    public const string ServerCpu = "server CPU (s)";
    public const string PeakRss = "peak RSS (MB)";

    public static Measurement Combine(IReadOnlyList<Measurement> reps)
    {
        if (reps.Count == 0)
        {
            throw new ArgumentException("no repetition to combine", nameof(reps));
        }
        var first = reps[0];
        var m = new Measurement(first.Scenario, first.Variant, first.Server)
        {
            RssStartMB = Median(reps.Select(r => r.RssStartMB)),
            PeakRssMB = Median(reps.Select(r => r.PeakRssMB)),
            ServerCpuSeconds = Median(reps.Select(r => r.ServerCpuSeconds)),
            ClientCpuSeconds = Median(reps.Select(r => r.ClientCpuSeconds)),
            WallSeconds = Median(reps.Select(r => r.WallSeconds)),
            Complete = reps.Select(r => r.Complete).FirstOrDefault(c => c != "ok") ?? "ok",
            TooShort = reps.Select(r => r.TooShort).FirstOrDefault(t => t is not null),
            Repetitions = reps.ToList(),
        };
        // A figure missing from a repetition (a failed one) is left out of its median, not taken as 0.
        var names = reps.SelectMany(r => r.Figures.Keys).Distinct().ToList();
        foreach (var name in names)
        {
            var values = reps.Where(r => r.Figures.ContainsKey(name)).Select(r => r.Figures[name]).ToList();
            m.Figures[name] = Median(values);
            m.Ranges[name] = Spread.Of(values);
        }
        m.Figures[ServerCpu] = m.ServerCpuSeconds;
        m.Ranges[ServerCpu] = Spread.Of(reps.Select(r => r.ServerCpuSeconds));
        m.Figures[PeakRss] = m.PeakRssMB;
        m.Ranges[PeakRss] = Spread.Of(reps.Select(r => r.PeakRssMB));
        return m;
    }

    /// <summary>
    /// The range of ours/Node over repetitions run side by side (ours' i-th against Node's i-th):
    /// how far one run's ratio strays from the ratio of the medians.
    /// </summary>
    public static Spread? PairedRatios(Measurement? ours, Measurement? node, string figure)
    {
        if (ours is null || node is null)
        {
            return null;
        }
        var ratios = ours.Repetitions.Zip(node.Repetitions)
            .Select(p => (o: Value(p.First, figure), n: Value(p.Second, figure)))
            .Where(p => p.o is not null && p.n is { } n && n != 0)
            .Select(p => p.o!.Value / p.n!.Value)
            .ToList();
        return ratios.Count > 1 ? Spread.Of(ratios) : null;
    }

    /// <summary>One repetition's value of a figure, the common ones included; null when it has none.</summary>
    public static double? Value(Measurement rep, string figure) => figure switch
    {
        ServerCpu => rep.ServerCpuSeconds,
        PeakRss => rep.PeakRssMB,
        _ => rep.Figures.TryGetValue(figure, out var v) ? v : null,
    };

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
