using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Scenarios;

namespace RunsStream.LoadGen.Fleet;

/// <summary>
/// Fleet part 1: one run writing as fast as it can, posted to node 0, to subscribers spread
/// round-robin over the fleet's nodes (subscriber i on node i mod N). With several nodes the run
/// executes on whichever node claims it (reported); the others fan it out from Redis. Measured
/// like scenario 1 from the gate to the last terminal status; the server CPU is the sum of all
/// nodes' utime + stime, and Redis's and PostgreSQL's CPU is reported beside it.
/// </summary>
internal static class FleetFanOutScenario
{
    public const string Name = "F1. fleet fan-out";

    public static string Variant(int nodes, int subscribers, long bytes) =>
        $"{nodes} node{(nodes == 1 ? "" : "s")}, {subscribers} x {Format.Bytes(bytes)}";

    public static async Task<Measurement> RunAsync(BenchConfig config, FleetServices services, int nodes, int subscribers, long bytes)
    {
        await using var fleet = await FleetNodes.StartAsync(config, services, $"fleet-fanout-{nodes}", nodes);
        var gate = Gate.Create(config.WorkDir);
        var runId = await fleet.Context(0).Rest.StartAsync(Commands.Gated(gate, Commands.FastWriter(bytes)));
        var executor = await fleet.WaitClaimedAsync(runId);

        var connections = new List<WsConnection>();
        for (var node = 0; node < nodes; node++)
        {
            var count = subscribers / nodes + (node < subscribers % nodes ? 1 : 0);
            var first = connections.Count;
            connections.AddRange(await fleet.Context(node).ConnectAsync(count, i => new Subscriber(first + i)));
        }
        await ScenarioContext.SubscribeAllAsync(connections, runId);
        await Task.Delay(200);

        var cpu = FleetWindow.Begin(fleet, services);
        var window = fleet.Context(0).BeginWindow();
        await gate.OpenAsync();
        var subs = connections.Select(c => c.Subscriber).ToArray();
        await fleet.Context(0).WaitDoneAsync(subs);
        window.End();
        cpu.End();

        var m = new Measurement(Name, Variant(nodes, subscribers, bytes), "fleet")
        {
            Complete = ScenarioContext.Verify(subs, bytes),
            WallSeconds = subs.Max(s => window.SecondsTo(s.DoneAt)),
            ServerCpuSeconds = cpu.NodesCpu,
            ClientCpuSeconds = window.ClientCpu,
        };
        var deliveredMB = (double)subscribers * bytes / BenchConfig.MB;
        m.Figures["aggregate MB/s"] = deliveredMB / m.WallSeconds;
        m.Figures["all nodes' CPU s per delivered MB"] = cpu.NodesCpu / deliveredMB;
        m.Figures["executing node's CPU (s)"] = cpu.NodeCpu[executor];
        m.Figures["executing node (index; posted to 0)"] = executor;
        m.Figures["Redis + PostgreSQL CPU (s)"] = cpu.ServicesCpu;
        m.Figures["load generator CPU (s)"] = window.ClientCpu;
        return m;
    }
}
