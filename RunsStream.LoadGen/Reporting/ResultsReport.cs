using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace RunsStream.LoadGen.Reporting;

/// <summary>One line of the results table.</summary>
internal sealed record TableRow(
    string Scenario, string Variant, string Figure, double? Ours, double? Node, double? Ratio,
    string Target, string Verdict, string ServerCpu, string LoadGenCpu, string OursText = "", string NodeText = "");

/// <summary>
/// Joins both servers' measurements into one table (ours, Node, ours/Node, the target, met or
/// not, and each side's server and load-generator CPU next to every figure) and writes it as
/// Markdown and JSON.
/// </summary>
internal sealed class ResultsReport(IReadOnlyList<Measurement> measurements, string mode, DateTimeOffset started)
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
            var ours = measurements.FirstOrDefault(m => m.Scenario == scenario && m.Variant == variant && m.Server == "ours");
            var node = measurements.FirstOrDefault(m => m.Scenario == scenario && m.Variant == variant && m.Server == "node");
            var cpu = $"{Cpu(ours, m => m.ServerCpuSeconds)} / {Cpu(node, m => m.ServerCpuSeconds)}";
            var loadGen = $"{Cpu(ours, m => m.ClientCpuSeconds)} / {Cpu(node, m => m.ClientCpuSeconds)}";
            var figures = (ours?.Figures.Keys ?? Enumerable.Empty<string>()).Concat(node?.Figures.Keys ?? Enumerable.Empty<string>()).Distinct().ToList();
            var complete = ours?.Complete == "ok" && node?.Complete == "ok";
            foreach (var figure in figures)
            {
                double? o = ours is not null && ours.Figures.TryGetValue(figure, out var ov) ? ov : null;
                double? n = node is not null && node.Figures.TryGetValue(figure, out var nv) ? nv : null;
                var row = Row(scenario, variant, figure, o, n, cpu, loadGen);
                // A figure of an incomplete measurement is no evidence either way.
                rows.Add(complete || row.Verdict.Length == 0 ? row : row with { Verdict = "incomplete" });
            }
            var ranges = (ours?.Ranges.Keys ?? Enumerable.Empty<string>()).Concat(node?.Ranges.Keys ?? Enumerable.Empty<string>()).Distinct();
            foreach (var figure in ranges)
            {
                var o = ours?.Ranges.GetValueOrDefault(figure);
                var n = node?.Ranges.GetValueOrDefault(figure);
                var target = Target.For(scenario, variant, figure);
                var verdict = Verdict(target, o?.Max, n?.Max);
                rows.Add(new TableRow(scenario, variant, figure, null, null, null, target?.Text ?? "",
                    complete || verdict.Length == 0 ? verdict : "incomplete", cpu, loadGen, o?.Text ?? "-", n?.Text ?? "-"));
            }
            rows.Add(Row(scenario, variant, "server CPU (s)", ours?.ServerCpuSeconds, node?.ServerCpuSeconds, cpu, loadGen));
            rows.Add(Row(scenario, variant, "peak RSS (MB)", ours?.PeakRssMB, node?.PeakRssMB, cpu, loadGen));
            rows.Add(new TableRow(scenario, variant, "complete", null, null, null, "all data, seqs, status", 
                ours?.Complete == "ok" && (node is null || node.Complete == "ok") ? "yes" : "NO", cpu, loadGen,
                Short(ours?.Complete ?? "-"), Short(node?.Complete ?? "-")));
        }
        return rows;
    }

    /// <summary>The table keeps the first words of a failure; the JSON has all of it.</summary>
    private static string Short(string text) => text.Length <= 40 ? text : text[..39] + "…";

    private static string Cpu(Measurement? m, Func<Measurement, double> value) => m is null ? "-" : Format.Number(value(m));

    private static TableRow Row(string scenario, string variant, string figure, double? ours, double? node, string cpu, string loadGen)
    {
        double? ratio = ours is { } o && node is { } n && n != 0 ? o / n : null;
        var target = Target.For(scenario, variant, figure);
        return new TableRow(scenario, variant, figure, ours, node, ratio, target?.Text ?? "", Verdict(target, ours, node), cpu, loadGen);
    }

    private static string Verdict(Target? target, double? ours, double? node) =>
        target is null || ours is not { } ov ? "" : target.IsMet(ov, node ?? 0) switch { true => "met", false => "MISSED", null => "n/a" };

    public string Markdown(string? microReport)
    {
        var rows = Rows();
        var sb = new StringBuilder();
        sb.AppendLine($"# RunsStream vs socket.io (Node.js): {started:yyyy-MM-dd HH:mm} UTC ({mode})");
        sb.AppendLine();
        sb.AppendLine(MachineLine() + $" Load average before the run: {LoadAverageAtStart}. Measured: {SourceVersion}.");
        sb.AppendLine();
        sb.AppendLine(Table(rows));
        sb.AppendLine("CPU columns: server CPU seconds / load generator CPU seconds over the measured interval, \"ours / Node\". " +
                      "When the load generator's CPU approaches the wall time, the client, not the server, is the limit.");
        var met = rows.Count(r => r.Verdict == "met");
        var missed = rows.Where(r => r.Verdict == "MISSED").ToList();
        sb.AppendLine();
        var incomplete = rows.Count(r => r.Verdict == "incomplete");
        sb.AppendLine($"Targets: {met} met, {missed.Count} missed, {incomplete} not judged (incomplete)" + (missed.Count > 0 ? ": " + string.Join("; ", missed.Select(r => $"{r.Scenario} {r.Variant} {r.Figure}")) : "") + ".");
        if (microReport is not null)
        {
            sb.AppendLine();
            sb.AppendLine("## Micro-benchmarks (BenchmarkDotNet, short job)");
            sb.AppendLine();
            sb.AppendLine(microReport.Trim());
        }
        return sb.ToString();
    }

    public static string Table(List<TableRow> rows)
    {
        var cells = new List<string[]>
        {
            new[] { "scenario", "variant", "figure", "RunsStream", "Node", "ours/Node", "target", "met", "server CPU s", "loadgen CPU s" },
        };
        foreach (var r in rows)
        {
            cells.Add(new[]
            {
                r.Scenario, r.Variant, r.Figure,
                r.Ours is { } o ? Format.Number(o) : r.OursText,
                r.Node is { } n ? Format.Number(n) : r.NodeText,
                r.Ratio is { } x ? Format.Number(x) : "",
                r.Target, r.Verdict, r.ServerCpu, r.LoadGenCpu,
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
        table = Rows(),
        targets = Target.All.Select(t => new { t.Scenario, t.Figure, kind = t.Kind.ToString(), t.Limit, t.Text }),
        micro = microReport,
    }, new JsonSerializerOptions { WriteIndented = true });

    public static string MachineLine()
    {
        var m = Machine();
        return $"Machine: {m.cores} cores ({m.cpu}), {m.memoryGB:0} GB RAM, {m.os}; {m.dotnet}; Node.js {m.node}. " +
               "Both servers run one after the other on 127.0.0.1, each scenario on a fresh, warmed-up process.";
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
