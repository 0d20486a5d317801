using BenchmarkDotNet.Running;

// Runs the Konfido.Eid benchmarks: dotnet run -c Release --project bench/Konfido.Eid.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
