using System.Text;
using RunsStream.LoadGen.Reporting;

namespace RunsStream.LoadGen.Fleet;

/// <summary>
/// The fleet bench's Markdown: one table, every figure of every part as the median of the
/// repetitions with its range (lowest-highest), and issue 14's two targets judged on the medians.
/// </summary>
internal static class FleetReport
{
    /// <summary>Issue 14's targets: the figure, the most it may be, and how the table says it.</summary>
    private static readonly (string Figure, double Max, string Text)[] Targets =
    [
        ("remote / local", 1.3, "<= 1.3"),
        ("C p99 / single node p99", 2.0, "<= 2"),
    ];

    public static string Markdown(IReadOnlyList<Measurement> measurements, BenchConfig config, DateTimeOffset started)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"### RunsStream fleet (issue 14): {started:yyyy-MM-dd HH:mm} UTC ({config.Mode}, {config.Repeats} repetition{(config.Repeats == 1 ? "" : "s")})");
        sb.AppendLine();
        sb.AppendLine($"Machine: {Environment.ProcessorCount} cores. Load average (1 min) before the run: {ResultsReport.LoadAverageAtStart}. Measured: {ResultsReport.SourceVersion}. " +
                      "Every node, redis-server, PostgreSQL 15, the runs' commands and the load generator share these cores: " +
                      "a 3-node figure is 3 nodes on 2 cores, not 3 machines. Each repetition starts fresh nodes on an emptied database.");
        sb.AppendLine();
        var rows = new List<string[]> { new[] { "part", "variant", "figure", "median", "range", "target", "met" } };
        foreach (var m in measurements)
        {
            foreach (var (name, value) in m.Figures)
            {
                if (name == Scenarios.Repetitions.PeakRss)
                {
                    continue; // the fleet parts do not read RSS
                }
                var figure = name == Scenarios.Repetitions.ServerCpu ? "all nodes' CPU over the part (s)" : name;
                var range = m.Ranges.TryGetValue(name, out var spread) ? spread.Text : "";
                var target = Targets.FirstOrDefault(t => t.Figure == figure);
                var met = target.Figure is null ? "" : m.Complete != "ok" ? "not judged" : value <= target.Max ? "met" : "MISSED";
                rows.Add([m.Scenario, m.Variant, figure, Format.Number(value), range, target.Text ?? "", met]);
            }
            rows.Add([m.Scenario, m.Variant, "complete", m.Complete == "ok" ? "ok" : Short(m.Complete), "", "all data, seqs, status", m.Complete == "ok" ? "yes" : "NO"]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        for (var i = 0; i < rows.Count; i++)
        {
            sb.AppendLine("| " + string.Join(" | ", rows[i].Select((cell, c) => cell.PadRight(widths[c]))) + " |");
            if (i == 0)
            {
                sb.AppendLine("| " + string.Join(" | ", widths.Select(w => new string('-', w))) + " |");
            }
        }
        sb.AppendLine();
        sb.AppendLine("CPU figures are utime + stime of /proc/PID/stat: the nodes' own, not the commands they run; " +
                      "\"Redis + PostgreSQL\" is redis-server plus the postmaster and its backends. How each part is defined: bench/README.md, \"Fleet\".");
        return sb.ToString();
    }

    private static string Short(string text) => text.Length <= 120 ? text : text[..117] + "...";
}
