namespace Konfido.Cli.Tests;

/// <summary>The outcome of one in-process konfido invocation.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the konfido CLI in-process with captured stdout/stderr.</summary>
public static class CliRun
{
    /// <summary>Runs <paramref name="args"/> and captures everything.</summary>
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await KonfidoCli.RunAsync(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}
