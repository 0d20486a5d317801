using BenchmarkDotNet.Running;
using Konfido.Eid.Benchmarks;

// Runs the Konfido.Eid benchmarks: dotnet run -c Release --project bench/Konfido.Eid.Benchmarks -- --filter '*'
// CPU-time throughput (robust on a shared machine): ... -- --cpu-time
if (args is ["--cpu-time"])
{
    CpuTimeRun.Run(Console.Out);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
