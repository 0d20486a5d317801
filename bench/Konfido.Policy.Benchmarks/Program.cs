using BenchmarkDotNet.Running;

// Runs the Konfido.Policy benchmarks: dotnet run -c Release --project bench/Konfido.Policy.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
