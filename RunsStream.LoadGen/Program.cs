using RunsStream.LoadGen;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Scenarios;
using RunsStream.LoadGen.Servers;

// The load generator of scripts/bench. For each scenario it starts RunsStream, measures it,
// stops it, then does the same with the Node.js reference server (bench/server.js), and at the
// end prints one table and writes it to bench/results/.
//
//   RunsStream.LoadGen --root <repo> [--quick] [--only 1,3] [--servers ours,node]
//                      [--out <dir>] [--micro-report <markdown file>] [--ours-dll <RunsStream.Server.dll>]
//                      [--repeats N]

var root = Arg("--root") ?? Directory.GetCurrentDirectory();
var quick = args.Contains("--quick");
var only = Arg("--only")?.Split(',').Select(int.Parse).ToHashSet();
var servers = (Arg("--servers") ?? "ours,node").Split(',').Select(s => s == "node" ? ServerKind.Node : ServerKind.Ours).ToArray();
var outDir = Arg("--out") ?? Path.Combine(root, "bench", "results");
var microFile = Arg("--micro-report");
var workDir = Directory.CreateTempSubdirectory("runsstream-bench-").FullName;
// The servers' runs read their input files here; a root server runs them as nobody.
File.SetUnixFileMode(workDir, (UnixFileMode)0b111_101_101);
var config = (quick ? BenchConfig.Quick(root, workDir) : BenchConfig.Full(root, workDir)) with { OursDll = Arg("--ours-dll") };
if (Arg("--repeats") is { } repeats)
{
    config = config with { Repeats = int.Parse(repeats) };
}
var started = DateTimeOffset.UtcNow;
_ = ResultsReport.LoadAverageAtStart; // read before this run loads the machine
ResultsReport.SourceVersion = config.OursDll is { } dll ? "RunsStream from " + dll : ResultsReport.ReadSourceVersion(root);

bool Selected(int scenario) => only is null || only.Contains(scenario);

var measurements = new List<Measurement>();
async Task Measure(int scenario, string name, string variant, Func<ServerKind, Task<Measurement>> run)
{
    var label = $"{name}: {variant}";
    if (!Selected(scenario))
    {
        return;
    }
    foreach (var kind in servers)
    {
        Console.Error.Write($"bench: {label} on {kind.Name} ... ");
        var t = DateTime.UtcNow;
        try
        {
            var m = await run(kind);
            measurements.Add(m);
            Console.Error.WriteLine($"{(DateTime.UtcNow - t).TotalSeconds:0.0} s, {m.Complete}");
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"failed: {ex.Message}");
            measurements.Add(new Measurement(name, variant, kind.Name) { Complete = "failed: " + ex.Message });
        }
    }
}

Console.Error.WriteLine($"bench: {config.Mode} run, logs in {workDir}");
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") != "1")
{
    // Handling socket completions on the epoll thread halves this client's CPU per frame.
    Console.Error.WriteLine("bench: note: DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 is not set; the load generator costs more CPU (scripts/bench sets it)");
}
foreach (var (subscribers, bytes) in config.FanOut)
{
    await Measure(1, FanOutScenario.Name, FanOutScenario.Variant(subscribers, bytes), kind => FanOutScenario.RunAsync(kind, config, subscribers, bytes));
}
foreach (var subscribers in config.LatencySubscribers)
{
    await Measure(2, LatencyScenario.Name, LatencyScenario.Variant(config, subscribers), kind => LatencyScenario.RunAsync(kind, config, subscribers));
}
await Measure(3, IdleScenario.Name, IdleScenario.Variant(config), kind => IdleScenario.RunAsync(kind, config));
await Measure(4, LateJoinScenario.Name, LateJoinScenario.Variant(config), kind => LateJoinScenario.RunAsync(kind, config));
await Measure(5, StalledScenario.Name, StalledScenario.Variant(config), kind => StalledScenario.RunAsync(kind, config));
await Measure(6, PollingScenario.Name, PollingScenario.Variant(config), kind => PollingScenario.RunAsync(kind, config));
foreach (var order in OrderScenario.Cases)
{
    await Measure(7, OrderScenario.Name, OrderScenario.Variant(order), kind => OrderScenario.RunAsync(kind, config, order));
}

var micro = microFile is not null && File.Exists(microFile) ? File.ReadAllText(microFile) : null;
var report = new ResultsReport(measurements, config.Mode, started);
var markdown = report.Markdown(micro);
Console.WriteLine();
Console.WriteLine(markdown);

Directory.CreateDirectory(outDir);
// A run of some scenarios or of one server is kept under its own name and replaces neither
// latest.md nor the table in bench/README.md.
var partial = only is not null || servers.Length < 2;
var stem = started.ToString("yyyy-MM-dd-HHmm") + (quick ? "-quick" : "") + (partial ? "-partial" : "");
File.WriteAllText(Path.Combine(outDir, stem + ".md"), markdown);
File.WriteAllText(Path.Combine(outDir, stem + ".json"), report.Json(micro));
if (!partial)
{
    File.WriteAllText(Path.Combine(outDir, quick ? "latest-quick.md" : "latest.md"), markdown);
}
if (!quick && !partial)
{
    ReadmeTable.Update(Path.Combine(root, "bench", "README.md"), report.Markdown(null) + $"\n(Micro-benchmarks, when run: `bench/results/{stem}.md`.)\n");
}
Console.Error.WriteLine($"bench: wrote {Path.Combine(outDir, stem)}.md and .json");
var allComplete = measurements.All(m => m.Complete == "ok");
if (allComplete)
{
    Directory.Delete(workDir, recursive: true);
}
else
{
    Console.Error.WriteLine($"bench: some scenarios were incomplete; the servers' logs are in {workDir}");
}
return allComplete ? 0 : 1;

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
