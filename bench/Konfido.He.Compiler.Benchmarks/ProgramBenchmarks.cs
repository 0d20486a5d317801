using BenchmarkDotNet.Attributes;
using Konfido.He.Compiler;
using Konfido.He.Compiler.Runtime;

namespace Konfido.He.Compiler.Benchmarks;

/// <summary>
/// Compiled versus naive execution of the shipped example programs: Program=copd_risk/Mode=compiled
/// etc. "naive" makes every input secret, does not rebalance or push scalars down, and
/// relinearises and rescales right after every multiplication. Evaluate times the server's run on
/// prepared ciphertexts; EndToEnd adds key generation, encryption and decryption.
/// </summary>
public class ExamplePrograms
{
    private CompiledProgram _program = null!;
    private HeProgramServer _server = null!;
    private HeBundle _inputs = null!;
    private Dictionary<string, double[]> _clear = null!;
    private Dictionary<string, double[]> _all = null!;

    [Params("vital_signs", "copd_risk", "glucose_histogram", "cross_border")]
    public string Program { get; set; } = "";

    [Params("compiled", "naive")]
    public string Mode { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _program = HeCompiler.Compile(HeExamplePrograms.Source(Program), new HeCompilerOptions { Naive = Mode == "naive" });
        _all = SampleInputs(_program);
        var holder = new HeKeyHolder(_program);
        _server = new HeProgramServer(_program, holder.EvaluationKeys);
        _inputs = holder.CreateEncryptor().EncryptInputs(_all);
        _clear = _program.ClearInputs.ToDictionary(n => n, n => _all[n]);
    }

    [Benchmark]
    public HeBundle Evaluate() => _server.Evaluate(_inputs, _clear);

    [Benchmark]
    public HeRunReport EndToEnd() => HeProgramRunner.Run(_program, _all);

    /// <summary>Deterministic inputs inside every declared range.</summary>
    public static Dictionary<string, double[]> SampleInputs(CompiledProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var random = new Random(7);
        return program.Program.Inputs.ToDictionary(i => i.Name, i => Enumerable.Range(0, program.Program.Slots).Select(_ =>
        {
            double v = i.Low + (random.NextDouble() * (i.High - i.Low));
            return i.IsInteger ? Math.Round(v) : v;
        }).ToArray());
    }
}
