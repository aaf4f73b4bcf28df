using BenchmarkDotNet.Running;

// scripts/bench --micro runs: dotnet RunsStream.Benchmarks.dll --filter '*' --job short --inProcess
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
