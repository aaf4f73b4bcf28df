using System.Text.Json;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Scenarios;

namespace RunsStream.LoadGen.Fleet;

/// <summary>The sizes of a fleet bench run (full, or --quick to check that it works).</summary>
internal sealed record FleetSizes(
    int FanOutSubscribers, long FanOutBytes, int RemoteSubscribers, long RemoteBytes, int LatencySubscribers, int ClaimRuns)
{
    // Full: each CPU figure read over a second or more on 2 cores (measured 2026-12-03; see
    // bench/README.md "Fleet"), the latency scenario at issue 12's 100 subscribers.
    public static readonly FleetSizes Full = new(100, 32 * BenchConfig.MB, 100, 32 * BenchConfig.MB, 100, 200);

    public static readonly FleetSizes Quick = new(20, 2 * BenchConfig.MB, 10, 4 * BenchConfig.MB, 10, 20);
}

/// <summary>
/// scripts/bench --fleet: the fleet parts (issue 14), each repeated <see cref="BenchConfig.Repeats"/>
/// times on fresh nodes and an emptied database, combined into medians and ranges, written to
/// bench/results/fleet-&lt;date&gt;.md and .json.
/// </summary>
internal static class FleetBench
{
    public static async Task<int> RunAsync(BenchConfig config, string outDir, bool quick, Func<int, bool> selected)
    {
        var services = FleetServices.FromEnvironment();
        var sizes = quick ? FleetSizes.Quick : FleetSizes.Full;
        var started = DateTimeOffset.UtcNow;
        var measurements = new List<Measurement>();

        async Task Measure(int part, string name, string variant, Func<Task<Measurement>> run)
        {
            if (!selected(part))
            {
                return;
            }
            var reps = new List<Measurement>();
            for (var rep = 0; rep < config.Repeats; rep++)
            {
                Console.Error.Write($"bench: {name}: {variant} ({rep + 1}/{config.Repeats}) ... ");
                var t = DateTime.UtcNow;
                try
                {
                    var m = await run();
                    Console.Error.WriteLine($"{(DateTime.UtcNow - t).TotalSeconds:0.0} s, nodes' CPU {Format.Number(m.ServerCpuSeconds)} s, {m.Complete}");
                    reps.Add(m);
                }
                catch (Exception ex)
                {
                    Console.Error.WriteLine("failed: " + ex.Message);
                    reps.Add(new Measurement(name, variant, "fleet") { Complete = "failed: " + ex.Message });
                }
            }
            measurements.Add(Repetitions.Combine(reps));
        }

        foreach (var nodes in new[] { 1, 3 })
        {
            await Measure(1, FleetFanOutScenario.Name, FleetFanOutScenario.Variant(nodes, sizes.FanOutSubscribers, sizes.FanOutBytes),
                () => FleetFanOutScenario.RunAsync(config, services, nodes, sizes.FanOutSubscribers, sizes.FanOutBytes));
        }
        await Measure(2, RemoteCostScenario.Name, RemoteCostScenario.Variant(sizes.RemoteSubscribers, sizes.RemoteBytes),
            () => RemoteCostScenario.RunAsync(config, services, sizes.RemoteSubscribers, sizes.RemoteBytes));
        await Measure(3, FleetLatencyScenario.Name, FleetLatencyScenario.Variant(config, sizes.LatencySubscribers),
            () => FleetLatencyScenario.RunAsync(config, services, sizes.LatencySubscribers));
        foreach (var nodes in new[] { 1, 3 })
        {
            await Measure(4, ClaimLatencyScenario.Name, ClaimLatencyScenario.Variant(nodes, sizes.ClaimRuns),
                () => ClaimLatencyScenario.RunAsync(config, services, nodes, sizes.ClaimRuns));
        }

        var markdown = FleetReport.Markdown(measurements, config, started);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Directory.CreateDirectory(outDir);
        var stem = "fleet-" + started.ToString("yyyy-MM-dd-HHmm") + (quick ? "-quick" : "");
        File.WriteAllText(Path.Combine(outDir, stem + ".md"), markdown);
        File.WriteAllText(Path.Combine(outDir, stem + ".json"), JsonSerializer.Serialize(measurements, new JsonSerializerOptions
        {
            WriteIndented = true,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        }));
        Console.Error.WriteLine($"bench: wrote {Path.Combine(outDir, stem)}.md and .json; whole run {(DateTimeOffset.UtcNow - started).TotalMinutes:0.0} min");
        return measurements.All(m => m.Complete == "ok") ? 0 : 1;
    }
}
