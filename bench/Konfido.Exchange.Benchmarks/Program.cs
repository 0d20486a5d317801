using BenchmarkDotNet.Running;

// Runs the Konfido.Exchange benchmarks: dotnet run -c Release --project bench/Konfido.Exchange.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
