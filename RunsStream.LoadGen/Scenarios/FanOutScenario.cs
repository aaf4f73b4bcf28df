using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Scenario 1: one run writing as fast as it can to N WebSocket subscribers on one namespace.
/// All subscribe before the run's output starts (it waits on a gate); measured from the gate to
/// the last subscriber's terminal status. One repetition on a fresh, warmed-up server; the
/// cases are big enough (<see cref="FanOutSizing"/>) for the server's CPU to be read over a
/// second or more.
/// </summary>
internal static class FanOutScenario
{
    public const string Name = "1. fan-out";

    public static string Variant(FanOutCase c) =>
        $"{c.Subscribers} x {Format.Bytes(c.Bytes)}" + (c.Namespace == "/" ? "" : " on " + c.Namespace);

    public static async Task<Measurement> RunAsync(ServerKind kind, BenchConfig config, FanOutCase c)
    {
        await using var server = await ServerUnderTest.StartAsync(kind, config, $"fanout-{c.Subscribers}");
        await using var context = new ScenarioContext(server, config);
        await Warmup.RunAsync(context);

        var gate = Gate.Create(config.WorkDir);
        var runId = await context.Rest.StartAsync(Commands.Gated(gate, Commands.FastWriter(c.Bytes)));
        var connections = await context.ConnectAsync(c.Subscribers, i => new Subscriber(i), ns: c.Namespace);
        await ScenarioContext.SubscribeAllAsync(connections, runId);
        await Task.Delay(200);

        var rssStart = server.Stats.RssBytes();
        server.Stats.ResetPeak();
        var window = context.BeginWindow();
        await gate.OpenAsync();
        var subs = connections.Select(s => s.Subscriber).ToArray();
        await context.WaitDoneAsync(subs);
        window.End();

        var m = context.NewMeasurement(Name, Variant(c), rssStart);
        m.Complete = ScenarioContext.Verify(subs, c.Bytes);
        m.WallSeconds = subs.Max(s => window.SecondsTo(s.DoneAt));
        m.ServerCpuSeconds = window.ServerCpu;
        m.ClientCpuSeconds = window.ClientCpu;
        m.PeakRssMB = server.Stats.PeakBytes() / (double)BenchConfig.MB;
        var deliveredMB = (double)c.Subscribers * c.Bytes / BenchConfig.MB;
        m.Figures["time to done (s)"] = m.WallSeconds;
        m.Figures["aggregate MB/s"] = deliveredMB / m.WallSeconds;
        m.Figures["server CPU s per delivered MB"] = m.ServerCpuSeconds / deliveredMB;
        // The kernel's part (copying into socket buffers, loopback TCP) is the same work for any
        // server: the share says how much of the figure a server's own code can change.
        m.Figures["server CPU in the kernel (%)"] = m.ServerCpuSeconds > 0 ? 100 * window.ServerKernelCpu / m.ServerCpuSeconds : 0;
        m.Figures["load generator CPU (s)"] = m.ClientCpuSeconds;
        return m;
    }
}
