using System.Text.Json;

namespace Konfido.Cli.Tests;

/// <summary>Runs alone: the soak measures the whole process's heap, which tests running beside it would inflate.</summary>
[Collection(SoloCollection.Name)]
public sealed class SoakCommandTests
{
    [Fact]
    public async Task A_short_soak_reports_samples_over_time_and_every_check_holds()
    {
        var result = await CliRun.RunAsync("exchange", "soak", "--minutes", "0.1", "--sample-seconds", "2", "--concurrency", "4", "--json");

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("ok").GetBoolean(), result.Stdout + result.Stderr);
        Assert.True(root.GetProperty("acknowledged").GetInt64() > 0);
        Assert.True(root.GetProperty("dk_served_entries").GetInt64() >= root.GetProperty("acknowledged").GetInt64());
        foreach (var check in root.GetProperty("checks").EnumerateObject())
        {
            Assert.True(check.Value.GetBoolean(), $"{check.Name} failed:\n{result.Stdout}\n{result.Stderr}");
        }

        var samples = root.GetProperty("samples").EnumerateArray().ToArray();
        Assert.True(samples.Length >= 2);
        Assert.All(samples, s => Assert.True(s.GetProperty("managed_heap_mb").GetDouble() > 0));
        Assert.Equal(3, samples[^1].GetProperty("ledger_sizes").EnumerateObject().Count());
        Assert.Contains("soak ", result.Stderr, StringComparison.Ordinal); // progress on stderr
    }

    [Theory]
    [InlineData("--minutes", "0")]
    [InlineData("--concurrency", "1")]
    [InlineData("--sample-seconds", "0.5")]
    public async Task Out_of_range_options_are_usage_errors(string option, string value)
    {
        var result = await CliRun.RunAsync("exchange", "soak", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(option, result.Stderr, StringComparison.Ordinal);
    }
}

/// <summary>Tests that must not share the process with tests running in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoloCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "solo";
}
