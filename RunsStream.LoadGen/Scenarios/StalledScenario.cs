using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Scenario 5: N readers and one subscriber that stops reading (a 64 KiB receive buffer, so the
/// server feels it) during a large run. Measured on two fresh servers: without the stalled
/// subscriber (the readers' baseline) and with it. The bound on the server's peak RSS is its
/// RSS at the start + the run's output (retained for replay) + the per-connection buffer
/// (MAX_BUFFERED_BYTES, 16 MiB by default in RunsStream; Node's has none).
/// </summary>
internal static class StalledScenario
{
    public const string Name = "5. stalled subscriber";

    public static string Variant(BenchConfig config) => $"{config.StalledReaders} readers + 1 stalled, {Format.Bytes(config.StalledBytes)} run";
    public const long PerConnectionBound = 16 * BenchConfig.MB;

    public static async Task<Measurement> RunAsync(ServerKind kind, BenchConfig config)
    {
        var baseline = await RunOnceAsync(kind, config, withStalled: false);
        var stalled = await RunOnceAsync(kind, config, withStalled: true);
        var m = stalled;
        if (baseline.Complete != "ok")
        {
            m.Complete = "baseline: " + baseline.Complete;
        }
        m.Figures["readers' time, no stalled sub (s)"] = baseline.WallSeconds;
        m.Figures["readers' time, with stalled sub (s)"] = stalled.WallSeconds;
        m.Figures["slowdown (with / without)"] = stalled.WallSeconds / baseline.WallSeconds;
        m.Figures["peak RSS growth (MB)"] = m.Figures["growth"];
        m.Figures["peak RSS / bound"] = m.Figures["bound ratio"];
        m.Figures.Remove("growth");
        m.Figures.Remove("bound ratio");
        return m;
    }

    private static async Task<Measurement> RunOnceAsync(ServerKind kind, BenchConfig config, bool withStalled)
    {
        var bytes = config.StalledBytes;
        await using var server = await ServerUnderTest.StartAsync(kind, config, withStalled ? "stalled" : "stalled-baseline");
        await using var context = new ScenarioContext(server, config);
        await Warmup.RunAsync(context);

        var reps = new List<Repetition>();
        double boundRatio = 0;
        // As many repetitions as fan-out: the readers' times are a few tenths of a second, and the
        // slowdown is a ratio of two medians.
        for (var rep = 0; rep < config.FanOutRepeats; rep++)
        {
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
            var seconds = subs.Max(s => window.SecondsTo(s.DoneAt));
            await context.Rest.WaitFinishedAsync(runId, TimeSpan.FromSeconds(30));
            await Task.Delay(500); // what the server holds for the stalled subscriber once the run is over
            window.End();
            var peak = server.Stats.PeakBytes();
            boundRatio = Math.Max(boundRatio, peak / (double)(rssStart + bytes + PerConnectionBound));
            reps.Add(new Repetition(seconds, window.ServerCpu, window.ClientCpu, rssStart / (double)BenchConfig.MB, peak / (double)BenchConfig.MB, ScenarioContext.Verify(subs, bytes)));
            await context.CloseAsync(all);
        }

        var m = Repetitions.Summarize(context.NewMeasurement(Name, Variant(config), 0), reps);
        m.Figures["growth"] = Repetitions.MaxGrowthMB(reps);
        m.Figures["bound ratio"] = boundRatio;
        return m;
    }
}
