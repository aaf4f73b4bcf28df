using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Scenario 3: N authenticated, idle WebSocket connections, each connected to "/runs" and
/// subscribed to a run that prints nothing, as the web terminal's would be. Connect rate:
/// connections per second, each counted once its subscription is acknowledged. Memory: the RSS
/// growth, settled, divided by N. A single RSS reading depends on when the server last
/// collected garbage: the median of the repetitions (each on a fresh server) says more.
/// </summary>
internal static class IdleScenario
{
    public const string Name = "3. idle";

    public static string Variant(BenchConfig config) => $"{config.IdleConnections} subscribed on {Namespace}";

    /// <summary>The namespace the web terminal subscribes on.</summary>
    public const string Namespace = "/runs";

    public const string PerConnection = "RSS per subscribed connection (KB)";

    public static async Task<Measurement> RunAsync(ServerKind kind, BenchConfig config)
    {
        var count = config.IdleConnections;
        await using var server = await ServerUnderTest.StartAsync(kind, config, "idle");
        await using var context = new ScenarioContext(server, config);
        await Warmup.RunAsync(context);

        var runId = await context.Rest.StartAsync(Commands.Idle);
        await Task.Delay(1000);
        var rssStart = server.Stats.RssBytes();
        server.Stats.ResetPeak();
        var window = context.BeginWindow();
        var subscribers = new List<Subscriber>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            var connections = await context.ConnectAsync(1, n => new Subscriber(i), ns: Namespace);
            await ScenarioContext.SubscribeAllAsync(connections, runId);
            lock (subscribers)
            {
                subscribers.Add(connections[0].Subscriber);
            }
        });
        window.End();
        await Task.Delay(3000); // settle: lazily grown buffers, GC
        var rssSettled = server.Stats.RssBytes();

        var m = context.NewMeasurement(Name, Variant(config), rssStart);
        var failed = subscribers.Count(s => s.Error is not null);
        m.Complete = failed == 0 && subscribers.Count == count ? "ok" : $"{failed} of {count} failed: {subscribers.First(s => s.Error is not null).Error}";
        m.WallSeconds = window.Seconds;
        m.ServerCpuSeconds = window.ServerCpu;
        m.ClientCpuSeconds = window.ClientCpu;
        m.PeakRssMB = server.Stats.PeakBytes() / (double)BenchConfig.MB;
        m.Figures[PerConnection] = (rssSettled - rssStart) / 1024.0 / count;
        m.Figures["connect rate (conn/s)"] = count / window.Seconds;
        m.Figures["RSS growth (MB)"] = (rssSettled - rssStart) / (double)BenchConfig.MB;
        await context.Rest.CancelAsync(runId);
        return m;
    }
}
