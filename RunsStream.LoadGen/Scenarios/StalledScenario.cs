using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Scenario 5: N readers and one subscriber that stops reading (a 64 KiB receive buffer, so the
/// server feels it) during a large run. Measured twice on fresh servers: without the stalled
/// subscriber (the readers' baseline) and with it. The bound on the server's peak RSS is its
/// RSS at the start + the run's output (retained for replay) + the per-connection buffer
/// (MAX_BUFFERED_BYTES, 16 MiB by default in RunsStream; Node's has none).
/// </summary>
internal static class StalledScenario
{
    public const string Name = "5. stalled subscriber";
    public const long PerConnectionBound = 16 * BenchConfig.MB;

    public static async Task<Measurement> RunAsync(ServerKind kind, BenchConfig config)
    {
        var baseline = await RunOnceAsync(kind, config, withStalled: false);
        var stalled = await RunOnceAsync(kind, config, withStalled: true);
        var m = stalled.Measurement;
        m.Complete = baseline.Measurement.Complete == "ok" ? stalled.Measurement.Complete : "baseline: " + baseline.Measurement.Complete;
        m.Figures["readers' time, no stalled sub (s)"] = baseline.ReadersSeconds;
        m.Figures["readers' time, with stalled sub (s)"] = stalled.ReadersSeconds;
        m.Figures["slowdown (with / without)"] = stalled.ReadersSeconds / baseline.ReadersSeconds;
        m.Figures["peak RSS growth (MB)"] = m.PeakRssMB - m.RssStartMB;
        m.Figures["peak RSS / bound"] = m.PeakRssMB / (m.RssStartMB + (double)(config.StalledBytes + PerConnectionBound) / BenchConfig.MB);
        return m;
    }

    private static async Task<(Measurement Measurement, double ReadersSeconds)> RunOnceAsync(ServerKind kind, BenchConfig config, bool withStalled)
    {
        var bytes = config.StalledBytes;
        await using var server = await ServerUnderTest.StartAsync(kind, config, withStalled ? "stalled" : "stalled-baseline");
        await using var context = new ScenarioContext(server, config);
        await Warmup.RunAsync(context);

        var gate = Gate.Create(config.WorkDir);
        var runId = await context.Rest.StartAsync(Commands.Gated(gate, Commands.FastWriter(bytes)));
        var readers = await context.ConnectAsync(config.StalledReaders, i => new Subscriber(i));
        var all = readers.ToList();
        if (withStalled)
        {
            all.AddRange(await context.ConnectAsync(1, _ => new Subscriber(config.StalledReaders) { StallAfterFirstEvent = true }, receiveBufferSize: 64 * 1024));
        }
        await ScenarioContext.SubscribeAllAsync(all, runId);
        await Task.Delay(200);

        var rssStart = server.Stats.RssBytes();
        server.Stats.ResetPeak();
        var window = context.BeginWindow();
        await gate.OpenAsync();
        var subs = readers.Select(c => c.Subscriber).ToArray();
        await context.WaitDoneAsync(subs);
        await context.Rest.WaitFinishedAsync(runId, TimeSpan.FromSeconds(30));
        await Task.Delay(500); // what the server holds for the stalled subscriber once the run is over
        window.End();

        var m = context.NewMeasurement(Name, $"{config.StalledReaders} readers + 1 stalled, {Format.Bytes(bytes)} run", rssStart);
        var seconds = subs.Max(s => window.SecondsTo(s.DoneAt));
        m.Complete = ScenarioContext.Verify(subs, bytes);
        m.WallSeconds = seconds;
        m.ServerCpuSeconds = window.ServerCpu;
        m.ClientCpuSeconds = window.ClientCpu;
        m.PeakRssMB = server.Stats.PeakBytes() / (double)BenchConfig.MB;
        return (m, seconds);
    }
}
