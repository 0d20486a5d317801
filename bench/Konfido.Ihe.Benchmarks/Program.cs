using BenchmarkDotNet.Running;

// Runs the Konfido.Ihe benchmarks: dotnet run -c Release --project bench/Konfido.Ihe.Benchmarks -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
