using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Scenario 4: a run has finished with a large log; N connected subscribers then subscribe at
/// once from seq 0. Measured from the subscribe packets to the last terminal status, with the
/// server's peak RSS growth over its RSS after the run (the backlog is already retained then).
/// One repetition on a fresh server.
/// </summary>
internal static class LateJoinScenario
{
    public const string Name = "4. late join";

    public static string Variant(BenchConfig config) => $"{config.LateJoinSubscribers} subs join a finished {Format.Bytes(config.LateJoinBytes)} run";

    public static async Task<Measurement> RunAsync(ServerKind kind, BenchConfig config)
    {
        var bytes = config.LateJoinBytes;
        var count = config.LateJoinSubscribers;
        await using var server = await ServerUnderTest.StartAsync(kind, config, "latejoin");
        await using var context = new ScenarioContext(server, config);
        await Warmup.RunAsync(context);

        var runId = await context.Rest.StartAsync(Commands.FastWriter(bytes));
        await context.Rest.WaitFinishedAsync(runId, TimeSpan.FromSeconds(60));
        var connections = await context.ConnectAsync(count, i => new Subscriber(i));
        await Task.Delay(1000);

        var rssStart = server.Stats.RssBytes();
        server.Stats.ResetPeak();
        var window = context.BeginWindow();
        foreach (var connection in connections)
        {
            connection.Subscribe(runId, 0);
        }
        var subs = connections.Select(c => c.Subscriber).ToArray();
        await context.WaitDoneAsync(subs);
        window.End();

        var m = context.NewMeasurement(Name, Variant(config), rssStart);
        m.Complete = ScenarioContext.Verify(subs, bytes);
        m.WallSeconds = subs.Max(s => window.SecondsTo(s.DoneAt));
        m.ServerCpuSeconds = window.ServerCpu;
        m.ClientCpuSeconds = window.ClientCpu;
        m.PeakRssMB = server.Stats.PeakBytes() / (double)BenchConfig.MB;
        var growth = m.PeakRssMB - m.RssStartMB;
        m.Figures["time until all have it (s)"] = m.WallSeconds;
        m.Figures["aggregate MB/s"] = (double)count * bytes / BenchConfig.MB / m.WallSeconds;
        m.Figures["peak RSS growth (MB)"] = growth;
        m.Figures["peak RSS growth / backlog"] = growth * BenchConfig.MB / bytes;
        return m;
    }
}
