using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Konfido.He.Compiler;
using Konfido.He.Compiler.Runtime;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    static partial void AddHePrograms(Command he, CliContext context)
    {
        he.Add(CreateHeCompile(context));
        he.Add(CreateHeRun(context));
    }

    private static Command CreateHeCompile(CliContext context)
    {
        var program = new Argument<string>("PROGRAM") { Description = "The program text (see examples/he)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document." };
        var naive = new Option<bool>("--naive") { Description = "Compile the naive baseline (everything secret, relinearise and rescale after every multiplication)." };
        var plan = new Option<bool>("--plan") { Description = "Also print the encrypted plan, one instruction per line (text mode)." };
        var command = new Command("compile", "Compiles a program that mixes clear and secret inputs; prints parameters, depth and operation counts.") { program, json, naive, plan };
        command.SetAction((ParseResult r) =>
        {
            string path = r.GetValue(program)!;
            var compiled = CompileProgramFile(path, r.GetValue(naive));
            if (r.GetValue(json))
            {
                context.WriteJson(CompileJson(compiled));
            }
            else
            {
                WriteCompileText(context.Out, compiled);
                if (r.GetValue(plan))
                {
                    context.Out.Write(compiled.DescribePlan());
                }
            }

            return 0;
        });
        return command;
    }

    private static Command CreateHeRun(CliContext context)
    {
        var program = new Argument<string>("PROGRAM") { Description = "The program text (see examples/he)." };
        var inputs = new Option<string>("--inputs") { Description = "JSON object: each input's name to a number or an array of the program's slot count.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON document." };
        var naive = new Option<bool>("--naive") { Description = "Run the naive baseline instead of the compiled program." };
        var compare = new Option<bool>("--compare-naive") { Description = "Also run the naive baseline and report both timings and the speed-up." };
        var command = new Command("run", "Compiles, generates keys, encrypts the secret inputs, runs encrypted, decrypts, and compares with the clear run.")
        {
            program, inputs, json, naive, compare,
        };
        command.SetAction((ParseResult r) =>
        {
            string path = r.GetValue(program)!;
            string inputsPath = r.GetValue(inputs)!;
            var compiled = CompileProgramFile(path, r.GetValue(naive));
            var values = ReadHeInputs(inputsPath);
            var report = RunProgram(compiled, values, inputsPath);
            HeRunReport? baseline = null;
            CompiledProgram? naiveCompiled = null;
            if (r.GetValue(compare) && !r.GetValue(naive))
            {
                // The first run warmed the JIT up; time the naive baseline, then the compiled program again.
                context.Err.WriteLine("running the naive baseline, then the compiled program again...");
                naiveCompiled = CompileProgramFile(path, naive: true);
                baseline = RunProgram(naiveCompiled, values, inputsPath);
                report = RunProgram(compiled, values, inputsPath);
            }

            if (r.GetValue(json))
            {
                var outputs = new JsonObject();
                foreach (var output in report.Outputs)
                {
                    outputs[output.Name] = new JsonObject
                    {
                        ["encrypted"] = Numbers(output.Encrypted),
                        ["clear"] = Numbers(output.Clear),
                        ["max_abs_error"] = output.MaxAbsError,
                    };
                }

                var document = new JsonObject
                {
                    ["program"] = compiled.Program.Name,
                    ["scheme"] = SchemeName(compiled),
                    ["n"] = compiled.Parameters.PolyModulusDegree,
                    ["logq"] = compiled.Parameters.LogQ,
                    ["depth"] = compiled.Statistics.Depth,
                    ["outputs"] = outputs,
                    ["timings_ms"] = Timings(report),
                    ["noise_budget_bits"] = report.NoiseBudgetBits,
                    ["bytes"] = new JsonObject
                    {
                        ["evaluation_keys"] = report.EvaluationKeyBytes,
                        ["encrypted_inputs"] = report.InputBytes,
                        ["result"] = report.ResultBytes,
                    },
                };
                if (baseline is not null)
                {
                    document["naive"] = new JsonObject
                    {
                        ["n"] = naiveCompiled!.Parameters.PolyModulusDegree,
                        ["logq"] = naiveCompiled.Parameters.LogQ,
                        ["depth"] = naiveCompiled.Statistics.Depth,
                        ["timings_ms"] = Timings(baseline),
                        ["max_abs_error"] = baseline.Outputs.Max(o => o.MaxAbsError),
                    };
                    document["speedup_evaluate"] = Math.Round(baseline.TimingsMs["evaluate"] / Math.Max(1e-3, report.TimingsMs["evaluate"]), 2);
                    document["speedup_total"] = Math.Round(Total(baseline) / Math.Max(1e-3, Total(report)), 2);
                }

                context.WriteJson(document);
            }
            else
            {
                var o = context.Out;
                o.WriteLine(Invariant($"{compiled.Program.Name}: {SchemeName(compiled)} N={compiled.Parameters.PolyModulusDegree} log q={compiled.Parameters.LogQ} depth {compiled.Statistics.Depth}"));
                foreach (var output in report.Outputs)
                {
                    o.WriteLine(Invariant($"  {output.Name}: encrypted [{Preview(output.Encrypted)}] clear [{Preview(output.Clear)}] max |error| {output.MaxAbsError:G4}"));
                }

                o.WriteLine("  timings (ms): " + string.Join(", ", report.TimingsMs.Select(t => Invariant($"{t.Key} {t.Value:F1}"))));
                if (report.NoiseBudgetBits is int budget)
                {
                    o.WriteLine(Invariant($"  remaining noise budget: {budget} bits"));
                }

                if (baseline is not null)
                {
                    o.WriteLine(Invariant($"  naive: N={naiveCompiled!.Parameters.PolyModulusDegree} depth {naiveCompiled.Statistics.Depth}; evaluate {baseline.TimingsMs["evaluate"]:F1} ms, total {Total(baseline):F1} ms"));
                    o.WriteLine(Invariant($"  speed-up: evaluate x{baseline.TimingsMs["evaluate"] / Math.Max(1e-3, report.TimingsMs["evaluate"]):F2}, total x{Total(baseline) / Math.Max(1e-3, Total(report)):F2}"));
                }
            }

            return 0;
        });
        return command;
    }

    private static double Total(HeRunReport report) =>
        report.TimingsMs.Where(t => t.Key != "clear").Sum(t => t.Value);

    private static JsonObject Timings(HeRunReport report)
    {
        var timings = new JsonObject();
        foreach (var (name, ms) in report.TimingsMs)
        {
            timings[name] = ms;
        }

        timings["total"] = Math.Round(Total(report), 3);
        return timings;
    }

    private static HeRunReport RunProgram(CompiledProgram compiled, Dictionary<string, double[]> values, string inputsPath)
    {
        try
        {
            return HeProgramRunner.Run(compiled, values);
        }
        catch (ArgumentException ex)
        {
            throw new CliInputException($"{inputsPath}: {FirstSentence(ex.Message)}", ex);
        }
    }

    private static CompiledProgram CompileProgramFile(string path, bool naive)
    {
        string source = CliContext.ReadText(path, "program");
        try
        {
            return HeCompiler.Compile(source, new HeCompilerOptions { Naive = naive });
        }
        catch (HeSyntaxException ex)
        {
            throw new CliInputException($"{path}:{ex.Line}:{ex.Column}: {ex.Reason}", ex);
        }
        catch (HeCompilationException ex)
        {
            throw new CliInputException($"{path}: {ex.Message}", ex);
        }
    }

    private static Dictionary<string, double[]> ReadHeInputs(string path)
    {
        string text = CliContext.ReadText(path, "inputs");
        var values = new Dictionary<string, double[]>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CliInputException($"{path}: expected a JSON object of input names to numbers or arrays");
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                values[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.Number => [property.Value.GetDouble()],
                    JsonValueKind.Array => [.. property.Value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number
                        ? v.GetDouble()
                        : throw new CliInputException($"{path}: input '{property.Name}' holds a non-number"))],
                    _ => throw new CliInputException($"{path}: input '{property.Name}' must be a number or an array of numbers"),
                };
            }
        }
        catch (JsonException ex)
        {
            throw new CliInputException($"{path}: not valid JSON ({ex.Message})", ex);
        }

        return values;
    }

    private static JsonObject CompileJson(CompiledProgram compiled)
    {
        var p = compiled.Parameters;
        var s = compiled.Statistics;
        var primes = new JsonArray();
        foreach (ulong prime in p.Primes)
        {
            primes.Add(prime);
        }

        var steps = new JsonArray();
        foreach (int step in s.RotationSteps)
        {
            steps.Add(step);
        }

        return new JsonObject
        {
            ["program"] = compiled.Program.Name,
            ["slots"] = compiled.Program.Slots,
            ["scheme"] = SchemeName(compiled),
            ["naive"] = compiled.Options.Naive,
            ["n"] = p.PolyModulusDegree,
            ["logq"] = p.LogQ,
            ["primes"] = primes,
            ["prime_bits"] = new JsonArray([.. p.CoeffModulusBits.Select(b => (JsonNode)b)]),
            ["plain_modulus_bits"] = p.Scheme == He.SchemeType.Ckks ? null : p.PlainModulusBits,
            ["scale_bits"] = p.Scheme == He.SchemeType.Ckks ? p.ScaleBits : null,
            ["security_bits"] = p.SecurityBits,
            ["depth"] = s.Depth,
            ["secret_inputs"] = new JsonArray([.. compiled.SecretInputs.Select(n => (JsonNode)n)]),
            ["clear_inputs"] = new JsonArray([.. compiled.ClearInputs.Select(n => (JsonNode)n)]),
            ["ciphertext_ops"] = new JsonObject
            {
                ["multiply"] = s.CiphertextMultiplications,
                ["add"] = s.CiphertextAdditions,
                ["negate"] = s.Negations,
                ["rotate"] = s.Rotations,
            },
            ["plaintext_ops"] = new JsonObject
            {
                ["multiply"] = s.PlaintextMultiplications,
                ["add"] = s.PlaintextAdditions,
            },
            ["relinearizations"] = s.Relinearizations,
            ["rescales"] = s.Rescales,
            ["mod_switches"] = s.ModSwitches,
            ["encryptions"] = s.Encryptions,
            ["clear_ops"] = s.ClearOperations,
            ["rotation_keys"] = steps,
            ["max_approximation_error"] = s.MaxApproximationError,
        };
    }

    private static void WriteCompileText(TextWriter o, CompiledProgram compiled)
    {
        var p = compiled.Parameters;
        var s = compiled.Statistics;
        o.WriteLine(Invariant($"{compiled.Program.Name}: {SchemeName(compiled)}{(compiled.Options.Naive ? " (naive)" : "")}, {compiled.Program.Slots} slots"));
        string plain = p.Scheme == He.SchemeType.Ckks ? Invariant($"scale 2^{p.ScaleBits}") : Invariant($"t {p.PlainModulusBits} bits");
        o.WriteLine(Invariant($"  N={p.PolyModulusDegree} log q={p.LogQ} primes [{string.Join(", ", p.CoeffModulusBits)}] bits, security {p.SecurityBits} bits, {plain}"));
        o.WriteLine(Invariant($"  depth {s.Depth}; secret inputs [{string.Join(", ", compiled.SecretInputs)}], clear inputs [{string.Join(", ", compiled.ClearInputs)}]"));
        o.WriteLine(Invariant($"  ciphertext ops: {s.CiphertextMultiplications} multiply, {s.CiphertextAdditions} add, {s.Negations} negate, {s.Rotations} rotate"));
        o.WriteLine(Invariant($"  plaintext ops: {s.PlaintextMultiplications} multiply, {s.PlaintextAdditions} add; {s.ClearOperations} operations in the clear"));
        o.WriteLine(Invariant($"  {s.Relinearizations} relinearisations, {s.Rescales} rescales, {s.ModSwitches} level switches, rotation keys [{string.Join(", ", s.RotationSteps)}]"));
        if (s.MaxApproximationError > 0)
        {
            o.WriteLine(Invariant($"  largest approximation error on the declared ranges: {s.MaxApproximationError:G3}"));
        }
    }

    private static string SchemeName(CompiledProgram compiled) => compiled.Scheme.ToString().ToLowerInvariant();

    private static JsonArray Numbers(IEnumerable<double> values) => new([.. values.Select(v => (JsonNode)Math.Round(v, 9))]);

    private static string Preview(IReadOnlyList<double> values) =>
        string.Join(", ", values.Take(4).Select(v => v.ToString("G6", CultureInfo.InvariantCulture))) + (values.Count > 4 ? ", ..." : "");

    private static string FirstSentence(string message) => message.Split(" (Parameter", 2)[0];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
