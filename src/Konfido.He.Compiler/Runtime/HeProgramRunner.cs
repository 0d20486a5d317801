using System.Diagnostics;

namespace Konfido.He.Compiler.Runtime;

/// <summary>One output of a run: decrypted, computed in the clear (exact functions), and their largest difference.</summary>
/// <param name="Name">The output's name.</param>
/// <param name="Encrypted">The decrypted result of the encrypted run.</param>
/// <param name="Clear">The same program evaluated in the clear in double precision.</param>
/// <param name="MaxAbsError">max |encrypted - clear| over the slots.</param>
public sealed record HeOutputReport(string Name, IReadOnlyList<double> Encrypted, IReadOnlyList<double> Clear, double MaxAbsError);

/// <summary>The outcome of <see cref="HeProgramRunner.Run"/>.</summary>
/// <param name="Outputs">Every output, in declaration order.</param>
/// <param name="TimingsMs">Wall-clock milliseconds of key generation, encryption, evaluation, decryption and the clear run.</param>
/// <param name="NoiseBudgetBits">BFV: the smallest remaining noise budget of the outputs.</param>
/// <param name="EvaluationKeyBytes">Size of the serialised evaluation keys.</param>
/// <param name="InputBytes">Size of the serialised encrypted inputs.</param>
/// <param name="ResultBytes">Size of the serialised result.</param>
public sealed record HeRunReport(IReadOnlyList<HeOutputReport> Outputs, IReadOnlyDictionary<string, double> TimingsMs, int? NoiseBudgetBits,
    long EvaluationKeyBytes, long InputBytes, long ResultBytes);

/// <summary>Runs a compiled program end to end through the client/server split and compares with the clear run.</summary>
public static class HeProgramRunner
{
    /// <summary>
    /// Generates keys, encrypts the secret inputs, evaluates on a server holding only the
    /// evaluation keys (everything passes through its serialised form), decrypts, and compares
    /// with the clear evaluation. Requires every declared input in <paramref name="inputs"/>.
    /// </summary>
    public static HeRunReport Run(CompiledProgram program, IReadOnlyDictionary<string, double[]> inputs)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(inputs);
        var timings = new Dictionary<string, double>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        double Lap()
        {
            double ms = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            return Math.Round(ms, 3);
        }

        var checkedInputs = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var input in program.Program.Inputs)
        {
            if (!inputs.TryGetValue(input.Name, out var values))
            {
                throw new ArgumentException($"input '{input.Name}' is missing.", nameof(inputs));
            }

            checkedInputs[input.Name] = InputCheck.Vector(program.Program, input.Name, values);
        }

        clock.Restart();
        using var holder = new HeKeyHolder(program);
        byte[] keys = holder.EvaluationKeys.Serialize();
        timings["keygen"] = Lap();

        var encryptor = new HeInputEncryptor(program, HeBundle.Deserialize(keys));
        byte[] encrypted = encryptor.EncryptInputs(checkedInputs).Serialize();
        timings["encrypt"] = Lap();

        var server = new HeProgramServer(CompiledProgram.Deserialize(program.Serialize(), program.Options.Threads), HeBundle.Deserialize(keys));
        timings["server_load"] = Lap();
        var clearInputs = program.ClearInputs.ToDictionary(n => n, n => checkedInputs[n], StringComparer.Ordinal);
        byte[] result = server.Evaluate(HeBundle.Deserialize(encrypted), clearInputs).Serialize();
        timings["evaluate"] = Lap();

        var decrypted = holder.Decrypt(HeBundle.Deserialize(result));
        timings["decrypt"] = Lap();

        var reference = EvaluateClear(program, checkedInputs);
        timings["clear"] = Lap();

        var outputs = program.Program.Outputs.Select(o =>
        {
            var enc = decrypted.Outputs[o.Name];
            var clear = reference[o.Name];
            double error = enc.Zip(clear, (x, y) => Math.Abs(x - y)).Max();
            return new HeOutputReport(o.Name, enc, clear, error);
        }).ToList();
        return new HeRunReport(outputs, timings, decrypted.NoiseBudgetBits, keys.Length, encrypted.Length, result.Length);
    }

    /// <summary>Evaluates the program in the clear (exact functions, double precision). Requires every input.</summary>
    public static IReadOnlyDictionary<string, double[]> EvaluateClear(CompiledProgram program, IReadOnlyDictionary<string, double[]> inputs)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(inputs);
        var graph = program.Source;
        var values = new double[]?[graph.Nodes.Count];
        double[] Value(int node) => values[node] ??= ClearMath.Evaluate(graph[node], Value, graph.Slots, inputs);
        return graph.Outputs.ToDictionary(o => o.Name, o => Value(o.Node), StringComparer.Ordinal);
    }
}
