using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Scenario 3: N authenticated, subscribed, idle WebSocket connections (subscribed to a run that
/// prints nothing). Connect rate: connections per second, each counted once its subscription is
/// acknowledged. Memory: the RSS growth, settled, divided by N. A single RSS reading depends on
/// when the server last collected garbage, so the scenario is repeated on fresh servers and
/// each figure is the median of the repetitions.
/// </summary>
internal static class IdleScenario
{
    public const string Name = "3. idle";

    public static string Variant(BenchConfig config) => $"{config.IdleConnections} connections";

    public static async Task<Measurement> RunAsync(ServerKind kind, BenchConfig config)
    {
        var reps = new List<(Measurement M, double KbPerConnection, double Rate, double GrowthMB)>();
        for (var rep = 0; rep < config.Repeats; rep++)
        {
            reps.Add(await RunOnceAsync(kind, config));
        }
        var median = reps.OrderBy(r => r.KbPerConnection).ElementAt(reps.Count / 2);
        var m = median.M;
        m.Complete = reps.Select(r => r.M.Complete).FirstOrDefault(c => c != "ok") ?? "ok";
        m.PeakRssMB = reps.Max(r => r.M.PeakRssMB);
        m.Figures["RSS per connection (KB)"] = median.KbPerConnection;
        m.Figures["connect rate (conn/s)"] = Repetitions.Median(reps.Select(r => r.Rate));
        m.Figures["RSS growth (MB)"] = median.GrowthMB;
        return m;
    }

    private static async Task<(Measurement M, double KbPerConnection, double Rate, double GrowthMB)> RunOnceAsync(ServerKind kind, BenchConfig config)
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
            var connections = await context.ConnectAsync(1, n => new Subscriber(i));
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
        await context.Rest.CancelAsync(runId);
        return (m, (rssSettled - rssStart) / 1024.0 / count, count / window.Seconds, (rssSettled - rssStart) / (double)BenchConfig.MB);
    }
}
