using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Scenario 2: N subscribers, a run printing timestamped lines at a steady rate; the latency
/// of each line is the load generator's clock when the frame arrived minus the writer's clock
/// when it wrote the line (same machine, same clock).
/// </summary>
internal static class LatencyScenario
{
    public const string Name = "2. latency";

    public static string Variant(BenchConfig config, int subscribers) => $"{subscribers} subs, {config.LatencyLinesPerSecond} lines/s, {config.LatencySeconds} s";

    // "1764061234567.123\n": 13 digits of ms, 3 decimals, a newline.
    private const int LineBytes = 18;

    public static async Task<Measurement> RunAsync(ServerKind kind, BenchConfig config, int subscribers)
    {
        await using var server = await ServerUnderTest.StartAsync(kind, config, $"latency-{subscribers}");
        await using var context = new ScenarioContext(server, config);
        await Warmup.RunAsync(context);

        var gate = Gate.Create(config.WorkDir);
        var runId = await context.Rest.StartAsync(Commands.Gated(gate, Commands.TimestampWriter(config.LatencyLinesPerSecond, config.LatencySeconds)));
        var recorder = new LatencyRecorder();
        var connections = await context.ConnectAsync(subscribers, i => new Subscriber(i, recorder));
        await ScenarioContext.SubscribeAllAsync(connections, runId);
        await Task.Delay(200);

        var rssStart = server.Stats.RssBytes();
        server.Stats.ResetPeak();
        var window = context.BeginWindow();
        await gate.OpenAsync();
        var subs = connections.Select(c => c.Subscriber).ToArray();
        await context.WaitDoneAsync(subs);
        window.End();

        var lines = config.LatencyLinesPerSecond * config.LatencySeconds;
        var m = context.NewMeasurement(Name, Variant(config, subscribers), rssStart);
        m.Complete = ScenarioContext.Verify(subs, (long)lines * LineBytes);
        m.WallSeconds = window.Seconds;
        m.ServerCpuSeconds = window.ServerCpu;
        m.ClientCpuSeconds = window.ClientCpu;
        m.PeakRssMB = server.Stats.PeakBytes() / (double)BenchConfig.MB;
        var summary = recorder.Summarize();
        if (summary.Samples != (long)lines * subscribers && m.Complete == "ok")
        {
            m.Complete = $"{summary.Samples} latency samples where {(long)lines * subscribers} were expected";
        }
        m.Figures["p50 (ms)"] = summary.P50;
        m.Figures["p90 (ms)"] = summary.P90;
        m.Figures["p99 (ms)"] = summary.P99;
        m.Figures["max (ms)"] = summary.Max;
        m.Figures["min (ms)"] = summary.Min;
        return m;
    }
}
