// The HE compiler: from a program that mixes clear and secret vectors to an encrypted plan and
// parameters. Passes, in order:
//   1. graph construction with structural sharing (common subexpressions once);
//   2. type inference (a value is clear until a secret value touches it) and constant folding
//      (with x+0, x*1, x*0, x*-1, --x and rotation composition);
//   3. scheme selection: BFV for exact integer programs, CKKS for reals;
//   4. lowering of secret sums, dot products, polynomials, approximations and integer equality to
//      + - * and rotations (clear ones stay whole and run exactly in the clear);
//   5. depth-minimising rebalancing of product and sum trees (Huffman on multiplicative depth);
//   6. scheduling: lazy relinearisation, waterline rescaling, mod-switch alignment before adds and
//      multiplies, clear x secret as plaintext multiplications;
//   7. rotation-key selection and parameter selection (smallest N, then the modulus chain, within
//      the HomomorphicEncryption.org 128-bit limits).
// References:
//  - R. Dathathri et al., "EVA: An Encrypted Vector Arithmetic Language and Compiler for Efficient
//    Homomorphic Computation", PLDI 2020 (waterline rescaling, lazy relinearisation, mod-switch
//    alignment). R. Dathathri et al., "CHET", PLDI 2019 (parameter selection from the circuit).
//  - M. Albrecht et al., "Homomorphic Encryption Security Standard", HomomorphicEncryption.org, 2018,
//    Table 1 (the log q limits per N at 128 bits).
//  - J. H. Cheon, A. Kim, M. Kim, Y. Song, "Homomorphic Encryption for Arithmetic of Approximate
//    Numbers", ASIACRYPT 2017 (CKKS scale management).
using Konfido.He.Arithmetic;
using Konfido.He.Serialization;

namespace Konfido.He.Compiler;

/// <summary>How to compile.</summary>
public sealed record HeCompilerOptions
{
    /// <summary>
    /// The baseline the benchmark compares with, a program as written by hand without a compiler:
    /// every input secret, products and sums in source order (no rebalancing, no scalar push-down,
    /// no packing), polynomials by Horner's rule, relinearise and rescale right after every
    /// multiplication, no free integer multiplications. Same lowering of sums (rotate-and-add) and
    /// the same parameter selection.
    /// </summary>
    public bool Naive { get; init; }

    /// <summary>Threads over RNS limbs for the run-time (1: the calling thread only).</summary>
    public int Threads { get; init; } = 1;
}

/// <summary>Compiles <see cref="HeProgram"/>s.</summary>
public static class HeCompiler
{
    /// <summary>Compiles <paramref name="program"/>. Throws <see cref="HeCompilationException"/> when no secure parameters fit.</summary>
    public static CompiledProgram Compile(HeProgram program, HeCompilerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        options ??= new HeCompilerOptions();
        if (options.Threads < 1 || options.Threads > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "threads must be 1 to 64.");
        }

        var source = FromProgram(program, options.Naive);
        source.Infer();
        var folded = Passes.Fold(source);
        folded.Infer();
        var scheme = Passes.IsIntegerProgram(program, folded) ? SchemeType.Bfv : SchemeType.Ckks;
        var lowered = Passes.Lower(folded, program.ApproximationDegree, horner: options.Naive);
        lowered.Infer();
        if (!options.Naive)
        {
            lowered = Passes.PushScalars(lowered);
            lowered = Passes.Fold(lowered);
            lowered.Infer();
        }

        if (!options.Naive && scheme == SchemeType.Bfv)
        {
            lowered = Passes.PackSums(lowered);
            lowered.Infer();
        }

        lowered = Passes.LowerSums(lowered);
        lowered.Infer();
        var final = options.Naive ? lowered : Passes.Rebalance(lowered, scheme);
        final = Passes.Fold(final);
        final.Infer();
        var schedule = Scheduler.Run(final, scheme, options.Naive);
        var parameters = ParameterSelection.Choose(program, final, schedule, scheme);
        var statistics = CompilationStatistics.From(final, schedule, parameters, folded, program.ApproximationDegree);
        return new CompiledProgram(program, options, scheme, parameters, source, final, schedule, statistics);
    }

    /// <summary>Parses and compiles program text. Throws <see cref="HeSyntaxException"/> or <see cref="HeCompilationException"/>.</summary>
    public static CompiledProgram Compile(string source, HeCompilerOptions? options = null) =>
        Compile(HeProgramParser.Parse(source), options);

    private static Graph FromProgram(HeProgram program, bool naive)
    {
        var graph = new Graph(program.Slots);
        var memo = new Dictionary<HeExpression, int>(ReferenceEqualityComparer.Instance);
        foreach (var output in program.Outputs)
        {
            graph.Outputs.Add((output.Name, Build(output.Value)));
        }

        return graph;

        int Build(HeExpression e)
        {
            if (memo.TryGetValue(e, out int id))
            {
                return id;
            }

            var args = e.Operands.Select(Build).ToArray();
            id = e.Op switch
            {
                HeOp.Input => graph.Add(HeOp.Input, [], (i, op, a) => new Node
                {
                    Id = i, Op = op, Args = a,
                    Input = naive && !e.Input!.IsSecret ? e.Input with { IsSecret = true } : e.Input,
                }),
                HeOp.Constant => graph.Constant([.. e.Values!]),
                HeOp.Rotate => graph.Rotate(args[0], e.Steps),
                _ => graph.Add(e.Op, args, (i, op, a) => new Node
                {
                    Id = i, Op = op, Args = a,
                    Coefficients = e.Coefficients is null ? null : [.. e.Coefficients],
                    Function = e.Function, Low = e.Low, High = e.High, Target = e.Target,
                }),
            };
            memo[e] = id;
            return id;
        }
    }
}

/// <summary>The program cannot be compiled (e.g. no parameters within the security limits fit).</summary>
public sealed class HeCompilationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HeCompilationException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public HeCompilationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and a cause.</summary>
    public HeCompilationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The parameters the compiler chose.</summary>
/// <param name="Scheme">BFV (exact integers) or CKKS (reals).</param>
/// <param name="PolyModulusDegree">N.</param>
/// <param name="CoeffModulusBits">Bit sizes of the primes q_0..q_k (the last is the special prime).</param>
/// <param name="PlainModulusBits">BFV: the bits of t; CKKS: 0.</param>
/// <param name="ScaleBits">CKKS: log2 of the scale; BFV: 0.</param>
public sealed record HeParameters(SchemeType Scheme, int PolyModulusDegree, IReadOnlyList<int> CoeffModulusBits, int PlainModulusBits, int ScaleBits)
{
    /// <summary>The bits of the whole coefficient modulus (with the special prime, summed over the actual primes): the quantity the standard limits.</summary>
    public int LogQ => Primes.Sum(p => 64 - System.Numerics.BitOperations.LeadingZeroCount(p));

    /// <summary>The primes q_0..q_k (the last is the special prime).</summary>
    public IReadOnlyList<ulong> Primes => field ??= [.. ToEncryptionParameters().CoeffModulus.Select(m => m.Value)];

    /// <summary>The classical security level the parameters meet (HomomorphicEncryption.org, ternary secrets).</summary>
    public int SecurityBits => LogQ <= CoeffModulus.MaxBitCount(PolyModulusDegree, SecurityLevel.Tc128) ? 128 : 0;

    /// <summary>
    /// The SEAL-style parameters, primes generated deterministically from the sizes. CKKS: the
    /// scale primes are chosen one by one, each the unused NTT prime closest to S_c^2 / 2^s, so that
    /// the canonical scales S_(c+1) = S_c^2 / q_c stay within a fraction of a percent of 2^s.
    /// </summary>
    public EncryptionParameters ToEncryptionParameters()
    {
        var parameters = new EncryptionParameters(Scheme)
        {
            PolyModulusDegree = PolyModulusDegree,
            CoeffModulus = Scheme == SchemeType.Ckks ? CkksChain() : CoeffModulus.Create(PolyModulusDegree, CoeffModulusBits),
        };
        if (Scheme != SchemeType.Ckks)
        {
            parameters.PlainModulus = PlainModulus.Batching(PolyModulusDegree, PlainModulusBits);
        }

        return parameters;
    }

    private Modulus[] CkksChain()
    {
        int depth = CoeffModulusBits.Count - 2;
        var ends = CoeffModulus.Create(PolyModulusDegree, [CoeffModulusBits[0], CoeffModulusBits[^1]]);
        var used = new HashSet<ulong> { ends[0].Value, ends[1].Value };
        var chain = new Modulus[CoeffModulusBits.Count];
        chain[0] = ends[0];
        chain[^1] = ends[1];
        double scale = Math.Pow(2, ScaleBits);
        double current = scale;
        ulong step = 2UL * (ulong)PolyModulusDegree;
        for (int c = 0; c < depth; c++)
        {
            // Level c drops the prime at position depth - c; aim for S_(c+1) = 2^s.
            double target = current * current / scale;
            ulong center = (ulong)Math.Round(target / step) * step + 1;
            ulong prime = 0;
            for (ulong k = 0; prime == 0; k++)
            {
                foreach (ulong candidate in new[] { center + (k * step), center - (k * step) })
                {
                    if (candidate > step && !used.Contains(candidate) && NumberTheory.IsPrime(candidate)
                        && (prime == 0 || Math.Abs(candidate - target) < Math.Abs(prime - target)))
                    {
                        prime = candidate;
                    }
                }
            }

            used.Add(prime);
            chain[depth - c] = new Modulus(prime);
            current = current * current / prime;
        }

        return chain;
    }
}

/// <summary>What the compiled program costs: depth and operation counts of the encrypted part.</summary>
public sealed record CompilationStatistics
{
    /// <summary>Multiplicative depth: CKKS levels consumed (rescales on the longest path); BFV ciphertext-multiplication depth.</summary>
    public int Depth { get; init; }

    /// <summary>Ciphertext x ciphertext multiplications.</summary>
    public int CiphertextMultiplications { get; init; }

    /// <summary>Ciphertext x plaintext multiplications.</summary>
    public int PlaintextMultiplications { get; init; }

    /// <summary>Ciphertext + ciphertext additions and subtractions.</summary>
    public int CiphertextAdditions { get; init; }

    /// <summary>Ciphertext + plaintext additions and subtractions.</summary>
    public int PlaintextAdditions { get; init; }

    /// <summary>Negations.</summary>
    public int Negations { get; init; }

    /// <summary>Rotations.</summary>
    public int Rotations { get; init; }

    /// <summary>Relinearisations.</summary>
    public int Relinearizations { get; init; }

    /// <summary>Rescales (CKKS).</summary>
    public int Rescales { get; init; }

    /// <summary>Modulus switches for level alignment.</summary>
    public int ModSwitches { get; init; }

    /// <summary>Encrypted inputs.</summary>
    public int Encryptions { get; init; }

    /// <summary>Operations left in the clear (computed on clear vectors at run time).</summary>
    public int ClearOperations { get; init; }

    /// <summary>Rotation steps that need a Galois key (only those the program uses).</summary>
    public IReadOnlyList<int> RotationSteps { get; init; } = [];

    /// <summary>The largest error of the polynomial approximations on their declared ranges (0 if none).</summary>
    public double MaxApproximationError { get; init; }

    internal static CompilationStatistics From(Graph graph, Schedule schedule, HeParameters parameters, Graph source, int degree)
    {
        int Count(params PlanCode[] codes) => schedule.Steps.Count(s => codes.Contains(s.Code));
        var live = graph.Live();
        int clear = graph.Nodes.Count(n => live[n.Id] && !n.Secret && n.Op is not (HeOp.Input or HeOp.Constant));
        double approxError = 0;
        foreach (var node in source.Nodes.Where(n => n.Op == HeOp.Approx && n.Secret))
        {
            approxError = Math.Max(approxError, Approximation.MaxError(node.Function, node.Low, node.High, degree));
        }

        return new CompilationStatistics
        {
            Depth = parameters.Scheme == SchemeType.Ckks ? schedule.Depth : schedule.MultiplicativeDepth,
            CiphertextMultiplications = Count(PlanCode.Multiply),
            PlaintextMultiplications = Count(PlanCode.MultiplyPlain),
            CiphertextAdditions = Count(PlanCode.Add, PlanCode.Sub),
            PlaintextAdditions = Count(PlanCode.AddPlain, PlanCode.SubPlain, PlanCode.PlainSub),
            Negations = Count(PlanCode.Negate),
            Rotations = Count(PlanCode.Rotate),
            Relinearizations = Count(PlanCode.Relinearize),
            Rescales = Count(PlanCode.Rescale),
            ModSwitches = Count(PlanCode.ModSwitch),
            Encryptions = Count(PlanCode.LoadInput),
            ClearOperations = clear,
            RotationSteps = schedule.RotationSteps,
            MaxApproximationError = approxError,
        };
    }
}

/// <summary>
/// A compiled program: parameters, the encrypted plan and the clear part. Serialisable (the text of
/// the program, the options and the parameters' fingerprint) so that a server can load it.
/// </summary>
public sealed class CompiledProgram
{
    internal CompiledProgram(HeProgram program, HeCompilerOptions options, SchemeType scheme, HeParameters parameters,
        Graph source, Graph graph, Schedule schedule, CompilationStatistics statistics)
    {
        Program = program;
        Options = options;
        Scheme = scheme;
        Parameters = parameters;
        Source = source;
        Graph = graph;
        Schedule = schedule;
        Statistics = statistics;
        EncryptionParameters = parameters.ToEncryptionParameters();
        ParmsId = ParmsId.Compute(scheme, parameters.PolyModulusDegree, [.. EncryptionParameters.CoeffModulus],
            EncryptionParameters.PlainModulus?.Value ?? 0);
    }

    /// <summary>The program.</summary>
    public HeProgram Program { get; }

    /// <summary>The options it was compiled with.</summary>
    public HeCompilerOptions Options { get; }

    /// <summary>The scheme chosen.</summary>
    public SchemeType Scheme { get; }

    /// <summary>The parameters chosen.</summary>
    public HeParameters Parameters { get; }

    /// <summary>The SEAL-style encryption parameters (primes included).</summary>
    public EncryptionParameters EncryptionParameters { get; }

    /// <summary>The fingerprint of the parameters (scheme, N, primes, t).</summary>
    public ParmsId ParmsId { get; }

    /// <summary>Depth and operation counts.</summary>
    public CompilationStatistics Statistics { get; }

    /// <summary>Names of the secret inputs (encrypted by the data owner), in declaration order.</summary>
    public IReadOnlyList<string> SecretInputs => [.. Program.Inputs.Where(i => i.IsSecret || Options.Naive).Select(i => i.Name)];

    /// <summary>Names of the clear inputs (given to the server in the clear).</summary>
    public IReadOnlyList<string> ClearInputs => [.. Program.Inputs.Where(i => !i.IsSecret && !Options.Naive).Select(i => i.Name)];

    /// <summary>Whether the plan multiplies ciphertexts (and so needs relinearisation keys).</summary>
    public bool NeedsRelinKeys => Schedule.Steps.Any(s => s.Code == PlanCode.Multiply);

    internal Graph Source { get; }

    /// <summary>The encrypted plan, one instruction per line (register, operation, operands, level, scale exponent).</summary>
    public string DescribePlan()
    {
        var text = new System.Text.StringBuilder();
        foreach (var step in Schedule.Steps)
        {
            var info = Schedule.Registers[step.Result];
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"r{step.Result} = {step.Code}");
            if (step.A >= 0)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $" r{step.A}");
            }

            if (step.B >= 0)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $" r{step.B}");
            }

            if (step.Plain >= 0)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $" clear#{step.Plain}");
            }

            if (step.Code == PlanCode.Rotate)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $" by {step.Steps}");
            }

            if (step.Input is not null)
            {
                text.Append(' ').Append(step.Input);
            }

            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"   [level {info.Level}, scale^{info.ScaleExponent}, size {info.Size}]\n");
        }

        foreach (var output in Schedule.Outputs)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"output {output.Name} = {(output.Register >= 0 ? "r" + output.Register.ToString(System.Globalization.CultureInfo.InvariantCulture) : "clear")}\n");
        }

        return text.ToString();
    }

    internal Graph Graph { get; }

    internal Schedule Schedule { get; }

    /// <summary>The program in a form a server can load: text, options and the parameters' fingerprint (JSON, UTF-8).</summary>
    public byte[] Serialize()
    {
        var document = new System.Text.Json.Nodes.JsonObject
        {
            ["format"] = "konfido-he-program/1",
            ["source"] = Program.ToSource(),
            ["naive"] = Options.Naive,
            ["parms_id"] = ParmsId.ToString(),
        };
        return System.Text.Encoding.UTF8.GetBytes(document.ToJsonString());
    }

    /// <summary>Loads a serialised program (recompiling it). Throws <see cref="HeFormatException"/> for malformed or inconsistent data.</summary>
    public static CompiledProgram Deserialize(ReadOnlySpan<byte> data, int threads = 1)
    {
        System.Text.Json.Nodes.JsonNode? document;
        try
        {
            document = System.Text.Json.Nodes.JsonNode.Parse(data.ToArray());
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new HeFormatException("the program is not valid JSON: " + ex.Message, ex);
        }

        if (document is not System.Text.Json.Nodes.JsonObject obj || (string?)obj["format"] != "konfido-he-program/1"
            || obj["source"] is null || obj["parms_id"] is null)
        {
            throw new HeFormatException("the program is not a konfido-he-program/1 document.");
        }

        CompiledProgram compiled;
        try
        {
            compiled = HeCompiler.Compile((string)obj["source"]!, new HeCompilerOptions { Naive = (bool?)obj["naive"] ?? false, Threads = threads });
        }
        catch (Exception ex) when (ex is HeSyntaxException or HeCompilationException or InvalidOperationException)
        {
            throw new HeFormatException("the program does not compile: " + ex.Message, ex);
        }

        if (compiled.ParmsId.ToString() != (string?)obj["parms_id"])
        {
            throw new HeFormatException($"the program's parameters {(string?)obj["parms_id"]} differ from those it compiles to ({compiled.ParmsId}).");
        }

        return compiled;
    }
}
