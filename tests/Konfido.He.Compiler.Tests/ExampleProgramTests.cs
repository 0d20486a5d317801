using Konfido.He.Compiler.Runtime;

namespace Konfido.He.Compiler.Tests;

public sealed class ExampleProgramTests
{
    [Theory]
    [InlineData("vital_signs", SchemeType.Ckks)]
    [InlineData("copd_risk", SchemeType.Ckks)]
    [InlineData("glucose_histogram", SchemeType.Bfv)]
    [InlineData("cross_border", SchemeType.Bfv)]
    public void Example_runs_encrypted_and_matches_the_clear_run(string name, SchemeType scheme)
    {
        var compiled = HeCompiler.Compile(ExampleFiles.Source(name));
        Assert.Equal(scheme, compiled.Scheme);
        var report = HeProgramRunner.Run(compiled, ExampleFiles.Inputs(name));
        foreach (var output in report.Outputs)
        {
            double scale = Math.Max(1, output.Clear.Max(Math.Abs));
            double tolerance = scheme == SchemeType.Bfv ? 0 : 1e-3 * scale + compiled.Statistics.MaxApproximationError * 4;
            Assert.True(output.MaxAbsError <= tolerance, $"{name}.{output.Name}: error {output.MaxAbsError} > {tolerance}; {string.Join(",", output.Encrypted.Take(4))} vs {string.Join(",", output.Clear.Take(4))}");
        }
    }
}
