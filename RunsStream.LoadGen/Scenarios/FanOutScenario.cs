using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Scenario 1: one run writing as fast as it can to N WebSocket subscribers. All subscribe
/// before the run's output starts (it waits on a gate); measured from the gate to the last
/// subscriber's terminal status. Repeated on the same server; a fresh run and fresh
/// connections each time.
/// </summary>
internal static class FanOutScenario
{
    public const string Name = "1. fan-out";

    public static string Variant(int subscribers, long bytes) => $"{subscribers} x {Format.Bytes(bytes)}";

    public static async Task<Measurement> RunAsync(ServerKind kind, BenchConfig config, int subscribers, long bytes)
    {
        await using var server = await ServerUnderTest.StartAsync(kind, config, $"fanout-{subscribers}");
        await using var context = new ScenarioContext(server, config);
        await Warmup.RunAsync(context);

        var reps = new List<Repetition>();
        double kernelCpu = 0;
        for (var rep = 0; rep < config.FanOutRepeats; rep++)
        {
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
            kernelCpu += window.ServerKernelCpu;
            reps.Add(new Repetition(
                subs.Max(s => window.SecondsTo(s.DoneAt)), window.ServerCpu, window.ClientCpu,
                rssStart / (double)BenchConfig.MB, server.Stats.PeakBytes() / (double)BenchConfig.MB,
                ScenarioContext.Verify(subs, bytes)));
            await context.CloseAsync(connections);
        }

        var m = Repetitions.Summarize(context.NewMeasurement(Name, Variant(subscribers, bytes), 0), reps);
        var deliveredMB = (double)subscribers * bytes / BenchConfig.MB;
        m.Figures["time to done (s)"] = m.WallSeconds;
        m.Figures["aggregate MB/s"] = deliveredMB / m.WallSeconds;
        m.Figures["server CPU s per delivered MB"] = m.ServerCpuSeconds / deliveredMB;
        // The kernel's part (copying into socket buffers, loopback TCP) is the same work for any
        // server: the share says how much of the figure a server's own code can change.
        m.Figures["server CPU in the kernel (%)"] = m.ServerCpuSeconds > 0 ? 100 * kernelCpu / reps.Count / m.ServerCpuSeconds : 0;
        return m;
    }
}
