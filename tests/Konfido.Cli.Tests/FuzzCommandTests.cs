using System.Text.Json;
using Konfido.Testing;

namespace Konfido.Cli.Tests;

public sealed class FuzzCommandTests
{
    [Fact]
    public async Task List_names_every_target_once()
    {
        var result = await CliRun.RunAsync("fuzz", "list", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var names = doc.RootElement.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("name").GetString()!).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Contains("fhir-ips", names);
        Assert.Contains("saml-response", names);
        Assert.Contains("siem-syslog", names);
        Assert.Contains("sigma-rules", names);
        Assert.Contains("signed-note", names);
        Assert.Contains("he-objects", names);
        Assert.Contains("puf-helper-data", names);
    }

    [Fact]
    public async Task Run_reports_the_figures_of_each_target_as_one_json_document()
    {
        using var dir = new TemporaryDirectory("konfido-fuzz-cli");
        var result = await CliRun.RunAsync("fuzz", "run", "--target", "checkpoint", "--target", "he-bundle", "--seconds", "1", "--inputs", "300", "--seed", "5", "--out", dir.Path, "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Equal(5UL, root.GetProperty("seed").GetUInt64());
        var targets = root.GetProperty("targets").EnumerateArray().ToList();
        Assert.Equal(["checkpoint", "he-bundle"], targets.Select(t => t.GetProperty("name").GetString()));
        foreach (var t in targets)
        {
            var tried = t.GetProperty("inputs_tried").GetInt64();
            Assert.InRange(tried, 1, 300);
            Assert.Equal(tried, t.GetProperty("accepted").GetInt64() + t.GetProperty("rejected").GetInt64() + t.GetProperty("crashes").GetInt64());
            Assert.Equal(0, t.GetProperty("crashes").GetInt64());
            Assert.Equal(0, t.GetProperty("unique_crashes").GetInt32());
            Assert.True(t.GetProperty("inputs_per_second").GetDouble() > 0);
            Assert.Equal(64, t.GetProperty("inputs_sha256").GetString()!.Length);
        }

        Assert.Equal(targets.Sum(t => t.GetProperty("inputs_tried").GetInt64()), root.GetProperty("total_inputs").GetInt64());
        Assert.Contains("fuzz checkpoint", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_seed_tries_the_same_inputs()
    {
        async Task<string> Digest(string seed)
        {
            var result = await CliRun.RunAsync("fuzz", "run", "--target", "checkpoint", "--seconds", "30", "--inputs", "500", "--seed", seed, "--json");
            Assert.Equal(0, result.ExitCode);
            using var doc = JsonDocument.Parse(result.Stdout);
            return doc.RootElement.GetProperty("targets")[0].GetProperty("inputs_sha256").GetString()!;
        }

        Assert.Equal(await Digest("9"), await Digest("9"));
        Assert.NotEqual(await Digest("9"), await Digest("10"));
    }

    [Theory]
    [InlineData("run", "--target", "no-such-parser")]
    [InlineData("run", "--seconds", "0")]
    [InlineData("run", "--seconds", "-3")]
    [InlineData("run", "--inputs", "0")]
    [InlineData("replay", "--target", "no-such-parser", "x.bin")]
    public async Task Usage_errors_exit_2_with_one_line(params string[] args)
    {
        var result = await CliRun.RunAsync(["fuzz", .. args]);
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Replay_runs_one_input_through_a_target()
    {
        using var dir = new TemporaryDirectory("konfido-fuzz-replay");
        var good = dir.File("good.txt");
        await File.WriteAllTextAsync(good, "ledger.dk.konfido.example\n3\nq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=\n");
        var bad = dir.File("bad.txt");
        await File.WriteAllTextAsync(bad, "ledger\nthree\n");
        var accepted = await CliRun.RunAsync("fuzz", "replay", "--target", "checkpoint", good, "--json");
        Assert.Equal(0, accepted.ExitCode);
        using (var doc = JsonDocument.Parse(accepted.Stdout))
        {
            Assert.Equal("accepted", doc.RootElement.GetProperty("outcome").GetString());
        }

        var rejected = await CliRun.RunAsync("fuzz", "replay", "--target", "checkpoint", bad, "--json");
        Assert.Equal(0, rejected.ExitCode);
        using (var doc = JsonDocument.Parse(rejected.Stdout))
        {
            Assert.Equal("rejected", doc.RootElement.GetProperty("outcome").GetString());
        }

        Assert.Equal(2, (await CliRun.RunAsync("fuzz", "replay", "--target", "checkpoint", dir.File("absent.bin"))).ExitCode);
    }
}
