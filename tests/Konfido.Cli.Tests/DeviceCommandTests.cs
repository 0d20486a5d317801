using System.Text.Json;

namespace Konfido.Cli.Tests;

public sealed class DeviceCommandTests
{
    [Fact]
    public async Task Simulate_streams_encrypted_readings_from_several_devices_and_the_node_counts_each_once()
    {
        var result = await CliRun.RunAsync("device", "simulate", "--devices", "3", "--readings", "24", "--batch", "8", "--flaky", "0.25", "--seed", "5", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var document = JsonDocument.Parse(result.Stdout);
        var root = document.RootElement;
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.True(root.GetProperty("in_process").GetBoolean());
        Assert.Equal(72, root.GetProperty("readings").GetInt64());
        Assert.Equal(0, root.GetProperty("pending").GetInt64());
        // Every lost answer made the device send again; the node answered the repetition as a duplicate (whose answer
        // may be lost in turn), and counted the batch once: the readings and the means below are exact.
        var lost = root.GetProperty("lost_answers").GetInt64();
        Assert.InRange(root.GetProperty("duplicates").GetInt64(), Math.Min(lost, 1), lost);
        Assert.True(root.GetProperty("retries").GetInt64() >= lost);
        var kinds = root.GetProperty("kinds");
        foreach (var kind in new[] { "glucose", "systolic", "diastolic", "heart-rate" })
        {
            var k = kinds.GetProperty(kind);
            Assert.True(k.GetProperty("matches").GetBoolean(), kind);
            Assert.Equal(k.GetProperty("clear_mean").GetDouble(), k.GetProperty("encrypted_mean").GetDouble(), 6);
        }

        // One device of each kind: 24 glucose, 12 systolic + 12 diastolic, 24 heart-rate readings.
        Assert.Equal(24, kinds.GetProperty("glucose").GetProperty("readings").GetInt64());
        Assert.Equal(12, kinds.GetProperty("systolic").GetProperty("readings").GetInt64());
        var glucose = kinds.GetProperty("glucose").GetProperty("clear_mean").GetDouble();
        Assert.InRange(glucose, 3.5, 15);
        Assert.InRange(kinds.GetProperty("heart-rate").GetProperty("clear_mean").GetDouble(), 45, 130);
        Assert.True(kinds.GetProperty("systolic").GetProperty("clear_mean").GetDouble() > kinds.GetProperty("diastolic").GetProperty("clear_mean").GetDouble() + 20);
        Assert.Contains("readings (100 %)", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--devices", "0")]
    [InlineData("--readings", "0")]
    [InlineData("--batch", "65")]
    [InlineData("--flaky", "0.9")]
    [InlineData("--node", "http://127.0.0.1:1/")]
    [InlineData("--pin", "abcd")]
    [InlineData("--interval", "-1")]
    public async Task Bad_options_are_usage_errors(string option, string value)
    {
        var result = await CliRun.RunAsync("device", "simulate", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(option, result.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stdout);
    }
}
