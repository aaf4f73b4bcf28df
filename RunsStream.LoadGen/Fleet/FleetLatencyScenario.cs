using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Scenarios;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Fleet;

/// <summary>
/// Fleet part 3: latency of a line written on node A to a subscriber on node C, as scenario 2
/// measures it (the writer's wall clock in the line, the load generator's when the frame
/// arrives). Three nodes; the run is posted while only A is up, so A executes it; then B and C
/// start. N subscribers on C (remote: the line goes A, PostgreSQL commit, Redis, C) and N on A
/// (local, in the same run) are measured apart. The single-node figure is scenario 2 itself
/// (<see cref="LatencyScenario"/>, the embedded SQLite server, N subscribers), run in the same
/// repetition right before.
/// </summary>
internal static class FleetLatencyScenario
{
    public const string Name = "F3. fleet latency";

    // "1764061234567.123\n", as LatencyScenario writes it.
    private const int LineBytes = 18;

    public static string Variant(BenchConfig config, int subscribers) =>
        $"A to C, {subscribers} subs on C + {subscribers} on A, {config.LatencyLinesPerSecond} lines/s, {config.LatencySeconds} s";

    public static async Task<Measurement> RunAsync(BenchConfig config, FleetServices services, int subscribers)
    {
        var single = await LatencyScenario.RunAsync(ServerKind.Ours, config, subscribers);

        await using var fleet = await FleetNodes.StartAsync(config, services, "fleet-latency", 1);
        var gate = Gate.Create(config.WorkDir);
        var runId = await fleet.Context(0).Rest.StartAsync(Commands.Gated(gate, Commands.TimestampWriter(config.LatencyLinesPerSecond, config.LatencySeconds)));
        if (await fleet.WaitClaimedAsync(runId) != 0)
        {
            throw new InvalidOperationException("a run posted while only A was up was claimed elsewhere");
        }
        await fleet.AddAsync();
        var c = await fleet.AddAsync();
        var remoteRecorder = new LatencyRecorder();
        var localRecorder = new LatencyRecorder();
        var remote = await c.ConnectAsync(subscribers, i => new Subscriber(i, remoteRecorder));
        var local = await fleet.Context(0).ConnectAsync(subscribers, i => new Subscriber(subscribers + i, localRecorder));
        var all = remote.Concat(local).ToArray();
        await ScenarioContext.SubscribeAllAsync(all, runId);
        await Task.Delay(200);

        var cpu = FleetWindow.Begin(fleet, services);
        var window = fleet.Context(0).BeginWindow();
        await gate.OpenAsync();
        var subs = all.Select(x => x.Subscriber).ToArray();
        await fleet.Context(0).WaitDoneAsync(subs);
        window.End();
        cpu.End();

        var lines = config.LatencyLinesPerSecond * config.LatencySeconds;
        var m = new Measurement(Name, Variant(config, subscribers), "fleet")
        {
            Complete = single.Complete != "ok" ? "single node: " + single.Complete : ScenarioContext.Verify(subs, (long)lines * LineBytes),
            WallSeconds = window.Seconds,
            ServerCpuSeconds = cpu.NodesCpu,
            ClientCpuSeconds = window.ClientCpu,
        };
        var onC = remoteRecorder.Summarize();
        var onA = localRecorder.Summarize();
        if (m.Complete == "ok" && (onC.Samples != (long)lines * subscribers || onA.Samples != (long)lines * subscribers))
        {
            m.Complete = $"{onC.Samples} + {onA.Samples} latency samples where {(long)lines * subscribers} each were expected";
        }
        m.Figures["single node p50 (ms)"] = single.Figures["p50 (ms)"];
        m.Figures["single node p99 (ms)"] = single.Figures["p99 (ms)"];
        m.Figures["fleet, sub on A p50 (ms)"] = onA.P50;
        m.Figures["fleet, sub on A p99 (ms)"] = onA.P99;
        m.Figures["fleet, sub on C p50 (ms)"] = onC.P50;
        m.Figures["fleet, sub on C p90 (ms)"] = onC.P90;
        m.Figures["fleet, sub on C p99 (ms)"] = onC.P99;
        m.Figures["fleet, sub on C max (ms)"] = onC.Max;
        m.Figures["C p99 / single node p99"] = onC.P99 / single.Figures["p99 (ms)"];
        m.Figures["single node CPU (s)"] = single.ServerCpuSeconds;
        m.Figures["Redis + PostgreSQL CPU (s)"] = cpu.ServicesCpu;
        return m;
    }
}
