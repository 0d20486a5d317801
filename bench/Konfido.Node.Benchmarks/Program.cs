using BenchmarkDotNet.Running;

// Runs the Konfido.Node benchmarks: dotnet run -c Release --project bench/Konfido.Node.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
