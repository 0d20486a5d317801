using BenchmarkDotNet.Running;

// Runs the Konfido.Puf benchmarks: dotnet run -c Release --project bench/Konfido.Puf.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
