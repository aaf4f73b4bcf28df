using System.Collections.Concurrent;
using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>Scenario 6: N long-polling-only subscribers (no upgrade) on one fast run; one repetition on a fresh server.</summary>
internal static class PollingScenario
{
    public const string Name = "6. polling";

    public static string Variant(BenchConfig config) => $"{config.PollingSubscribers} subs x {Format.Bytes(config.PollingBytes)}";

    public static async Task<Measurement> RunAsync(ServerKind kind, BenchConfig config)
    {
        var bytes = config.PollingBytes;
        var count = config.PollingSubscribers;
        await using var server = await ServerUnderTest.StartAsync(kind, config, "polling");
        await using var context = new ScenarioContext(server, config);
        await Warmup.RunAsync(context);

        var gate = Gate.Create(config.WorkDir);
        var runId = await context.Rest.StartAsync(Commands.Gated(gate, Commands.FastWriter(bytes)));
        var subs = await ConnectAsync(context, count, runId);
        await Task.WhenAll(subs.Select(s => s.Subscribed)).WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(200);

        var rssStart = server.Stats.RssBytes();
        server.Stats.ResetPeak();
        var window = context.BeginWindow();
        await gate.OpenAsync();
        await context.WaitDoneAsync(subs);
        window.End();

        var m = context.NewMeasurement(Name, Variant(config), rssStart);
        m.Complete = ScenarioContext.Verify(subs, bytes);
        m.WallSeconds = subs.Max(s => window.SecondsTo(s.DoneAt));
        m.ServerCpuSeconds = window.ServerCpu;
        m.ClientCpuSeconds = window.ClientCpu;
        m.PeakRssMB = server.Stats.PeakBytes() / (double)BenchConfig.MB;
        var deliveredMB = (double)count * bytes / BenchConfig.MB;
        m.Figures["time to done (s)"] = m.WallSeconds;
        m.Figures["aggregate MB/s"] = deliveredMB / m.WallSeconds;
        m.Figures["server CPU s per delivered MB"] = m.ServerCpuSeconds / deliveredMB;
        return m;
    }

    /// <summary>Opens <paramref name="count"/> polling sessions, starts their poll loops and subscribes each to <paramref name="runId"/>.</summary>
    public static async Task<Subscriber[]> ConnectAsync(ScenarioContext context, int count, string runId)
    {
        var subs = new ConcurrentBag<Subscriber>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = context.Timeout }, async (i, ct) =>
        {
            var subscriber = new Subscriber(i);
            var connection = await PollingConnection.ConnectAsync(context.Http, context.Server.Url, context.Config.Token, subscriber, ct);
            _ = Task.Run(() => connection.RunAsync(context.Timeout));
            await connection.SubscribeAsync(runId, 0, ct);
            subs.Add(subscriber);
        });
        return subs.OrderBy(s => s.Index).ToArray();
    }
}
