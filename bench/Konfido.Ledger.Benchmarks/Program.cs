using BenchmarkDotNet.Running;

// Runs the Konfido.Ledger benchmarks: dotnet run -c Release --project bench/Konfido.Ledger.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
