using BenchmarkDotNet.Running;

// Runs the Konfido.Siem benchmarks: dotnet run -c Release --project bench/Konfido.Siem.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
