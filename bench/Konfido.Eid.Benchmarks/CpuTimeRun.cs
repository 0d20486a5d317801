using System.Diagnostics;

namespace Konfido.Eid.Benchmarks;

/// <summary>
/// Pairs verified per second of this thread's CPU time: on a shared, overloaded machine wall-clock
/// figures measure the scheduler, CPU time measures the work. Run with <c>-- --cpu-time</c>.
/// </summary>
internal static class CpuTimeRun
{
    public static void Run(TextWriter output)
    {
        foreach (var algorithm in new[] { "ECDSA-P256", "RSA-PSS-3072" })
        {
            var bench = new CrossBorderVerifyBenchmarks { Algorithm = algorithm };
            bench.Setup();
            for (var i = 0; i < 2000; i++)
            {
                bench.VerifyPair();
            }

            const int Pairs = 5000;
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            var ok = 0;
            for (var i = 0; i < Pairs; i++)
            {
                ok += bench.VerifyPair() ? 1 : 0;
            }

            wall.Stop();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            output.WriteLine($"CrossBorderVerify/Algorithm={algorithm}: {Pairs} pairs ({ok} valid), process CPU {cpu.TotalMilliseconds:0} ms -> {Pairs / cpu.TotalSeconds:0} pairs per CPU-second ({cpu.TotalMilliseconds * 1000 / Pairs:0} us/pair); wall {wall.ElapsedMilliseconds} ms");
        }
    }
}
