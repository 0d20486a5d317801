namespace Konfido.Cli.Tests;

public sealed class GeneralContractTests
{
    [Fact]
    public async Task Unknown_command_is_a_usage_error_with_one_line_on_stderr()
    {
        var result = await CliRun.RunAsync("no-such-command");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.Contains("no-such-command", result.Stderr);
    }

    [Fact]
    public async Task Help_succeeds()
    {
        var result = await CliRun.RunAsync("--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Konfido", result.Stdout);
    }
}
