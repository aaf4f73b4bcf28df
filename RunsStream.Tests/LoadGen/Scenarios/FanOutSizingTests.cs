using RunsStream.LoadGen.Scenarios;

namespace RunsStream.Tests.LoadGen.Scenarios;

/// <summary>When a fan-out case is too small for its CPU to be read, and how much it grows.</summary>
[TestFixture]
public sealed class FanOutSizingTests
{
    private const long MB = 1024 * 1024;

    [Test]
    public void A_case_with_enough_CPU_on_every_server_keeps_its_size()
    {
        Assert.That(FanOutSizing.Grow(20 * MB, lowestCpuSeconds: 1.0, minCpuSeconds: 1.0, maxBytes: 2048 * MB), Is.EqualTo(20 * MB));
    }

    [TestCase(0.9, 2)] // 1.25 / 0.9 = 1.4: one doubling
    [TestCase(0.5, 4)] // 2.5: two
    [TestCase(0.3, 8)] // 4.2: three
    [TestCase(0.0, 128)] // under one clock tick counts as 10 ms: 125, so 128
    public void A_case_under_the_least_grows_by_the_power_of_two_that_lifts_it_above_with_a_margin(double cpu, long factor)
    {
        Assert.That(FanOutSizing.Grow(20 * MB, cpu, minCpuSeconds: 1.0, maxBytes: 100_000 * MB), Is.EqualTo(20 * MB * factor));
    }

    [Test]
    public void A_case_grows_no_further_than_the_largest_run()
    {
        Assert.That(FanOutSizing.Grow(1024 * MB, 0.2, 1.0, maxBytes: 2048 * MB), Is.EqualTo(2048 * MB));
        Assert.That(FanOutSizing.Grow(2048 * MB, 0.2, 1.0, maxBytes: 2048 * MB), Is.EqualTo(2048 * MB));
    }

    [Test]
    public void Quick_runs_never_grow_a_case()
    {
        Assert.That(FanOutSizing.Grow(MB, 0.01, minCpuSeconds: 0, maxBytes: 2048 * MB), Is.EqualTo(MB));
    }

    [Test]
    public void A_case_is_too_short_when_any_repetition_of_any_server_had_less_CPU_than_the_least()
    {
        Assert.That(FanOutSizing.TooShort([1.3, 2.0, 1.0], 1.0), Is.Null);
        Assert.That(FanOutSizing.TooShort([1.3, 0.62, 2.0], 1.0), Does.StartWith("too short: 0.620 s"));
        Assert.That(FanOutSizing.TooShort([0.1], 0), Is.Null, "no least in quick runs");
    }
}
