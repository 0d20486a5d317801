using BenchmarkDotNet.Running;

// Runs the Konfido.He.Compiler benchmarks: dotnet run -c Release --project bench/Konfido.He.Compiler.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
