using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Scenarios;

namespace RunsStream.Tests.LoadGen.Scenarios;

/// <summary>How the bench turns a server's repetitions into one measurement: medians, ranges, ratios side by side.</summary>
[TestFixture]
public sealed class RepetitionsTests
{
    private static Measurement Rep(string server, double cpu, double mbps, string complete = "ok") =>
        new("1. fan-out", "100 x 20 MB", server)
        {
            ServerCpuSeconds = cpu,
            PeakRssMB = 100 + cpu,
            Complete = complete,
            Figures = { ["aggregate MB/s"] = mbps },
        };

    [Test]
    public void Every_figure_is_the_median_of_the_repetitions_with_their_range()
    {
        var m = Repetitions.Combine([Rep("ours", 1.4, 900), Rep("ours", 1.1, 1200), Rep("ours", 2.5, 1000)]);

        Assert.That((m.Figures["aggregate MB/s"], m.Ranges["aggregate MB/s"]), Is.EqualTo((1000.0, new Spread(900, 1200))));
        Assert.That((m.ServerCpuSeconds, m.Figures[Repetitions.ServerCpu], m.Ranges[Repetitions.ServerCpu]), Is.EqualTo((1.4, 1.4, new Spread(1.1, 2.5))));
        Assert.That(m.Ranges[Repetitions.PeakRss], Is.EqualTo(new Spread(101.1, 102.5)));
        Assert.That(m.Repetitions, Has.Count.EqualTo(3));
    }

    [Test]
    public void The_median_of_an_even_count_is_the_mean_of_the_middle_two()
    {
        Assert.That(Repetitions.Median([4, 1, 3, 2]), Is.EqualTo(2.5));
    }

    [Test]
    public void A_failed_repetition_makes_the_measurement_incomplete_and_its_missing_figure_is_not_a_zero()
    {
        var failed = new Measurement("1. fan-out", "100 x 20 MB", "ours") { Complete = "failed: did not start" };
        var m = Repetitions.Combine([Rep("ours", 1.2, 900), failed, Rep("ours", 1.4, 1100)]);

        Assert.That(m.Complete, Is.EqualTo("failed: did not start"));
        Assert.That((m.Figures["aggregate MB/s"], m.Ranges["aggregate MB/s"]), Is.EqualTo((1000.0, new Spread(900, 1100))));
    }

    [Test]
    public void The_ratio_range_pairs_the_repetitions_that_ran_side_by_side()
    {
        var ours = Repetitions.Combine([Rep("ours", 1.0, 0), Rep("ours", 2.5, 0), Rep("ours", 1.2, 0)]);
        var node = Repetitions.Combine([Rep("node", 1.0, 0), Rep("node", 1.0, 0), Rep("node", 2.0, 0)]);

        // 1.0/1.0, 2.5/1.0 (the spike), 1.2/2.0: not the ratio of the extremes (2.5/1.0 .. 1.0/2.0).
        Assert.That(Repetitions.PairedRatios(ours, node, Repetitions.ServerCpu), Is.EqualTo(new Spread(0.6, 2.5)));
    }

    [Test]
    public void One_repetition_has_no_ratio_range()
    {
        var ours = Repetitions.Combine([Rep("ours", 1.0, 10)]);
        var node = Repetitions.Combine([Rep("node", 2.0, 10)]);
        Assert.That(Repetitions.PairedRatios(ours, node, "aggregate MB/s"), Is.Null);
    }
}
