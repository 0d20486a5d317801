using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Konfido.He;
using Konfido.He.Diagnostics;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    static partial void AddHe(RootCommand root, CliContext context)
    {
        var he = new Command("he", "Homomorphic encryption (RNS BFV, BGV, CKKS in pure C#).");
        he.Add(CreateHeBench(context));
        AddHePrograms(he, context);
        root.Add(he);
    }

    /// <summary>Adds <c>he compile</c> and <c>he run</c> (Commands/HeProgramCommands.cs) once the compiler exists.</summary>
    static partial void AddHePrograms(Command he, CliContext context);

    private static Command CreateHeBench(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON document." };
        var scheme = new Option<string>("--scheme") { Description = "bfv, ckks or bgv (default bfv).", DefaultValueFactory = _ => "bfv" };
        var n = new Option<int>("--n") { Description = "Polynomial modulus degree: 4096, 8192 or 16384 (default 8192).", DefaultValueFactory = _ => 8192 };
        var threads = new Option<int>("--threads") { Description = "Threads over RNS limbs (default 1).", DefaultValueFactory = _ => 1 };
        var iterations = new Option<int>("--iterations") { Description = "Timed runs per operation (default 15).", DefaultValueFactory = _ => 15 };
        var command = new Command("bench", "Median microseconds per homomorphic operation after warm-up.") { json, scheme, n, threads, iterations };
        command.SetAction((ParseResult r) =>
        {
            string schemeName = r.GetValue(scheme)!.ToLowerInvariant();
            var schemeType = schemeName switch
            {
                "bfv" => SchemeType.Bfv,
                "ckks" => SchemeType.Ckks,
                "bgv" => SchemeType.Bgv,
                _ => throw new CliInputException($"--scheme: '{schemeName}' is not bfv, ckks or bgv"),
            };
            int degree = r.GetValue(n);
            if (degree is not (1024 or 2048 or 4096 or 8192 or 16384 or 32768))
            {
                throw new CliInputException($"--n: {degree} is not a power of two from 1024 to 32768 (use 4096, 8192 or 16384)");
            }

            int threadCount = r.GetValue(threads);
            if (threadCount < 1 || threadCount > 256)
            {
                throw new CliInputException($"--threads: {threadCount} is not in [1, 256]");
            }

            int runs = r.GetValue(iterations);
            if (runs < 1 || runs > 10_000)
            {
                throw new CliInputException($"--iterations: {runs} is not in [1, 10000]");
            }

            var result = OperationBenchmark.Run(schemeType, degree, threadCount, runs, message => context.Err.WriteLine(message));
            if (r.GetValue(json))
            {
                var ops = new JsonObject();
                foreach (var (name, micros) in result.Operations)
                {
                    ops[name] = Math.Round(micros, 1);
                }

                var cpuOps = new JsonObject();
                foreach (var (name, micros) in result.CpuOperations)
                {
                    cpuOps[name] = Math.Round(micros, 1);
                }

                context.WriteJson(new JsonObject
                {
                    ["scheme"] = result.Scheme,
                    ["n"] = result.PolyModulusDegree,
                    ["logq"] = result.LogQ,
                    ["threads"] = result.Threads,
                    ["ops"] = ops,
                    ["cpu_ops"] = cpuOps,
                });
            }
            else
            {
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.Scheme} N={result.PolyModulusDegree} log q={result.LogQ} threads={result.Threads} (median wall µs, mean process CPU µs)"));
                foreach (var (name, micros) in result.Operations)
                {
                    context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-18} {micros,12:F1} {result.CpuOperations[name],12:F1}"));
                }
            }

            return 0;
        });
        return command;
    }
}
