using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using RunsStream.LoadGen.Scenarios;

namespace RunsStream.LoadGen.Reporting;

/// <summary>
/// One line of the results table: each server's median and range, the ratio of the medians and
/// the range of the ratios of repetitions run side by side, the target and its verdict.
/// </summary>
internal sealed record TableRow(
    string Scenario, string Variant, string Figure, double? Ours, double? Node, double? Ratio,
    string Target, string Verdict, string OursText = "", string NodeText = "",
    Spread? OursRange = null, Spread? NodeRange = null, Spread? RatioRange = null);

/// <summary>
/// Joins both servers' combined measurements into two tables: issue 12's rows with their targets
/// (the summary), then every figure of every scenario (ours, Node, ours/Node, each a median with
/// its range). Written as Markdown and JSON.
/// </summary>
internal sealed class ResultsReport(IReadOnlyList<Measurement> measurements, string mode, DateTimeOffset started, int repeats = 1)
{
    /// <summary>/proc/loadavg's 1-minute figure when the run began: anything else busy on the machine shows here.</summary>
    public static string LoadAverageAtStart { get; } = File.ReadAllText("/proc/loadavg").Split(' ')[0];

    /// <summary>The commit the server was built from, "+ local changes" when its sources differ from it.</summary>
    public static string SourceVersion { get; set; } = "unknown";

    public static string ReadSourceVersion(string root)
    {
        try
        {
            var head = Git(root, "rev-parse --short HEAD").Trim();
            var dirty = Git(root, "status --porcelain -- RunsStream.Protocol RunsStream.Server").Trim().Length > 0;
            return "RunsStream " + head + (dirty ? " + local changes" : "");
        }
        catch (Exception)
        {
            return "unknown";
        }
    }

    private static string Git(string root, string arguments)
    {
        using var p = Process.Start(new ProcessStartInfo("git", $"-C \"{root}\" {arguments}") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    public List<TableRow> Rows()
    {
        var rows = new List<TableRow>();
        var keys = measurements.Select(m => (m.Scenario, m.Variant)).Distinct().ToList();
        foreach (var (scenario, variant) in keys)
        {
            var (ours, node) = Find(scenario, variant);
            var figures = (ours?.Figures.Keys ?? Enumerable.Empty<string>()).Concat(node?.Figures.Keys ?? Enumerable.Empty<string>()).Distinct().ToList();
            foreach (var figure in figures)
            {
                rows.Add(Row(scenario, variant, figure, ours, node));
            }
            rows.Add(new TableRow(scenario, variant, "complete", null, null, null, "all data, seqs, status",
                ours?.Complete == "ok" && (node is null || node.Complete == "ok") ? "yes" : "NO",
                Short(ours?.Complete ?? "-"), Short(node?.Complete ?? "-")));
        }
        return rows;
    }

    /// <summary>Issue 12's rows, in its order, each from the variant its target names (a row not measured in this run says so).</summary>
    public List<TableRow> IssueRows()
    {
        var rows = new List<TableRow>();
        foreach (var target in Target.All.Where(t => t.IssueRow))
        {
            var key = measurements.FirstOrDefault(m => m.Scenario == target.Scenario && target.Variant(m.Variant));
            if (key is null)
            {
                rows.Add(new TableRow(target.Row, "", target.Figure, null, null, null, target.Text, "not run", "-", "-"));
                continue;
            }
            var (ours, node) = Find(key.Scenario, key.Variant);
            rows.Add(Row(key.Scenario, key.Variant, target.Figure, ours, node) with { Scenario = target.Row });
        }
        return rows;
    }

    private (Measurement? Ours, Measurement? Node) Find(string scenario, string variant) =>
        (measurements.FirstOrDefault(m => m.Scenario == scenario && m.Variant == variant && m.Server == "ours"),
         measurements.FirstOrDefault(m => m.Scenario == scenario && m.Variant == variant && m.Server == "node"));

    /// <summary>The table keeps the first words of a failure; the JSON has all of it.</summary>
    private static string Short(string text) => text.Length <= 40 ? text : text[..39] + "…";

    private static TableRow Row(string scenario, string variant, string figure, Measurement? ours, Measurement? node)
    {
        double? o = ours is not null && ours.Figures.TryGetValue(figure, out var ov) ? ov : null;
        double? n = node is not null && node.Figures.TryGetValue(figure, out var nv) ? nv : null;
        double? ratio = o is { } a && n is { } b && b != 0 ? a / b : null;
        var target = Target.For(scenario, variant, figure);
        var oursRange = ours?.Ranges.GetValueOrDefault(figure);
        var verdict = Verdict(target, target?.Worst == true ? oursRange?.Max ?? o : o, n);
        if (verdict.Length > 0)
        {
            // A figure of an incomplete measurement, or a CPU read over too short a time, is no evidence either way.
            if (ours?.Complete != "ok" || (node is not null && node.Complete != "ok"))
            {
                verdict = "incomplete";
            }
            else if ((ours.TooShort ?? node?.TooShort) is not null)
            {
                verdict = "too short";
            }
        }
        return new TableRow(scenario, variant, figure, o, n, ratio, target?.Text ?? "", verdict,
            OursRange: oursRange, NodeRange: node?.Ranges.GetValueOrDefault(figure), RatioRange: Repetitions.PairedRatios(ours, node, figure));
    }

    private static string Verdict(Target? target, double? ours, double? node) =>
        target is null || ours is not { } ov ? "" : target.IsMet(ov, node ?? 0) switch { true => "met", false => "MISSED", null => "n/a" };

    public string Markdown(string? microReport)
    {
        var rows = Rows();
        var issueRows = IssueRows();
        var sb = new StringBuilder();
        sb.AppendLine($"# RunsStream vs socket.io (Node.js): {started:yyyy-MM-dd HH:mm} UTC ({mode})");
        sb.AppendLine();
        sb.AppendLine(MachineLine() + $" Load average before the run: {LoadAverageAtStart}. Measured: {SourceVersion}.");
        sb.AppendLine();
        sb.AppendLine($"Each figure is the median of {repeats} repetition(s), each on fresh servers (ours, Node, ours, Node, ...), " +
                      "with the range (lowest-highest) in parentheses; ours/Node is the ratio of the medians, in parentheses the range of " +
                      "the ratios of the repetitions run side by side.");
        sb.AppendLine();
        sb.AppendLine("## Issue 12's rows");
        sb.AppendLine();
        sb.AppendLine(Table(issueRows, "row"));
        foreach (var note in measurements.Where(m => m.TooShort is not null).Select(m => $"{m.Scenario} {m.Variant}: {m.TooShort}.").Distinct())
        {
            sb.AppendLine("- " + note);
        }
        var judged = issueRows.Concat(rows.Where(r => Target.For(r.Scenario, r.Variant, r.Figure) is { IssueRow: false })).ToList();
        var missed = judged.Where(r => r.Verdict == "MISSED").ToList();
        sb.AppendLine($"Targets: {judged.Count(r => r.Verdict == "met")} met, {missed.Count} missed" +
                      (missed.Count > 0 ? " (" + string.Join("; ", missed.Select(r => $"{r.Scenario} [{r.Variant}]")) + ")" : "") +
                      $", {judged.Count(r => r.Verdict is "incomplete" or "too short" or "not run" or "n/a")} not judged.");
        sb.AppendLine();
        sb.AppendLine("## Every figure");
        sb.AppendLine();
        sb.AppendLine(Table(rows, "scenario"));
        sb.AppendLine("CPU figures are the server's own (utime + stime of /proc/PID/stat, without the runs' commands) over the measured interval; " +
                      "when the load generator's CPU approaches the wall time, the client, not the server, is the limit.");
        if (microReport is not null)
        {
            sb.AppendLine();
            sb.AppendLine("## Micro-benchmarks (BenchmarkDotNet, short job)");
            sb.AppendLine();
            sb.AppendLine(microReport.Trim());
        }
        return sb.ToString();
    }

    /// <summary>A cell: the median, and the range when the repetitions differ.</summary>
    public static string Cell(double? median, Spread? range, string otherwise = "")
    {
        if (median is not { } value)
        {
            return otherwise;
        }
        return range is { } r && r.Min != r.Max ? $"{Format.Number(value)} ({Format.Number(r.Min)}-{Format.Number(r.Max)})" : Format.Number(value);
    }

    public static string Table(List<TableRow> rows, string firstColumn = "scenario")
    {
        var cells = new List<string[]>
        {
            new[] { firstColumn, "variant", "figure", "RunsStream", "Node", "ours/Node", "target", "met" },
        };
        foreach (var r in rows)
        {
            cells.Add(new[]
            {
                r.Scenario, r.Variant, r.Figure,
                Cell(r.Ours, r.OursRange, r.OursText), Cell(r.Node, r.NodeRange, r.NodeText), Cell(r.Ratio, r.RatioRange),
                r.Target, r.Verdict,
            });
        }
        var widths = Enumerable.Range(0, cells[0].Length).Select(i => cells.Max(c => c[i].Length)).ToArray();
        var sb = new StringBuilder();
        void Line(string[] c) => sb.AppendLine("| " + string.Join(" | ", c.Select((v, i) => v.PadRight(widths[i]))) + " |");
        Line(cells[0]);
        Line(widths.Select(w => new string('-', w)).ToArray());
        foreach (var c in cells.Skip(1))
        {
            Line(c);
        }
        return sb.ToString();
    }

    public string Json(string? microReport) => JsonSerializer.Serialize(new
    {
        date = started.ToString("O"),
        mode,
        machine = Machine(),
        loadAverageAtStart = LoadAverageAtStart,
        source = SourceVersion,
        measurements,
        repeats,
        issue = IssueRows(),
        table = Rows(),
        targets = Target.All.Select(t => new { t.Row, t.Scenario, t.Figure, kind = t.Kind.ToString(), t.Limit, t.Text, t.Worst }),
        micro = microReport,
    }, new JsonSerializerOptions { WriteIndented = true });

    public static string MachineLine()
    {
        var m = Machine();
        return $"Machine: {m.cores} cores ({m.cpu}), {m.memoryGB:0} GB RAM, {m.os}; {m.dotnet}; Node.js {m.node}. " +
               "Both servers run one after the other on 127.0.0.1, each repetition of a scenario on a fresh, warmed-up process.";
    }

    private sealed record MachineInfo(int cores, string cpu, double memoryGB, string os, string dotnet, string node);

    private static MachineInfo Machine()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memKb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return new MachineInfo(Environment.ProcessorCount, cpu, double.Parse(memKb) / 1024 / 1024, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, NodeVersion());
    }

    private static string NodeVersion()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true })!;
            var v = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return v;
        }
        catch (Exception)
        {
            return "unknown";
        }
    }
}
