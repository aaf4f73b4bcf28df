using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Scenarios;

namespace RunsStream.Tests.LoadGen.Reporting;

/// <summary>The bench tables: medians with ranges beside Node's, issue 12's rows and how each is judged.</summary>
[TestFixture]
public sealed class ResultsReportTests
{
    private static Measurement Combined(string scenario, string variant, string server, string figure, params double[] values) =>
        Repetitions.Combine(values.Select(v => new Measurement(scenario, variant, server) { ServerCpuSeconds = 2, Figures = { [figure] = v } }).ToList());

    private static Measurement Order(string server, string variant, params double[] inverted) =>
        Combined(OrderScenario.Name, variant, server, OrderScenario.InvertedPairs, inverted);

    private static TableRow Row(string figure, params Measurement[] measurements) =>
        new ResultsReport(measurements, "full", DateTimeOffset.UtcNow, 3).Rows().Single(r => r.Figure == figure);

    private static TableRow IssueRow(string row, params Measurement[] measurements) =>
        new ResultsReport(measurements, "full", DateTimeOffset.UtcNow, 3).IssueRows().Single(r => r.Scenario == row);

    [Test]
    public void A_figure_shows_each_servers_median_and_range()
    {
        var row = Row(OrderScenario.InvertedPairs, Order("ours", "300 pairs, no gap", 0, 54, 3), Order("node", "300 pairs, no gap", 1, 119, 40));
        Assert.That((row.Ours, row.OursRange, row.Node, row.NodeRange), Is.EqualTo(((double?)3, new Spread(0, 54), (double?)40, new Spread(1, 119))));
        Assert.That(ResultsReport.Cell(row.Ours, row.OursRange), Is.EqualTo("3.00 (0-54.0)"));
        Assert.That(row.Verdict, Is.Empty, "no target without a gap");
    }

    [Test]
    public void An_in_every_run_target_misses_when_one_repetition_inverted_a_pair_though_the_median_is_0()
    {
        var row = Row(OrderScenario.InvertedPairs, Order("ours", "300 pairs, 1 ms gaps", 0, 1, 0), Order("node", "300 pairs, 1 ms gaps", 0, 0, 0));
        Assert.That((row.Ours, row.Verdict), Is.EqualTo(((double?)0, "MISSED")));
    }

    [Test]
    public void An_in_every_run_target_is_met_when_no_repetition_inverted_a_pair()
    {
        var row = Row(OrderScenario.InvertedPairs, Order("ours", "100 pairs, 10 ms gaps", 0, 0, 0), Order("node", "100 pairs, 10 ms gaps", 0, 2, 1));
        Assert.That(row.Verdict, Is.EqualTo("met"));
    }

    [Test]
    public void An_incomplete_measurement_is_not_judged()
    {
        var ours = Order("ours", "100 pairs, 10 ms gaps", 0, 0, 0);
        ours.Complete = "3 of 200 lines missing, first e7";
        Assert.That(Row(OrderScenario.InvertedPairs, ours, Order("node", "100 pairs, 10 ms gaps", 0, 0, 0)).Verdict, Is.EqualTo("incomplete"));
    }

    [Test]
    public void An_issue_row_is_judged_on_the_ratio_of_the_medians_against_its_target()
    {
        const string cpu = "server CPU s per delivered MB";
        var ours = Combined(FanOutScenario.Name, "100 x 20 MB", "ours", cpu, 0.0008, 0.0020, 0.0007);
        var node = Combined(FanOutScenario.Name, "100 x 20 MB", "node", cpu, 0.0010, 0.0010, 0.0010);

        var row = IssueRow("100 subscribers, server CPU per MB", ours, node);

        // Median 0.0008 / 0.0010 = 0.8: met, though one repetition spiked to 2x.
        Assert.That((row.Variant, row.Ratio!.Value, row.RatioRange, row.Target, row.Verdict),
            Is.EqualTo(("100 x 20 MB", 0.8, new Spread(0.7, 2.0), "<= 0.8x Node", "met")).Within(1e-9));
    }

    [Test]
    public void The_runs_namespace_variant_is_not_taken_for_the_issues_row_on_the_root_namespace()
    {
        const string mbps = "aggregate MB/s";
        var report = new ResultsReport(
        [
            Combined(FanOutScenario.Name, "100 x 20 MB on /runs", "ours", mbps, 100), Combined(FanOutScenario.Name, "100 x 20 MB on /runs", "node", mbps, 100),
            Combined(FanOutScenario.Name, "100 x 20 MB", "ours", mbps, 200), Combined(FanOutScenario.Name, "100 x 20 MB", "node", mbps, 100),
            Combined(FanOutScenario.Name, "1000 x 2 MB", "ours", mbps, 50), Combined(FanOutScenario.Name, "1000 x 2 MB", "node", mbps, 100),
        ], "full", DateTimeOffset.UtcNow, 1);

        var rows = report.IssueRows();
        Assert.That(rows.Single(r => r.Scenario == "100 subscribers, MB/s") is { Variant: "100 x 20 MB", Ratio: 2.0, Verdict: "met" });
        Assert.That(rows.Single(r => r.Scenario == "1000 subscribers, MB/s") is { Variant: "1000 x 2 MB", Ratio: 0.5, Verdict: "MISSED" });
        Assert.That(rows.Single(r => r.Scenario == "latency p99, 100 subscribers at 200 lines/s").Verdict, Is.EqualTo("not run"));
    }

    [Test]
    public void A_fan_out_case_whose_CPU_was_read_over_too_short_a_time_is_not_judged()
    {
        const string cpu = "server CPU s per delivered MB";
        var ours = Combined(FanOutScenario.Name, "1 x 2048 MB", "ours", cpu, 0.0004);
        var node = Combined(FanOutScenario.Name, "1 x 2048 MB", "node", cpu, 0.0010);
        node.TooShort = FanOutSizing.TooShort([0.8], 1.0);

        var report = new ResultsReport([ours, node], "full", DateTimeOffset.UtcNow, 1);

        Assert.That(report.IssueRows().Single(r => r.Scenario == "one subscriber, server CPU per MB").Verdict, Is.EqualTo("too short"));
        Assert.That(report.Markdown(null), Does.Contain("too short: 0.800 s of server CPU"));
    }
}
