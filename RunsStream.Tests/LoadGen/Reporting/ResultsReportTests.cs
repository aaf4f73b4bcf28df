using RunsStream.LoadGen.Reporting;

namespace RunsStream.Tests.LoadGen.Reporting;

/// <summary>The bench table's range figures: "min-max" beside Node's, a target judged on the worst repetition.</summary>
[TestFixture]
public sealed class ResultsReportTests
{
    private static Measurement Order(string server, string variant, double min, double max, string complete = "ok") =>
        new("7. stdout/stderr order", variant, server)
        {
            Complete = complete,
            Ranges = { ["inverted pairs (range)"] = new Spread(min, max) },
        };

    private static TableRow RangeRow(params Measurement[] measurements) =>
        new ResultsReport(measurements, "quick", DateTimeOffset.UtcNow).Rows().Single(r => r.Figure == "inverted pairs (range)");

    [Test]
    public void A_range_is_shown_as_counts_for_both_servers()
    {
        var row = RangeRow(Order("ours", "300 pairs, no gap", 0, 54), Order("node", "300 pairs, no gap", 1, 119));
        Assert.That((row.OursText, row.NodeText, row.Ours, row.Node), Is.EqualTo(("0-54", "1-119", (double?)null, (double?)null)));
        Assert.That(row.Verdict, Is.Empty, "no target without a gap");
    }

    [Test]
    public void The_target_misses_when_one_repetition_inverted_a_pair()
    {
        var row = RangeRow(Order("ours", "300 pairs, 1 ms gaps", 0, 1), Order("node", "300 pairs, 1 ms gaps", 0, 0));
        Assert.That((row.OursText, row.NodeText, row.Verdict), Is.EqualTo(("0-1", "0", "MISSED")));
    }

    [Test]
    public void The_target_is_met_when_no_repetition_inverted_a_pair()
    {
        var row = RangeRow(Order("ours", "100 pairs, 10 ms gaps", 0, 0), Order("node", "100 pairs, 10 ms gaps", 0, 2));
        Assert.That((row.OursText, row.NodeText, row.Verdict), Is.EqualTo(("0", "0-2", "met")));
    }

    [Test]
    public void An_incomplete_measurement_is_not_judged()
    {
        var row = RangeRow(Order("ours", "100 pairs, 10 ms gaps", 0, 0, complete: "3 of 200 lines missing, first e7"), Order("node", "100 pairs, 10 ms gaps", 0, 0));
        Assert.That(row.Verdict, Is.EqualTo("incomplete"));
    }
}
