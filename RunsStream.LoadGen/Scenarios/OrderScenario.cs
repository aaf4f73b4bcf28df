using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Scenario 7: does a run's log keep the order in which the command wrote stdout and stderr? A
/// run prints "o{i}" on stdout, then "e{i}" on stderr, N times, with no gap or a sleep after each
/// pair. Once it has finished, GET /runs/{id}/log (both streams interleaved in seq order, on both
/// servers) is compared with the written order: inverted pairs and misplaced lines
/// (<see cref="LineOrder"/>). Without a gap the writer outpaces any reader, whose one read takes
/// all that a pipe holds, several lines of one stream: there the figure is one to compare with
/// Node's, not one that can be 0. Each repetition on a fresh server: a first run, not counted,
/// compiles the paths the count goes through, then the counted run.
/// </summary>
internal static class OrderScenario
{
    public const string Name = "7. stdout/stderr order";

    /// <summary>One writer: how many pairs, and the sleep after each pair (null: none).</summary>
    internal sealed record Case(int Pairs, string? Sleep, string Gap);

    /// <summary>The issue's cases: 300 pairs without a gap and with 1 ms gaps, 100 with 10 ms gaps.</summary>
    public static readonly Case[] Cases =
    [
        new(300, null, "no gap"),
        new(300, "0.001", "1 ms gaps"),
        new(100, "0.01", "10 ms gaps"),
    ];

    public static string Variant(Case order) => $"{order.Pairs} pairs, {order.Gap}";

    /// <summary>The writer in POSIX sh, which runs execute in: each echo is one write(2) of one line.</summary>
    public static string Command(Case order) =>
        $"i=1; while [ $i -le {order.Pairs} ]; do echo o$i; echo e$i >&2; " +
        (order.Sleep is null ? "" : $"sleep {order.Sleep}; ") +
        "i=$((i+1)); done";

    public static async Task<Measurement> RunAsync(ServerKind kind, BenchConfig config, Case order)
    {
        await using var server = await ServerUnderTest.StartAsync(kind, config, $"order-{order.Pairs}-{order.Sleep ?? "0"}");
        await using var context = new ScenarioContext(server, config);
        await RunOnceAsync(context, order);

        var rssStart = server.Stats.RssBytes();
        server.Stats.ResetPeak();
        var window = context.BeginWindow();
        var (count, complete) = await RunOnceAsync(context, order);
        window.End();

        var m = context.NewMeasurement(Name, Variant(order), rssStart);
        m.Complete = complete;
        m.WallSeconds = window.Seconds;
        m.ServerCpuSeconds = window.ServerCpu;
        m.ClientCpuSeconds = window.ClientCpu;
        m.PeakRssMB = server.Stats.PeakBytes() / (double)BenchConfig.MB;
        m.Figures[InvertedPairs] = count.Inverted;
        m.Figures["misplaced lines"] = count.Misplaced;
        return m;
    }

    /// <summary>The figure whose target is judged on the worst repetition: 0 in every run.</summary>
    public const string InvertedPairs = "inverted pairs";

    /// <summary>Starts the writer, waits for its terminal status, counts its log; "ok" when it succeeded and every line is there once.</summary>
    private static async Task<(LineOrder Count, string Complete)> RunOnceAsync(ScenarioContext context, Case order)
    {
        var runId = await context.Rest.StartAsync(Command(order), context.Timeout);
        var status = await context.Rest.WaitFinishedAsync(runId, context.Config.ScenarioTimeout);
        var count = LineOrder.Count(await context.Rest.LogAsync(runId, context.Timeout), order.Pairs);
        var complete = status != "succeeded" ? $"run {status}" : count.Problem.Length > 0 ? count.Problem : "ok";
        return (count, complete);
    }
}
