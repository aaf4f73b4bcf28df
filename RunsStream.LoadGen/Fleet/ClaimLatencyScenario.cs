using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Scenarios;

namespace RunsStream.LoadGen.Fleet;

/// <summary>
/// Fleet part 4: queue claim latency. Short runs (<c>true</c>) posted one at a time, round-robin
/// over the nodes as a balancer would, each once the previous one finished (so a slot is always
/// free): the time from POST /runs answered (this process's wall clock) to the run's
/// <c>startedAt</c> (the claiming node's wall clock when it marked the run running; same
/// machine, same clock; milliseconds, as the API prints them). Which node claimed each run comes
/// from the nodes' "Claimed run" log lines.
/// </summary>
internal static class ClaimLatencyScenario
{
    public const string Name = "F4. queue claim latency";

    public static string Variant(int nodes, int runs) => $"{nodes} node{(nodes == 1 ? "" : "s")}, {runs} runs";

    public static async Task<Measurement> RunAsync(BenchConfig config, FleetServices services, int nodes, int runs)
    {
        await using var fleet = await FleetNodes.StartAsync(config, services, $"fleet-claim-{nodes}", nodes);
        var latencies = new List<double>(runs);
        var roundTrips = new List<double>(runs);
        var claims = new int[nodes];
        var sameNode = 0;
        var cpu = FleetWindow.Begin(fleet, services);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < runs; i++)
        {
            var node = i % nodes;
            var rest = fleet.Context(node).Rest;
            var sent = Stopwatch.GetTimestamp();
            var runId = await rest.StartAsync("true");
            var answered = DateTimeOffset.UtcNow;
            roundTrips.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            await rest.WaitFinishedAsync(runId, TimeSpan.FromSeconds(60));
            var startedAt = await StartedAtAsync(fleet.Context(node), runId);
            latencies.Add(Math.Max(0, (startedAt - answered).TotalMilliseconds));
            var claimer = await fleet.WaitClaimedAsync(runId);
            claims[claimer]++;
            sameNode += claimer == node ? 1 : 0;
        }
        cpu.End();

        latencies.Sort();
        roundTrips.Sort();
        var m = new Measurement(Name, Variant(nodes, runs), "fleet")
        {
            WallSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds,
            ServerCpuSeconds = cpu.NodesCpu,
        };
        m.Figures["POST answered to startedAt p50 (ms)"] = Quantile(latencies, 0.50);
        m.Figures["POST answered to startedAt p99 (ms)"] = Quantile(latencies, 0.99);
        m.Figures["POST answered to startedAt max (ms)"] = latencies[^1];
        m.Figures["POST /runs round trip p50 (ms)"] = Quantile(roundTrips, 0.50);
        m.Figures["runs claimed by the node posted to (%)"] = 100.0 * sameNode / runs;
        m.Figures["most runs claimed by one node (%)"] = 100.0 * claims.Max() / runs;
        return m;
    }

    private static double Quantile(List<double> sorted, double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

    private static async Task<DateTimeOffset> StartedAtAsync(ScenarioContext context, string runId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(context.Server.Url, "/runs/" + runId));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", context.Config.Token);
        using var response = await context.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var text = json.RootElement.GetProperty("startedAt").GetString()
            ?? throw new InvalidOperationException($"run {runId} finished without startedAt");
        return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }
}
