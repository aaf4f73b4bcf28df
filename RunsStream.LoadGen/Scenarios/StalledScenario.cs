using System.Diagnostics;
using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Scenario 5: N readers and one subscriber that stops reading (a 64 KiB receive buffer, so the
/// server feels it) during a large run, then reads again once the run is over. One repetition
/// is two fresh servers: one without the stalled subscriber (the readers' baseline) and one with
/// it. Measured: the readers' slowdown, the server's RSS while the subscriber is stalled (its
/// peak from the run's start until the subscriber reads again), and the catch-up: the time from
/// reading again until the stalled subscriber has every byte and the terminal status. The bound
/// on the peak RSS is the RSS at the start + the run's output (retained for replay) + the
/// per-connection buffer (MAX_BUFFERED_BYTES, 16 MiB by default in RunsStream; Node's has none).
/// </summary>
internal static class StalledScenario
{
    public const string Name = "5. stalled subscriber";

    public const string CatchUp = "catch-up once it reads again (ms)";

    public const string RssWhileStalled = "server RSS while stalled, peak (MB)";

    public static string Variant(BenchConfig config) => $"{config.StalledReaders} readers + 1 stalled, {Format.Bytes(config.StalledBytes)} run";

    public const long PerConnectionBound = 16 * BenchConfig.MB;

    public static async Task<Measurement> RunAsync(ServerKind kind, BenchConfig config)
    {
        var baseline = await RunOnceAsync(kind, config, withStalled: false);
        var m = await RunOnceAsync(kind, config, withStalled: true);
        if (baseline.Complete != "ok" && m.Complete == "ok")
        {
            m.Complete = "baseline: " + baseline.Complete;
        }
        m.Figures["readers' time, no stalled sub (s)"] = baseline.WallSeconds;
        m.Figures["readers' time, with stalled sub (s)"] = m.WallSeconds;
        m.Figures["slowdown (with / without)"] = m.WallSeconds / baseline.WallSeconds;
        return m;
    }

    private static async Task<Measurement> RunOnceAsync(ServerKind kind, BenchConfig config, bool withStalled)
    {
        var bytes = config.StalledBytes;
        await using var server = await ServerUnderTest.StartAsync(kind, config, withStalled ? "stalled" : "stalled-baseline");
        await using var context = new ScenarioContext(server, config);
        await Warmup.RunAsync(context);

        var gate = Gate.Create(config.WorkDir);
        var runId = await context.Rest.StartAsync(Commands.Gated(gate, Commands.FastWriter(bytes)));
        var readers = await context.ConnectAsync(config.StalledReaders, i => new Subscriber(i));
        var all = readers.ToList();
        WsConnection? stalled = null;
        if (withStalled)
        {
            stalled = (await context.ConnectAsync(1, _ => new Subscriber(config.StalledReaders) { StallAfterFirstEvent = true }, receiveBufferSize: 64 * 1024))[0];
            all.Add(stalled);
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
        var peak = server.Stats.PeakBytes();
        var rssStalled = server.Stats.RssBytes();

        var m = context.NewMeasurement(Name, Variant(config), rssStart);
        m.Complete = ScenarioContext.Verify(subs, bytes);
        if (stalled is not null)
        {
            var resumed = Stopwatch.GetTimestamp();
            stalled.ReleaseStall();
            await context.WaitDoneAsync([stalled.Subscriber]);
            var late = ScenarioContext.Verify([stalled.Subscriber], bytes);
            if (m.Complete == "ok" && late != "ok")
            {
                m.Complete = "stalled subscriber: " + late;
            }
            if (late == "ok")
            {
                m.Figures[CatchUp] = Stopwatch.GetElapsedTime(resumed, stalled.Subscriber.DoneAt).TotalMilliseconds;
            }
            m.Figures[RssWhileStalled] = peak / (double)BenchConfig.MB;
            m.Figures["server RSS while stalled, after the run (MB)"] = rssStalled / (double)BenchConfig.MB;
            m.Figures["peak RSS growth (MB)"] = (peak - rssStart) / (double)BenchConfig.MB;
            m.Figures["peak RSS / bound"] = peak / (double)(rssStart + bytes + PerConnectionBound);
        }
        window.End();
        m.WallSeconds = seconds;
        m.ServerCpuSeconds = window.ServerCpu;
        m.ClientCpuSeconds = window.ClientCpu;
        m.PeakRssMB = server.Stats.PeakBytes() / (double)BenchConfig.MB;
        await context.CloseAsync(all);
        return m;
    }
}
