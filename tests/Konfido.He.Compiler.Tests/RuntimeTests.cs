using Konfido.He.Compiler.Runtime;
using Konfido.He.Serialization;

namespace Konfido.He.Compiler.Tests;

public sealed class RuntimeTests
{
    private const string Source = "program t\nslots 8\nsecret x in [0, 4]\nclear w in [-1, 1]\noutput y = dot(x, w) + rotate(x * x, 1)";

    private static readonly Dictionary<string, double[]> Inputs = new()
    {
        ["x"] = [0, 0.5, 1, 1.5, 2, 2.5, 3, 4],
        ["w"] = [1, -1, 0.5, -0.5, 0.25, -0.25, 0, 1],
    };

    [Fact]
    public void The_server_side_gets_no_secret_key()
    {
        var program = HeCompiler.Compile(Source);
        var holder = new HeKeyHolder(program);
        var keys = HeBundle.Deserialize(holder.EvaluationKeys.Serialize());
        Assert.Equal([KeyNames.Galois, KeyNames.Public, KeyNames.Relin], keys.Names);
        var context = new HeContext(program.EncryptionParameters);
        foreach (var name in keys.Names)
        {
            // Whatever the entry is, it does not load as a secret key.
            Assert.Throws<HeFormatException>(() => HeSerializer.LoadSecretKey(context, keys[name]));
        }

        // A bundle that smuggles a secret key is refused by the server.
        var keygen = new KeyGenerator(context);
        keys.Set("secret", HeSerializer.Save(keygen.SecretKey));
        var error = Assert.Throws<HeFormatException>(() => new HeProgramServer(program, keys));
        Assert.Contains("unexpected entry 'secret'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Client_and_server_meet_only_through_bytes_and_agree_with_the_clear_run()
    {
        var program = HeCompiler.Compile(Source);
        var report = HeProgramRunner.Run(program, Inputs);
        Assert.True(report.Outputs[0].MaxAbsError < 1e-3, $"error {report.Outputs[0].MaxAbsError}");
        // dot(x, w) = -0.5 + 0.5 - 0.75 + 0.5 - 0.625 + 4 = 3.125; rotate(x*x, 1)[i] = x[i+1]^2 (cyclic).
        Assert.Equal([3.375, 4.125, 5.375, 7.125, 9.375, 12.125, 19.125, 3.125], report.Outputs[0].Clear.Select(v => Math.Round(v, 3)));
        Assert.True(report.EvaluationKeyBytes > 0 && report.InputBytes > 0 && report.ResultBytes > 0);
    }

    [Fact]
    public void Malformed_or_foreign_ciphertexts_are_refused_with_a_reason()
    {
        var program = HeCompiler.Compile(Source);
        var holder = new HeKeyHolder(program);
        var server = new HeProgramServer(program, holder.EvaluationKeys);
        var clear = new Dictionary<string, double[]> { ["w"] = Inputs["w"] };
        var good = holder.CreateEncryptor().Encrypt("x", Inputs["x"]);

        var garbage = new HeBundle();
        garbage.Set("x", [1, 2, 3, 4, 5]);
        var error = Assert.Throws<HeFormatException>(() => server.Evaluate(garbage, clear));
        Assert.StartsWith("input 'x': ", error.Message, StringComparison.Ordinal);

        var truncated = new HeBundle();
        truncated.Set("x", good[..(good.Length / 2)]);
        Assert.Throws<HeFormatException>(() => server.Evaluate(truncated, clear));

        var other = HeCompiler.Compile("slots 8\nsecret x in [0, 4]\noutput y = x * x * x * x");
        Assert.NotEqual(program.ParmsId, other.ParmsId);
        var foreign = new HeBundle();
        foreign.Set("x", new HeKeyHolder(other).CreateEncryptor().Encrypt("x", Inputs["x"]));
        Assert.Throws<HeFormatException>(() => server.Evaluate(foreign, clear));

        Assert.Throws<HeFormatException>(() => HeBundle.Deserialize("KHEB\u0001"u8));
        Assert.Throws<HeFormatException>(() => HeBundle.Deserialize([.. "KHEB"u8, 1, 255, 255, 255, 127]));
    }

    [Fact]
    public void Inputs_outside_their_declared_range_or_shape_are_refused()
    {
        var program = HeCompiler.Compile(Source);
        var encryptor = new HeKeyHolder(program).CreateEncryptor();
        Assert.Contains("outside its declared range", Assert.Throws<ArgumentException>(() => encryptor.Encrypt("x", [5.0])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => encryptor.Encrypt("x", [1.0, 2.0]));
        Assert.Throws<ArgumentException>(() => encryptor.Encrypt("w", [0.5]));
        var integer = new HeKeyHolder(HeCompiler.Compile("slots 2\nsecret k int in [0, 3]\noutput y = k + 1")).CreateEncryptor();
        Assert.Contains("not an integer", Assert.Throws<ArgumentException>(() => integer.Encrypt("k", [1.5])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bfv_results_are_exact_with_noise_budget_left()
    {
        var program = HeCompiler.Compile(ExampleFiles.Source("glucose_histogram"));
        var report = HeProgramRunner.Run(program, ExampleFiles.Inputs("glucose_histogram"));
        Assert.All(report.Outputs, o => Assert.Equal(0, o.MaxAbsError));
        Assert.Equal(256, report.Outputs.Sum(o => o.Clear[0]));
        Assert.True(report.NoiseBudgetBits > 0, $"noise budget {report.NoiseBudgetBits}");
    }

    // Property test: random programs over + - * rotate with clear and secret operands, run
    // encrypted, agree with the clear reference evaluation.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Random_programs_agree_with_the_clear_run(int seed)
    {
        var random = new Random(seed);
        var b = new HeProgramBuilder("random", 8);
        var leaves = new List<HeExpression> { b.Secret("a", -1, 1), b.Secret("c", -1, 1), b.Clear("w", -1, 1) };
        var pool = new List<HeExpression>(leaves);
        int multiplications = 0;
        for (int i = 0; i < 8; i++)
        {
            var x = pool[random.Next(pool.Count)];
            var y = pool[random.Next(pool.Count)];
            HeExpression e = random.Next(6) switch
            {
                0 => x + y,
                1 => x - y,
                2 when multiplications < 3 => x * y,
                3 => x.Rotate(random.Next(-3, 4)),
                4 => x * Math.Round(random.NextDouble() * 2 - 1, 2),
                _ => -x + 0.5,
            };
            multiplications += e.Op == HeOp.Mul ? 1 : 0;
            pool.Add(e);
        }

        b.Output("y", pool[^1] + pool[^2]);
        var program = HeCompiler.Compile(b.Build());
        var inputs = new Dictionary<string, double[]>
        {
            ["a"] = [.. Enumerable.Range(0, 8).Select(_ => random.NextDouble() * 2 - 1)],
            ["c"] = [.. Enumerable.Range(0, 8).Select(_ => random.NextDouble() * 2 - 1)],
            ["w"] = [.. Enumerable.Range(0, 8).Select(_ => random.NextDouble() * 2 - 1)],
        };
        var report = HeProgramRunner.Run(program, inputs);
        double scale = Math.Max(1, report.Outputs[0].Clear.Max(Math.Abs));
        Assert.True(report.Outputs[0].MaxAbsError < 1e-3 * scale, $"{program.Program.ToSource()}\nerror {report.Outputs[0].MaxAbsError}");
    }
}
