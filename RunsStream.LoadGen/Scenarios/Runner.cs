using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Servers;

namespace RunsStream.LoadGen.Scenarios;

/// <summary>
/// Runs each selected scenario variant <see cref="BenchConfig.Repeats"/> times, every repetition
/// on fresh servers, alternating them (ours, Node, ours, Node, ...), and keeps one combined
/// measurement per server (<see cref="Repetitions.Combine"/>). A fan-out case first checks its
/// size (<see cref="FanOutSizing"/>).
/// </summary>
internal sealed class Runner(BenchConfig config, IReadOnlyList<ServerKind> servers, Func<int, bool> selected)
{
    /// <summary>How often a fan-out case may grow before it is measured as it is.</summary>
    private const int MaxGrowths = 2;

    public List<Measurement> Measurements { get; } = new();

    public async Task MeasureAsync(int scenario, string name, string variant, Func<ServerKind, Task<Measurement>> run)
    {
        if (!selected(scenario))
        {
            return;
        }
        var reps = servers.ToDictionary(k => k, _ => new List<Measurement>());
        for (var rep = 0; rep < config.Repeats; rep++)
        {
            foreach (var kind in servers)
            {
                reps[kind].Add(await RunOneAsync(kind, name, variant, rep, run));
            }
        }
        Measurements.AddRange(servers.Select(k => Repetitions.Combine(reps[k])));
    }

    public async Task MeasureFanOutAsync(FanOutCase fanOut)
    {
        if (!selected(1))
        {
            return;
        }
        var reps = servers.ToDictionary(k => k, _ => new List<Measurement>());
        for (var growths = 0; ; growths++)
        {
            var first = new List<Measurement>();
            foreach (var kind in servers)
            {
                first.Add(await RunOneAsync(kind, FanOutScenario.Name, FanOutScenario.Variant(fanOut), 0, k => FanOutScenario.RunAsync(k, config, fanOut)));
            }
            var complete = first.Where(m => m.Complete == "ok").ToList();
            var grown = complete.Count == 0 || growths == MaxGrowths
                ? fanOut.Bytes
                : FanOutSizing.Grow(fanOut.Bytes, complete.Min(m => m.ServerCpuSeconds), config.MinServerCpuSeconds, config.MaxRunBytes);
            if (grown == fanOut.Bytes)
            {
                foreach (var (kind, m) in servers.Zip(first))
                {
                    reps[kind].Add(m);
                }
                break;
            }
            Console.Error.WriteLine($"bench: {FanOutScenario.Variant(fanOut)}: a server's CPU was {Format.Number(complete.Min(m => m.ServerCpuSeconds))} s, " +
                                    $"under {Format.Number(config.MinServerCpuSeconds)} s: growing the case to {Format.Bytes(grown)} per subscriber for both servers");
            fanOut = fanOut with { Bytes = grown };
        }
        for (var rep = 1; rep < config.Repeats; rep++)
        {
            foreach (var kind in servers)
            {
                reps[kind].Add(await RunOneAsync(kind, FanOutScenario.Name, FanOutScenario.Variant(fanOut), rep, k => FanOutScenario.RunAsync(k, config, fanOut)));
            }
        }
        // Either server under the least makes the ratio untrustworthy: both are marked.
        var tooShort = FanOutSizing.TooShort(reps.Values.SelectMany(r => r).Where(m => m.Complete == "ok").Select(m => m.ServerCpuSeconds), config.MinServerCpuSeconds);
        foreach (var kind in servers)
        {
            var m = Repetitions.Combine(reps[kind]);
            m.TooShort = tooShort;
            Measurements.Add(m);
        }
    }

    private async Task<Measurement> RunOneAsync(ServerKind kind, string name, string variant, int rep, Func<ServerKind, Task<Measurement>> run)
    {
        Console.Error.Write($"bench: {name}: {variant} on {kind.Name} ({rep + 1}/{config.Repeats}) ... ");
        var t = DateTime.UtcNow;
        try
        {
            var m = await run(kind);
            Console.Error.WriteLine($"{(DateTime.UtcNow - t).TotalSeconds:0.0} s, server CPU {Format.Number(m.ServerCpuSeconds)} s, {m.Complete}");
            return m;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"failed: {ex.Message}");
            return new Measurement(name, variant, kind.Name) { Complete = "failed: " + ex.Message };
        }
    }
}
