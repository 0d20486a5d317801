using System.Text.Json;

namespace Konfido.Cli.Tests;

public sealed class HeCommandTests
{
    [Theory]
    [InlineData("bfv")]
    [InlineData("ckks")]
    public async Task Bench_json_has_the_contract_fields(string scheme)
    {
        var result = await CliRun.RunAsync("he", "bench", "--json", "--scheme", scheme, "--n", "4096", "--iterations", "1");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.Equal(scheme, root.GetProperty("scheme").GetString());
        Assert.Equal(4096, root.GetProperty("n").GetInt32());
        Assert.Equal(109, root.GetProperty("logq").GetInt32());
        Assert.Equal(1, root.GetProperty("threads").GetInt32());
        var ops = root.GetProperty("ops");
        foreach (var name in new[] { "ntt_forward", "encrypt_public", "decrypt", "add", "multiply", "multiply_plain", "relinearize", "rotate" })
        {
            Assert.True(ops.GetProperty(name).GetDouble() > 0, name);
        }

        Assert.Equal(scheme == "ckks", ops.TryGetProperty("rescale", out _));
    }

    [Theory]
    [InlineData("--scheme", "rsa", "--scheme")]
    [InlineData("--n", "5000", "--n")]
    [InlineData("--threads", "0", "--threads")]
    public async Task Bench_rejects_bad_options_with_one_line(string option, string value, string named)
    {
        var result = await CliRun.RunAsync("he", "bench", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.Contains(named, result.Stderr);
    }
}
