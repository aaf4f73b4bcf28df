using BenchmarkDotNet.Running;

// scripts/bench --micro runs: dotnet RunsStream.Benchmarks.dll --filter '*' --job short --inProcess
// Named by a benchmark class, not by Program: the server's Program is visible here too
// (InternalsVisibleTo) and the name would be ambiguous (CS0436).
BenchmarkSwitcher.FromAssembly(typeof(RunsStream.Benchmarks.CodecBenchmarks).Assembly).Run(args);
