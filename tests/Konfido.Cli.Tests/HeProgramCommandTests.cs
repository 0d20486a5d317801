using System.Text.Json;

namespace Konfido.Cli.Tests;

public sealed class HeProgramCommandTests
{
    private static string Example(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "examples", "he", file);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"examples/he/{file} not found.");
    }

    [Theory]
    [InlineData("copd_risk", "ckks")]
    [InlineData("cross_border", "bfv")]
    public async Task Compile_json_has_the_contract_fields_within_the_128_bit_limits(string program, string scheme)
    {
        var result = await CliRun.RunAsync("he", "compile", Example(program + ".he"), "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.Equal(scheme, root.GetProperty("scheme").GetString());
        int n = root.GetProperty("n").GetInt32();
        int logq = root.GetProperty("logq").GetInt32();
        Assert.Equal(128, root.GetProperty("security_bits").GetInt32());
        Assert.True(logq <= He.CoeffModulus.MaxBitCount(n), $"log q {logq} exceeds the 128-bit limit for N={n}");
        var primes = root.GetProperty("primes").EnumerateArray().Select(p => p.GetUInt64()).ToList();
        Assert.Equal(logq, primes.Sum(p => 64 - System.Numerics.BitOperations.LeadingZeroCount(p)));
        Assert.All(primes, p => Assert.Equal(1UL, p % (2UL * (ulong)n)));
        Assert.True(root.GetProperty("depth").GetInt32() >= 0);
        foreach (var field in new[] { "multiply", "add", "rotate" })
        {
            Assert.True(root.GetProperty("ciphertext_ops").TryGetProperty(field, out _), field);
        }

        Assert.True(root.GetProperty("plaintext_ops").TryGetProperty("multiply", out _));
        Assert.True(root.TryGetProperty("relinearizations", out _));
        Assert.True(root.TryGetProperty("rescales", out _));
        Assert.True(root.GetProperty("rotation_keys").GetArrayLength() > 0);
    }

    [Fact]
    public async Task Compile_keeps_clear_inputs_clear_and_naive_makes_them_secret()
    {
        var compiled = await CliRun.RunAsync("he", "compile", Example("copd_risk.he"), "--json");
        var naive = await CliRun.RunAsync("he", "compile", Example("copd_risk.he"), "--json", "--naive");
        using var c = JsonDocument.Parse(compiled.Stdout);
        using var v = JsonDocument.Parse(naive.Stdout);
        Assert.Equal(["features"], c.RootElement.GetProperty("secret_inputs").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(3, v.RootElement.GetProperty("secret_inputs").GetArrayLength());
        Assert.True(c.RootElement.GetProperty("depth").GetInt32() < v.RootElement.GetProperty("depth").GetInt32());
    }

    [Fact]
    public async Task Run_json_reports_encrypted_clear_and_error()
    {
        var result = await CliRun.RunAsync("he", "run", Example("cross_border.he"), "--inputs", Example("cross_border.inputs.json"), "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var outputs = doc.RootElement.GetProperty("outputs");
        var total = outputs.GetProperty("total");
        var encrypted = total.GetProperty("encrypted").EnumerateArray().Select(e => e.GetDouble()).ToList();
        var clear = total.GetProperty("clear").EnumerateArray().Select(e => e.GetDouble()).ToList();
        Assert.Equal(16, encrypted.Count);
        Assert.Equal(clear, encrypted);
        Assert.Equal(0, total.GetProperty("max_abs_error").GetDouble());
        var grand = outputs.GetProperty("grand_total").GetProperty("clear")[0].GetDouble();
        Assert.Equal(clear.Sum(), grand);
        var timings = doc.RootElement.GetProperty("timings_ms");
        foreach (var name in new[] { "keygen", "encrypt", "evaluate", "decrypt" })
        {
            Assert.True(timings.GetProperty(name).GetDouble() >= 0, name);
        }
    }

    [Fact]
    public async Task Run_compare_naive_reports_both()
    {
        var result = await CliRun.RunAsync("he", "run", Example("copd_risk.he"), "--inputs", Example("copd_risk.inputs.json"), "--json", "--compare-naive");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("outputs").GetProperty("risk").GetProperty("max_abs_error").GetDouble() < 0.05);
        Assert.True(root.GetProperty("naive").GetProperty("n").GetInt32() >= root.GetProperty("n").GetInt32());
        Assert.True(root.GetProperty("speedup_evaluate").GetDouble() > 0);
    }

    [Fact]
    public async Task A_syntax_error_names_file_line_and_column()
    {
        using var dir = new Konfido.Testing.TemporaryDirectory();
        var path = Path.Combine(dir.Path, "bad.he");
        await File.WriteAllTextAsync(path, "slots 4\nsecret x in [0, 1]\noutput y = x * * 2\n");
        var result = await CliRun.RunAsync("he", "compile", path);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("bad.he:3:16:", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Bad_inputs_are_usage_errors_naming_the_file()
    {
        using var dir = new Konfido.Testing.TemporaryDirectory();
        var outOfRange = Path.Combine(dir.Path, "range.json");
        await File.WriteAllTextAsync(outOfRange, """{"dk": 20000, "es": 1, "it": 2}""");
        var result = await CliRun.RunAsync("he", "run", Example("cross_border.he"), "--inputs", outOfRange);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("range.json", result.Stderr);
        Assert.Contains("outside its declared range", result.Stderr);

        var missing = await CliRun.RunAsync("he", "run", Example("cross_border.he"), "--inputs", Path.Combine(dir.Path, "none.json"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("none.json", missing.Stderr);

        var notJson = Path.Combine(dir.Path, "broken.json");
        await File.WriteAllTextAsync(notJson, "{ nope");
        var broken = await CliRun.RunAsync("he", "run", Example("cross_border.he"), "--inputs", notJson);
        Assert.Equal(2, broken.ExitCode);
        Assert.Contains("broken.json", broken.Stderr);
    }
}
