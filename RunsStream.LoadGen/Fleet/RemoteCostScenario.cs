using RunsStream.LoadGen.Client;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Scenarios;

namespace RunsStream.LoadGen.Fleet;

/// <summary>
/// Fleet part 2: what a subscriber costs on a node that does not execute the run, against one on
/// the node that does. Two nodes, A and B. Three identical gated runs are posted while only A is
/// up, so A claims all three (its 4 slots are free; a gated run waits on its FIFO); then B starts.
/// The runs are released one after the other:
///   base:   no subscriber;          A's CPU = the run's own cost on A (execute, store, publish)
///   local:  N subscribers on A;     A's CPU - base = the local fan-out of N subscribers
///   remote: N subscribers on B;     B's whole CPU = what N remote subscribers cost their node
/// The ratio is remote / local, per delivered MB (the same MB in both). B's whole CPU is
/// counted, its fixed costs (heartbeats, the once-a-second mirror check) included; B's CPU
/// over the base run shows how much of it that is. Every run's end is also awaited by polling
/// GET /runs/{id} on A, the same in all three, so the base run has its end detected too.
/// </summary>
internal static class RemoteCostScenario
{
    public const string Name = "F2. remote subscriber cost";

    public static string Variant(int subscribers, long bytes) => $"2 nodes, run on A, {subscribers} x {Format.Bytes(bytes)}";

    public static async Task<Measurement> RunAsync(BenchConfig config, FleetServices services, int subscribers, long bytes)
    {
        await using var fleet = await FleetNodes.StartAsync(config, services, "fleet-remote", 1);
        var a = fleet.Context(0);
        var gates = new Gate[3];
        var runs = new string[3];
        for (var i = 0; i < 3; i++)
        {
            gates[i] = Gate.Create(config.WorkDir);
            runs[i] = await a.Rest.StartAsync(Commands.Gated(gates[i], Commands.FastWriter(bytes)));
            if (await fleet.WaitClaimedAsync(runs[i]) != 0)
            {
                throw new InvalidOperationException("a run posted while only A was up was claimed elsewhere");
            }
        }
        var b = await fleet.AddAsync();

        var baseRun = await MeasureAsync(fleet, services, a, null, runs[0], gates[0], 0, bytes);
        var local = await MeasureAsync(fleet, services, a, a, runs[1], gates[1], subscribers, bytes);
        var remote = await MeasureAsync(fleet, services, a, b, runs[2], gates[2], subscribers, bytes);

        var deliveredMB = (double)subscribers * bytes / BenchConfig.MB;
        var localShare = local.Cpu.NodeCpu[0] - baseRun.Cpu.NodeCpu[0];
        var remoteWhole = remote.Cpu.NodeCpu[1];
        var m = new Measurement(Name, Variant(subscribers, bytes), "fleet")
        {
            Complete = local.Complete != "ok" ? "local: " + local.Complete : remote.Complete != "ok" ? "remote: " + remote.Complete : "ok",
            ServerCpuSeconds = baseRun.Cpu.NodesCpu + local.Cpu.NodesCpu + remote.Cpu.NodesCpu,
            WallSeconds = baseRun.Seconds + local.Seconds + remote.Seconds,
        };
        m.Figures["A's CPU, run alone (s)"] = baseRun.Cpu.NodeCpu[0];
        m.Figures["A's CPU, N local subs (s)"] = local.Cpu.NodeCpu[0];
        m.Figures["local fan-out share on A (s)"] = localShare;
        m.Figures["B's CPU, N remote subs (s)"] = remoteWhole;
        m.Figures["B's CPU, run alone, no subs (s)"] = baseRun.Cpu.NodeCpu[1];
        m.Figures["A's CPU, N remote subs on B (s)"] = remote.Cpu.NodeCpu[0];
        m.Figures["local CPU s per delivered MB"] = localShare / deliveredMB;
        m.Figures["remote CPU s per delivered MB"] = remoteWhole / deliveredMB;
        m.Figures["remote / local"] = localShare > 0 ? remoteWhole / localShare : double.NaN;
        m.Figures["local MB/s"] = deliveredMB / local.Seconds;
        m.Figures["remote MB/s"] = deliveredMB / remote.Seconds;
        return m;
    }

    private sealed record Part(FleetWindow Cpu, double Seconds, string Complete);

    /// <summary>Releases one run with <paramref name="count"/> subscribers on <paramref name="on"/> and waits until it finished and they have it all.</summary>
    private static async Task<Part> MeasureAsync(FleetNodes fleet, FleetServices services, ScenarioContext a, ScenarioContext? on, string runId, Gate gate, int count, long bytes)
    {
        var connections = on is null ? [] : await on.ConnectAsync(count, i => new Subscriber(i));
        await ScenarioContext.SubscribeAllAsync(connections, runId);
        await Task.Delay(200);
        var cpu = FleetWindow.Begin(fleet, services);
        var window = a.BeginWindow();
        await gate.OpenAsync();
        var subs = connections.Select(c => c.Subscriber).ToArray();
        var status = await a.Rest.WaitFinishedAsync(runId, a.Config.ScenarioTimeout);
        await a.WaitDoneAsync(subs);
        window.End();
        cpu.End();
        var complete = status != "succeeded" ? "run ended " + status : subs.Length == 0 ? "ok" : ScenarioContext.Verify(subs, bytes);
        if (on is not null)
        {
            await on.CloseAsync(connections);
        }
        return new Part(cpu, window.Seconds, complete);
    }
}
