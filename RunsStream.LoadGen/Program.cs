using RunsStream.LoadGen;
using RunsStream.LoadGen.Reporting;
using RunsStream.LoadGen.Scenarios;
using RunsStream.LoadGen.Servers;

// The load generator of scripts/bench. Each scenario is repeated (3 times in a full run), each
// repetition on a fresh RunsStream and then a fresh Node.js reference server (bench/server.js),
// one at a time; at the end it prints the medians and ranges and writes them to bench/results/.
//
//   RunsStream.LoadGen --root <repo> [--quick] [--only 1,3] [--servers ours,node]
//                      [--out <dir>] [--micro-report <markdown file>] [--ours-dll <RunsStream.Server.dll>]
//                      [--repeats N] [--readme] [--fanout 1000]   (only the fan-out cases with those subscriber counts)
//   RunsStream.LoadGen --fleet ...: the fleet parts instead (REDIS_URL and DATABASE_URL set)

var root = Arg("--root") ?? Directory.GetCurrentDirectory();
var quick = args.Contains("--quick");
var only = Arg("--only")?.Split(',').Select(int.Parse).ToHashSet();
var servers = (Arg("--servers") ?? "ours,node").Split(',').Select(s => s == "node" ? ServerKind.Node : ServerKind.Ours).ToArray();
var outDir = Arg("--out") ?? Path.Combine(root, "bench", "results");
var microFile = Arg("--micro-report");
var workDir = Directory.CreateTempSubdirectory("runsstream-bench-").FullName;
// The servers' runs read their input files here; a root server runs them as nobody.
if (!OperatingSystem.IsWindows())
{
    File.SetUnixFileMode(workDir, (UnixFileMode)0b111_101_101);
}
var config = (quick ? BenchConfig.Quick(root, workDir) : BenchConfig.Full(root, workDir)) with { OursDll = Arg("--ours-dll") };
if (Arg("--fanout") is { } fanout)
{
    var counts = fanout.Split(',').Select(int.Parse).ToHashSet();
    config = config with { FanOut = config.FanOut.Where(c => counts.Contains(c.Subscribers)).ToArray() };
}
if (Arg("--repeats") is { } repeats)
{
    config = config with { Repeats = int.Parse(repeats) };
}
var started = DateTimeOffset.UtcNow;
_ = ResultsReport.LoadAverageAtStart; // read before this run loads the machine
ResultsReport.SourceVersion = (config.OursDll, Arg("--ours-build")) switch
{
    ({ } dll, { } build) => $"{ResultsReport.ReadSourceVersion(root)}, its {build} build ({dll})",
    ({ } dll, null) => "RunsStream from " + dll,
    _ => ResultsReport.ReadSourceVersion(root) + ", its JIT build (the Release dll under dotnet)",
};

bool Selected(int scenario) => only is null || only.Contains(scenario);

if (args.Contains("--fleet"))
{
    // The fleet parts (issue 14) against nodes on the Redis and PostgreSQL scripts/bench started.
    Console.Error.WriteLine($"bench: fleet {config.Mode} run, {config.Repeats} repetition(s) of each part, logs in {workDir}");
    var fleetCode = await RunsStream.LoadGen.Fleet.FleetBench.RunAsync(config, outDir, quick, Selected);
    if (fleetCode == 0)
    {
        Directory.Delete(workDir, recursive: true);
    }
    else
    {
        Console.Error.WriteLine($"bench: some parts were incomplete; the nodes' logs are in {workDir}");
    }
    return fleetCode;
}

Console.Error.WriteLine($"bench: {config.Mode} run, {config.Repeats} repetition(s) of each scenario, logs in {workDir}");
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") != "1")
{
    // Handling socket completions on the epoll thread halves this client's CPU per frame.
    Console.Error.WriteLine("bench: note: DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 is not set; the load generator costs more CPU (scripts/bench sets it)");
}
var runner = new Runner(config, servers, Selected);
foreach (var fanOut in config.FanOut)
{
    await runner.MeasureFanOutAsync(fanOut);
}
foreach (var subscribers in config.LatencySubscribers)
{
    await runner.MeasureAsync(2, LatencyScenario.Name, LatencyScenario.Variant(config, subscribers), kind => LatencyScenario.RunAsync(kind, config, subscribers));
}
await runner.MeasureAsync(3, IdleScenario.Name, IdleScenario.Variant(config), kind => IdleScenario.RunAsync(kind, config));
await runner.MeasureAsync(4, LateJoinScenario.Name, LateJoinScenario.Variant(config), kind => LateJoinScenario.RunAsync(kind, config));
await runner.MeasureAsync(5, StalledScenario.Name, StalledScenario.Variant(config), kind => StalledScenario.RunAsync(kind, config));
await runner.MeasureAsync(6, PollingScenario.Name, PollingScenario.Variant(config), kind => PollingScenario.RunAsync(kind, config));
foreach (var order in OrderScenario.Cases)
{
    await runner.MeasureAsync(7, OrderScenario.Name, OrderScenario.Variant(order), kind => OrderScenario.RunAsync(kind, config, order));
}
var measurements = runner.Measurements;

var micro = microFile is not null && File.Exists(microFile) ? File.ReadAllText(microFile) : null;
var report = new ResultsReport(measurements, config.Mode, started, config.Repeats);
var markdown = report.Markdown(micro);
Console.WriteLine();
Console.WriteLine(markdown);

Directory.CreateDirectory(outDir);
// A run of some scenarios or of one server is kept under its own name and replaces neither
// latest.md nor the table in bench/README.md.
var partial = only is not null || servers.Length < 2 || Arg("--fanout") is not null;
var stem = started.ToString("yyyy-MM-dd-HHmm") + (quick ? "-quick" : "") + (partial ? "-partial" : "");
File.WriteAllText(Path.Combine(outDir, stem + ".md"), markdown);
File.WriteAllText(Path.Combine(outDir, stem + ".json"), report.Json(micro));
if (!partial)
{
    File.WriteAllText(Path.Combine(outDir, quick ? "latest-quick.md" : "latest.md"), markdown);
}
// The tables alone, for the lead to paste into README.md (or --readme: into bench/README.md).
var tables = report.Markdown(null) + $"\n(Per-repetition figures: `bench/results/{stem}.json`.)\n";
File.WriteAllText(Path.Combine(outDir, quick ? "latest-table-quick.md" : partial ? "latest-table-partial.md" : "latest-table.md"), tables);
if (args.Contains("--readme") && !quick && !partial)
{
    ReadmeTable.Update(Path.Combine(root, "bench", "README.md"), tables);
}
Console.Error.WriteLine($"bench: wrote {Path.Combine(outDir, stem)}.md and .json; whole run {(DateTimeOffset.UtcNow - started).TotalMinutes:0.0} min");
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
