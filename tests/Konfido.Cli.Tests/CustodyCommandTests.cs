using System.Text.Json;

namespace Konfido.Cli.Tests;

public sealed class CustodyCommandTests
{
    private static string TestTpm =>
        Environment.GetEnvironmentVariable("KONFIDO_TEST_TPM") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "KONFIDO_TEST_TPM is not set: run the tests with ./test.sh (scripts/test-setup.d/20-swtpm.sh starts swtpm) or point it at a TPM 2.0 socket.");

    private static string[] CheckArgs(string backend) =>
        backend == "tpm" ? ["custody", "check", "--backend", "tpm", "--tpm", TestTpm, "--json"] : ["custody", "check", "--backend", "software", "--json"];

    [Theory]
    [InlineData("software")]
    [InlineData("tpm")]
    public async Task Check_passes_every_check_and_prints_the_contract_json(string backend)
    {
        var result = await CliRun.RunAsync(CheckArgs(backend));

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var document = JsonDocument.Parse(result.Stdout);
        var root = document.RootElement;
        Assert.Equal(backend, root.GetProperty("backend").GetString());
        var checks = root.GetProperty("checks");
        Assert.Equal(["sign", "seal", "tamper_rejected", "payload_envelope", "attestation", "wrong_measurement_rejected"],
            checks.EnumerateObject().Select(p => p.Name));
        Assert.All(checks.EnumerateObject(), p => Assert.Equal(JsonValueKind.True, p.Value.ValueKind));
    }

    [Fact]
    public async Task Check_defaults_to_the_software_backend_and_prints_text_without_json()
    {
        var result = await CliRun.RunAsync("custody", "check");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("custody (software): all checks hold", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_keeps_a_given_custody_directory()
    {
        using var directory = new Konfido.Testing.TemporaryDirectory();
        var result = await CliRun.RunAsync("custody", "check", "--dir", directory.Path, "--json");
        Assert.Equal(0, result.ExitCode);
        Assert.True(File.Exists(directory.File("machine.key")));
        Assert.NotEmpty(Directory.GetFiles(directory.File("keys")));
    }

    [Fact]
    public async Task Check_leaves_no_key_material_in_its_output_or_files()
    {
        using var directory = new Konfido.Testing.TemporaryDirectory();
        var result = await CliRun.RunAsync("custody", "check", "--dir", directory.Path, "--json");
        Assert.Equal(0, result.ExitCode);

        // The attestation key the check created stays in the directory's custody: fetch its material the only way there is.
        var measurement = Konfido.Custody.Attestation.NodeMeasurement.FromDigest(new byte[32]);
        using var custody = Konfido.Custody.KeyCustody.OpenSoftware(new Konfido.Custody.SoftwareCustodyOptions { Directory = directory.Path, Measurement = measurement });
        var material = custody.UseSecret(Konfido.Custody.KeyCustody.AttestationKeyId, 0, static (s, _) => s.ToArray());
        var privateScalar = material[..32];
        var text = result.Stdout + result.Stderr;
        Assert.DoesNotContain(Convert.ToHexString(privateScalar), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(privateScalar), text, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(directory.Path, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            Assert.Equal(-1, bytes.AsSpan().IndexOf(privateScalar));
            Assert.Equal(-1, bytes.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(privateScalar))));
        }
    }

    [Fact]
    public async Task A_missing_tpm_is_a_usage_error_with_one_clear_line()
    {
        var result = await CliRun.RunAsync("custody", "check", "--backend", "tpm", "--tpm", "127.0.0.1:1", "--json");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        var line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.Contains("no TPM reachable at 127.0.0.1:1", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--backend", "hsm")]
    [InlineData("--tpm", "not-an-endpoint")]
    public async Task Bad_options_are_usage_errors(string option, string value)
    {
        var args = option == "--tpm" ? new[] { "custody", "check", "--backend", "tpm", option, value } : new[] { "custody", "check", option, value };
        var result = await CliRun.RunAsync(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Stderr.TrimEnd().Split('\n'));
    }
}
