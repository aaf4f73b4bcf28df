using RunsStream.LoadGen.Scenarios;

namespace RunsStream.LoadGen.Reporting;

/// <summary>How a target compares: the ratio ours/Node, or our own figure alone.</summary>
internal enum TargetKind
{
    RatioAtMost,
    RatioAtLeast,
    OursAtMost,
}

/// <summary>
/// One target on one figure of one scenario variant. <paramref name="Row"/> names it as issue
/// 12's table does; <paramref name="IssueRow"/> puts it in the summary table. A target is judged
/// on the medians, or with <paramref name="Worst"/> on the worst repetition ("in every run").
/// </summary>
internal sealed record Target(
    string Row, string Scenario, Func<string, bool> Variant, string Figure, TargetKind Kind, double Limit, string Text,
    bool IssueRow = true, bool Worst = false)
{
    public bool? IsMet(double ours, double node) => Kind switch
    {
        TargetKind.RatioAtMost => node > 0 ? ours / node <= Limit : null,
        TargetKind.RatioAtLeast => node > 0 ? ours / node >= Limit : null,
        TargetKind.OursAtMost => ours <= Limit,
        _ => null,
    };

    /// <summary>Variants of N subscribers on "/" ("100 x 20 MB", not "1000 x 2 MB" nor "100 x 20 MB on /runs").</summary>
    private static bool Subs(string variant, string count) =>
        variant.StartsWith(count + " ", StringComparison.Ordinal) && !variant.Contains(" on /", StringComparison.Ordinal);

    private static bool AnyVariant(string _) => true;

    private const string FanOut = FanOutScenario.Name;
    private const string CpuPerMB = "server CPU s per delivered MB";
    private const string MBps = "aggregate MB/s";

    /// <summary>Issue 12's targets, as ratios to the Node.js server measured in the same run, in the issue's order.</summary>
    public static readonly Target[] All =
    [
        new("one subscriber, server CPU per MB", FanOut, v => Subs(v, "1"), CpuPerMB, TargetKind.RatioAtMost, 0.9, "<= 0.9x Node"),
        new("100 subscribers, server CPU per MB", FanOut, v => Subs(v, "100"), CpuPerMB, TargetKind.RatioAtMost, 0.8, "<= 0.8x Node"),
        new("100 subscribers, MB/s", FanOut, v => Subs(v, "100"), MBps, TargetKind.RatioAtLeast, 1.25, ">= 1.25x Node"),
        new("1000 subscribers, server CPU per MB", FanOut, v => Subs(v, "1000"), CpuPerMB, TargetKind.RatioAtMost, 0.6, "<= 0.6x Node"),
        new("1000 subscribers, MB/s", FanOut, v => Subs(v, "1000"), MBps, TargetKind.RatioAtLeast, 1.5, ">= 1.5x Node"),
        new("latency p99, 100 subscribers at 200 lines/s", LatencyScenario.Name, v => v.StartsWith("100 subs,", StringComparison.Ordinal), "p99 (ms)", TargetKind.RatioAtMost, 0.5, "<= 0.5x Node"),
        new("idle memory per subscribed connection (KB)", IdleScenario.Name, AnyVariant, IdleScenario.PerConnection, TargetKind.RatioAtMost, 0.5, "<= 0.5x Node"),
        new("stalled subscriber: time to catch up once it reads again", StalledScenario.Name, AnyVariant, StalledScenario.CatchUp, TargetKind.RatioAtMost, 2.0, "<= 2x Node"),
        new("stalled subscriber: server RSS while it is stalled", StalledScenario.Name, AnyVariant, StalledScenario.RssWhileStalled, TargetKind.RatioAtMost, 0.7, "<= 0.7x Node"),
        // "keep": 0.12x when the issue was filed; judged against issue 6's target, 4x faster.
        new("late join, 50 subscribers x 10 MB", LateJoinScenario.Name, AnyVariant, "time until all have it (s)", TargetKind.RatioAtMost, 0.25, "keep (<= 0.25x Node)"),
        // A correctness check, not a speed target: 0 inversions in every run where the writer leaves a gap.
        new("stdout/stderr order with gaps", OrderScenario.Name, v => v.EndsWith("ms gaps", StringComparison.Ordinal), OrderScenario.InvertedPairs,
            TargetKind.OursAtMost, 0, "ours 0 in every run", IssueRow: false, Worst: true),
    ];

    public static Target? For(string scenario, string variant, string figure) =>
        All.FirstOrDefault(t => t.Scenario == scenario && t.Figure == figure && t.Variant(variant));
}
