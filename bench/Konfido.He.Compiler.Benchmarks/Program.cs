using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using Konfido.He.Compiler;
using Konfido.He.Compiler.Benchmarks;
using Konfido.He.Compiler.Runtime;

// Runs the Konfido.He.Compiler benchmarks: dotnet run -c Release --project bench/Konfido.He.Compiler.Benchmarks -- --filter '*'
// Quick comparison on a shared machine (the minimum of R evaluations, compiled versus naive):
//   dotnet run -c Release --project bench/Konfido.He.Compiler.Benchmarks -- --min-of 8
if (args.Length == 2 && args[0] == "--min-of" && int.TryParse(args[1], CultureInfo.InvariantCulture, out int runs) && runs > 0)
{
    Console.WriteLine("program            mode      N      depth  evaluate_ms(min)  speed-up");
    foreach (var name in HeExamplePrograms.Names)
    {
        double compiledMs = 0;
        foreach (var mode in new[] { "compiled", "naive" })
        {
            var program = HeCompiler.Compile(HeExamplePrograms.Source(name), new HeCompilerOptions { Naive = mode == "naive" });
            var inputs = ExamplePrograms.SampleInputs(program);
            using var holder = new HeKeyHolder(program);
            var server = new HeProgramServer(program, holder.EvaluationKeys);
            var encrypted = holder.CreateEncryptor().EncryptInputs(inputs);
            var clear = program.ClearInputs.ToDictionary(n => n, n => inputs[n]);
            server.Evaluate(encrypted, clear);
            double best = double.MaxValue;
            for (int i = 0; i < runs; i++)
            {
                var clock = Stopwatch.StartNew();
                server.Evaluate(encrypted, clear);
                best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
            }

            compiledMs = mode == "compiled" ? best : compiledMs;
            string speedup = mode == "naive" ? (best / compiledMs).ToString("F2", CultureInfo.InvariantCulture) + "x" : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-18} {mode,-9} {program.Parameters.PolyModulusDegree,-6} {program.Statistics.Depth,-6} {best,16:F1}  {speedup}"));
        }
    }

    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
