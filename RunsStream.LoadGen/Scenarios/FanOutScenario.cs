using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Scenario 1: one run writing as fast as it can to N WebSocket subscribers. All subscribe
/// before the run's output starts (it waits on a gate); measured from the gate to the last
/// subscriber's terminal status.
/// </summary>
internal static class FanOutScenario
{
    public const string Name = "1. fan-out";

    public static async Task<Measurement> RunAsync(ServerKind kind, BenchConfig config, int subscribers, long bytes)
    {
        await using var server = await ServerUnderTest.StartAsync(kind, config, $"fanout-{subscribers}");
        await using var context = new ScenarioContext(server, config);
        await Warmup.RunAsync(context);

        var gate = Gate.Create(config.WorkDir);
        var runId = await context.Rest.StartAsync(Commands.Gated(gate, Commands.FastWriter(bytes)));
        var connections = await context.ConnectAsync(subscribers, i => new Subscriber(i));
        await ScenarioContext.SubscribeAllAsync(connections, runId);
        await Task.Delay(200);

        var rssStart = server.Stats.RssBytes();
        server.Stats.ResetPeak();
        var window = context.BeginWindow();
        await gate.OpenAsync();
        var subs = connections.Select(c => c.Subscriber).ToArray();
        await context.WaitDoneAsync(subs);
        window.End();

        var m = context.NewMeasurement(Name, $"{subscribers} x {Format.Bytes(bytes)}", rssStart);
        var seconds = subs.Max(s => window.SecondsTo(s.DoneAt));
        var deliveredMB = (double)subscribers * bytes / BenchConfig.MB;
        m.Complete = ScenarioContext.Verify(subs, bytes);
        m.WallSeconds = seconds;
        m.ServerCpuSeconds = window.ServerCpu;
        m.ClientCpuSeconds = window.ClientCpu;
        m.PeakRssMB = server.Stats.PeakBytes() / (double)BenchConfig.MB;
        m.Figures["time to done (s)"] = seconds;
        m.Figures["aggregate MB/s"] = deliveredMB / seconds;
        m.Figures["server CPU s per delivered MB"] = window.ServerCpu / deliveredMB;
        return m;
    }
}
