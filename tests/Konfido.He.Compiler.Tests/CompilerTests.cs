using Konfido.He.Compiler.Runtime;

namespace Konfido.He.Compiler.Tests;

public sealed class CompilerTests
{
    private static CompiledProgram Compile(string body, bool naive = false, int slots = 8) =>
        HeCompiler.Compile($"slots {slots}\n" + body, new HeCompilerOptions { Naive = naive });

    private static Dictionary<string, double[]> Ramp(CompiledProgram program)
    {
        var inputs = new Dictionary<string, double[]>();
        foreach (var input in program.Program.Inputs)
        {
            inputs[input.Name] = [.. Enumerable.Range(0, program.Program.Slots).Select(i =>
            {
                double v = input.Low + (input.High - input.Low) * ((i * 7 + input.Name.Length) % program.Program.Slots) / Math.Max(1, program.Program.Slots - 1);
                return input.IsInteger ? Math.Round(v) : v;
            })];
        }

        return inputs;
    }

    private static void AssertRunsCorrectly(CompiledProgram program, double tolerance)
    {
        var report = HeProgramRunner.Run(program, Ramp(program));
        foreach (var output in report.Outputs)
        {
            Assert.True(output.MaxAbsError <= tolerance, $"{output.Name}: {output.MaxAbsError} > {tolerance}");
        }
    }

    // ---------------------------------------------------------------- inference and folding

    [Fact]
    public void Clear_subexpressions_stay_clear_and_clear_times_secret_is_a_plaintext_multiplication()
    {
        var program = Compile("secret x in [0, 1]\nclear w in [-1, 1]\noutput y = x * (w * 2 + 1)");
        var s = program.Statistics;
        Assert.Equal(0, s.CiphertextMultiplications);
        Assert.Equal(1, s.PlaintextMultiplications);
        Assert.Equal(1, s.Encryptions);
        Assert.True(s.ClearOperations >= 2, $"clear operations: {s.ClearOperations}");
        Assert.Equal(["x"], program.SecretInputs);
        Assert.Equal(["w"], program.ClearInputs);
        AssertRunsCorrectly(program, 1e-4);
    }

    [Fact]
    public void Only_secret_times_secret_costs_a_ciphertext_multiplication()
    {
        var program = Compile("secret x in [0, 1]\nsecret z in [0, 1]\nclear w in [0, 1]\noutput y = x * z + x * w");
        Assert.Equal(1, program.Statistics.CiphertextMultiplications);
        Assert.Equal(1, program.Statistics.PlaintextMultiplications);
    }

    [Fact]
    public void Constants_fold_at_compile_time()
    {
        var program = Compile("secret x in [0, 1]\noutput y = x * (2 * 3 - 5) + (4 - 4)");
        var s = program.Statistics;
        Assert.Equal(0, s.CiphertextMultiplications + s.PlaintextMultiplications + s.PlaintextAdditions + s.CiphertextAdditions);
        Assert.Equal(0, s.Depth);
    }

    [Fact]
    public void An_output_nothing_secret_touches_is_computed_and_returned_in_the_clear()
    {
        var program = Compile("secret x in [0, 1]\nclear w in [0, 1]\noutput a = x + w\noutput b = sum(w) * 2");
        var report = HeProgramRunner.Run(program, Ramp(program));
        var b = report.Outputs.Single(o => o.Name == "b");
        Assert.Equal(0, b.MaxAbsError);
        Assert.Equal(1, program.Statistics.Encryptions);
        Assert.Equal(0, program.Statistics.Rotations);
    }

    [Theory]
    [InlineData("secret x int in [0, 9]\noutput y = x * 3 + 1", SchemeType.Bfv)]
    [InlineData("secret x int in [0, 9]\noutput y = x * 0.5", SchemeType.Ckks)]
    [InlineData("secret x in [0, 9]\noutput y = x * 3", SchemeType.Ckks)]
    [InlineData("secret x int in [0, 9]\noutput y = sigmoid(x, 0, 9)", SchemeType.Ckks)]
    [InlineData("secret x int in [0, 3]\noutput y = eq(x, 1, 0, 3)", SchemeType.Bfv)]
    public void Exact_integer_programs_get_bfv_and_real_ones_ckks(string body, SchemeType scheme) =>
        Assert.Equal(scheme, Compile(body).Scheme);

    // ---------------------------------------------------------------- passes

    [Fact]
    public void Rebalancing_turns_a_product_chain_into_a_tree()
    {
        const string body = "secret a in [0, 1]\nsecret b in [0, 1]\nsecret c in [0, 1]\nsecret d in [0, 1]\nsecret e in [0, 1]\nsecret f in [0, 1]\nsecret g in [0, 1]\nsecret h in [0, 1]\noutput y = a * b * c * d * e * f * g * h";
        var compiled = Compile(body);
        var naive = Compile(body, naive: true);
        Assert.Equal(3, compiled.Statistics.Depth);
        Assert.Equal(7, naive.Statistics.Depth);
        Assert.Equal(7, compiled.Statistics.CiphertextMultiplications);
        Assert.True(compiled.Parameters.LogQ < naive.Parameters.LogQ);
        AssertRunsCorrectly(compiled, 1e-3);
    }

    [Fact]
    public void Lazy_relinearisation_and_waterline_rescaling_treat_a_sum_of_products_once()
    {
        const string body = "secret a in [0, 1]\nsecret b in [0, 1]\nsecret c in [0, 1]\nsecret d in [0, 1]\noutput y = a * b + c * d + a * d + b * c";
        var compiled = Compile(body);
        var naive = Compile(body, naive: true);
        Assert.Equal(4, compiled.Statistics.CiphertextMultiplications);
        Assert.Equal(1, compiled.Statistics.Relinearizations);
        Assert.Equal(4, naive.Statistics.Relinearizations);
        Assert.Equal(1, compiled.Statistics.Rescales);
        Assert.Equal(4, naive.Statistics.Rescales);
        Assert.Equal(1, compiled.Statistics.Depth);
        AssertRunsCorrectly(compiled, 1e-4);
    }

    [Fact]
    public void Operands_at_different_levels_are_aligned_before_adding()
    {
        var program = Compile("secret x in [0, 1]\nsecret z in [0, 1]\noutput y = x * z + z");
        Assert.Equal(1, program.Statistics.ModSwitches);
        Assert.Equal(1, program.Statistics.Depth);
        AssertRunsCorrectly(program, 1e-4);
    }

    [Fact]
    public void Rotation_keys_are_exactly_the_rotations_used()
    {
        var program = Compile("secret x in [0, 1]\noutput y = rotate(x, 3) + rotate(x, -1) + rotate(rotate(x, 2), 1)", slots: 16);
        Assert.Equal([-1, 3], program.Statistics.RotationSteps);
        Assert.Equal([1, 2, 4, 8], Compile("secret x in [0, 1]\noutput y = sum(x)", slots: 16).Statistics.RotationSteps);
        AssertRunsCorrectly(program, 1e-4);
    }

    [Fact]
    public void A_clear_scalar_is_pushed_into_clear_operands_and_costs_no_level()
    {
        const string body = "secret x in [0, 1]\nclear w in [-1, 1]\nclear b in [-1, 1]\noutput y = (dot(x, w) + b) * 0.25";
        var compiled = Compile(body);
        Assert.Equal(1, compiled.Statistics.Depth);
        Assert.Equal(1, compiled.Statistics.PlaintextMultiplications);
        AssertRunsCorrectly(compiled, 1e-4);
    }

    [Fact]
    public void A_small_integer_constant_multiplies_without_a_level_in_ckks()
    {
        var compiled = Compile("secret x in [0, 1]\noutput y = x * 3 + x * 0.5");
        Assert.Equal(1, compiled.Statistics.Depth);
        Assert.Equal(1, compiled.Statistics.Rescales);
        Assert.Equal(2, Compile("secret x in [0, 1]\noutput y = x * 3 + x * 0.5", naive: true).Statistics.Rescales);
        AssertRunsCorrectly(compiled, 1e-4);
    }

    [Fact]
    public void Polynomial_terms_pair_the_coefficient_with_the_shallowest_power()
    {
        // x^7 needs ceil(log2 7) = 3 levels; with its coefficient it still needs 3 (c x^7 = (c x)(x^2)(x^4)).
        var compiled = Compile("secret x in [-1, 1]\noutput y = poly(x, 0, 0, 0, 0, 0, 0, 0, 0.5)");
        Assert.Equal(3, compiled.Statistics.Depth);

        // The naive baseline evaluates by Horner's rule: (0.5 x) x x x x x x, one level per degree.
        Assert.Equal(7, Compile("secret x in [-1, 1]\noutput y = poly(x, 0, 0, 0, 0, 0, 0, 0, 0.5)", naive: true).Statistics.Depth);
        AssertRunsCorrectly(compiled, 1e-4);
    }

    [Theory]
    [InlineData("sigmoid(x, -4, 4)", 0.02)]
    [InlineData("abs(x, -4, 4)", 0.6)]
    [InlineData("max(x, 1, -4, 4)", 0.6)]
    public void Approximations_stay_within_their_reported_error(string expression, double tolerance)
    {
        var compiled = HeCompiler.Compile($"slots 8\nsecret x in [-3, 3]\noutput y = {expression}");
        Assert.True(compiled.Statistics.MaxApproximationError <= tolerance, $"approximation error {compiled.Statistics.MaxApproximationError}");
        var report = HeProgramRunner.Run(compiled, Ramp(compiled));
        Assert.True(report.Outputs[0].MaxAbsError <= compiled.Statistics.MaxApproximationError + 1e-3,
            $"{report.Outputs[0].MaxAbsError} > {compiled.Statistics.MaxApproximationError}");
    }

    // ---------------------------------------------------------------- parameters

    [Theory]
    [InlineData("vital_signs")]
    [InlineData("copd_risk")]
    [InlineData("glucose_histogram")]
    [InlineData("cross_border")]
    public void Parameters_meet_the_128_bit_limits_with_the_smallest_degree(string name)
    {
        foreach (bool naive in new[] { false, true })
        {
            var program = HeCompiler.Compile(ExampleFiles.Source(name), new HeCompilerOptions { Naive = naive });
            var p = program.Parameters;
            Assert.Equal(128, p.SecurityBits);
            Assert.True(p.LogQ <= CoeffModulus.MaxBitCount(p.PolyModulusDegree, SecurityLevel.Tc128));
            Assert.Empty(HeContext.Validate(program.EncryptionParameters, SecurityLevel.Tc128));
            Assert.Equal(p.CoeffModulusBits.Count, p.Primes.Count);
            if (p.PolyModulusDegree > 4096 && program.Scheme == SchemeType.Ckks)
            {
                // The same chain would break the limit of the next smaller degree.
                Assert.True(p.CoeffModulusBits.Sum() > CoeffModulus.MaxBitCount(p.PolyModulusDegree / 2, SecurityLevel.Tc128));
            }
        }
    }

    [Fact]
    public void A_program_too_deep_for_any_secure_parameters_is_refused_with_the_reasons()
    {
        var b = new HeProgramBuilder("deep", 4);
        var x = b.Secret("x", 0, 1);
        var y = x;
        for (int i = 0; i < 40; i++)
        {
            y = y * y * 0.5;
        }

        b.Output("y", y);
        var error = Assert.Throws<HeCompilationException>(() => HeCompiler.Compile(b.Build()));
        Assert.Contains("N=32768", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialised_programs_reload_to_the_same_parameters_and_tampering_is_refused()
    {
        var program = HeCompiler.Compile(ExampleFiles.Source("copd_risk"));
        var reloaded = CompiledProgram.Deserialize(program.Serialize());
        Assert.Equal(program.ParmsId, reloaded.ParmsId);
        Assert.Equal(program.Program.ToSource(), reloaded.Program.ToSource());
        var tampered = System.Text.Encoding.UTF8.GetString(program.Serialize()).Replace(program.ParmsId.ToString(), "0000000000000000", StringComparison.Ordinal);
        Assert.Throws<He.Serialization.HeFormatException>(() => CompiledProgram.Deserialize(System.Text.Encoding.UTF8.GetBytes(tampered)));
        Assert.Throws<He.Serialization.HeFormatException>(() => CompiledProgram.Deserialize("not json"u8));
    }
}

public sealed class PackingTests
{
    [Fact]
    public void Several_bfv_sums_share_one_rotate_and_add()
    {
        const string body = "slots 16\nsecret a int in [0, 9]\nsecret b int in [0, 9]\nsecret c int in [0, 9]\nclear w int in [0, 5]\noutput sa = sum(a)\noutput sb = sum(b * 2)\noutput sc = sum(c * a)\noutput sw = dot(c, w)";
        var packed = HeCompiler.Compile(body);
        var naive = HeCompiler.Compile(body, new HeCompilerOptions { Naive = true });
        Assert.Equal(4, packed.Statistics.Rotations);
        Assert.Equal(16, naive.Statistics.Rotations);
        var inputs = new Dictionary<string, double[]>
        {
            ["w"] = [.. Enumerable.Range(0, 16).Select(i => (double)(i % 6))],
            ["a"] = [.. Enumerable.Range(0, 16).Select(i => (double)(i % 10))],
            ["b"] = [.. Enumerable.Range(0, 16).Select(i => (double)((i * 3) % 10))],
            ["c"] = [.. Enumerable.Range(0, 16).Select(i => (double)((i * 7) % 10))],
        };
        var report = Runtime.HeProgramRunner.Run(packed, inputs);
        Assert.All(report.Outputs, o => Assert.Equal(0, o.MaxAbsError));
        // sum(a) over i % 10 for i < 16: 0..9 then 0..5 = 45 + 15.
        Assert.Equal(60, report.Outputs[0].Clear[0]);
    }
}

public sealed class PackingOrderTests
{
    [Fact]
    public void Packed_sums_of_different_depths_decrypt_right()
    {
        // One sum of a product (size 3 until relinearised) packed with one of a fresh input.
        const string body = "slots 8\nsecret a int in [0, 9]\nlet late = a * a + a\noutput s2 = sum(late)\noutput s1 = sum(a)";
        var program = HeCompiler.Compile(body);
        Assert.Equal(3, program.Statistics.Rotations);
        var inputs = new Dictionary<string, double[]> { ["a"] = [1, 2, 3, 4, 5, 6, 7, 8] };
        var report = Runtime.HeProgramRunner.Run(program, inputs);
        Assert.All(report.Outputs, o => Assert.Equal(0, o.MaxAbsError));
        // sum(a) = 36; sum(a^2 + a) = 204 + 36.
        Assert.Equal(240, report.Outputs.Single(o => o.Name == "s2").Clear[0]);
        Assert.Equal(36, report.Outputs.Single(o => o.Name == "s1").Clear[0]);
    }
}
