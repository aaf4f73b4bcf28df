using RunsStream.LoadGen;
using RunsStream.LoadGen.Fleet;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Scenarios;

namespace RunsStream.Tests.LoadGen.Fleet;

/// <summary>The fleet bench's table: medians with ranges, issue 14's two targets judged on the median, nothing judged when incomplete.</summary>
[TestFixture]
public sealed class FleetReportTests
{
    private static readonly BenchConfig Config = BenchConfig.Quick("/repo", "/tmp");

    private static Measurement Combined(string scenario, string figure, params double[] values) =>
        Repetitions.Combine(values.Select(v => new Measurement(scenario, "2 nodes", "fleet") { ServerCpuSeconds = 1.5, PeakRssMB = 0, Figures = { [figure] = v } }).ToList());

    private static string[] Row(string markdown, string figure) =>
        markdown.Split('\n').Single(l => l.Contains("| " + figure + " ", StringComparison.Ordinal)).Split('|').Select(c => c.Trim()).ToArray();

    [Test]
    public void The_remote_cost_ratio_is_met_at_or_under_1_3_on_the_median()
    {
        var markdown = FleetReport.Markdown([Combined(RemoteCostScenario.Name, "remote / local", 1.5, 1.1, 1.2)], Config, DateTimeOffset.UtcNow);
        var row = Row(markdown, "remote / local");
        Assert.That(row[4..8], Is.EqualTo(new[] { "1.20", "1.10-1.50", "<= 1.3", "met" }));
    }

    [Test]
    public void The_latency_ratio_misses_over_2()
    {
        var markdown = FleetReport.Markdown([Combined(FleetLatencyScenario.Name, "C p99 / single node p99", 1.9, 36.4, 20)], Config, DateTimeOffset.UtcNow);
        Assert.That(Row(markdown, "C p99 / single node p99")[4..8], Is.EqualTo(new[] { "20.0", "1.90-36.4", "<= 2", "MISSED" }));
    }

    [Test]
    public void An_incomplete_part_is_not_judged_and_says_why()
    {
        var m = Combined(RemoteCostScenario.Name, "remote / local", 1.0, 1.0, 1.0);
        m.Complete = "remote: 3/100 incomplete; #7: seq 12 where 11 was expected";
        var markdown = FleetReport.Markdown([m], Config, DateTimeOffset.UtcNow);
        Assert.That(Row(markdown, "remote / local")[7], Is.EqualTo("not judged"));
        Assert.That(Row(markdown, "complete")[4..8], Is.EqualTo(new[] { m.Complete, "", "all data, seqs, status", "NO" }));
    }

    [Test]
    public void The_nodes_CPU_is_named_for_the_fleet_and_RSS_which_the_fleet_does_not_read_is_left_out()
    {
        var markdown = FleetReport.Markdown([Combined(FleetFanOutScenario.Name, "aggregate MB/s", 1000, 1100, 900)], Config, DateTimeOffset.UtcNow);
        Assert.That(Row(markdown, "all nodes' CPU over the part (s)")[4], Is.EqualTo("1.50"));
        Assert.That(markdown, Does.Not.Contain(Repetitions.PeakRss));
        Assert.That(markdown, Does.Not.Contain(Repetitions.ServerCpu));
    }
}
