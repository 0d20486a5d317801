using BenchmarkDotNet.Attributes;
using Konfido.Siem;
using Konfido.Siem.Events;
using Konfido.Siem.Parsing;
using Konfido.Siem.Sigma;

namespace Konfido.Siem.Benchmarks;

/// <summary>
/// Sustained throughput of parse + normalise + match (+ correlation) over the synthetic traffic mix
/// (SampleTraffic), with the bundled rules alone or with the SigmaHQ corpus and generated variants
/// (300+ rules), on one or two threads. One operation = one event; each thread has its own parser
/// state and detection engine over the shared compiled rule set.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private const int BatchPerThread = 4096;

    private IReadOnlyList<string> _lines = [];
    private EventObject[] _parsed = [];
    private SigmaRuleSet _rules = null!;
    private LogParser _parser = null!;
    private PatientPseudonymiser _pseudonymiser = null!;
    private DetectionEngine[] _engines = [];

    /// <summary>Rule set: <c>bundled</c> (the eHealth rules) or <c>corpus+variants</c> (300+ rules).</summary>
    [Params("bundled", "corpus+variants")]
    public string Rules { get; set; } = "bundled";

    /// <summary>Worker threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    [GlobalSetup]
    public void Setup()
    {
        _pseudonymiser = PatientPseudonymiser.CreateRandom();
        _parser = new LogParser(LogFormat.Auto, _pseudonymiser);
        _lines = SampleTraffic.Generate(20_000, seed: 7);
        _rules = Rules == "bundled" ? BundledRules.Load() : LoadCorpusWithVariants(variants: 6);
        _parsed = _lines.Select(_parser.Parse).ToArray();
        _engines = Enumerable.Range(0, Threads).Select(_ => new DetectionEngine(_rules)).ToArray();
        Console.WriteLine($"// rules loaded: {_rules.LoadedCount}, failed: {_rules.Report.Count(r => !r.Loaded)}, index: {_rules.IndexStatistics}");
    }

    [GlobalCleanup]
    public void Cleanup() => _pseudonymiser.Dispose();

    internal static SigmaRuleSet LoadCorpusWithVariants(int variants)
    {
        var loader = new SigmaRuleLoader(BundledRules.Configuration);
        var files = BundledRules.Files.Select(f => (f.Key, f.Value))
            .Concat(Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Corpus"), "*.yml", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal).Select(f => (f, File.ReadAllText(f))));
        foreach (var (name, text) in files)
        {
            loader.AddText(text, name);
            for (var v = 1; v <= variants; v++)
            {
                loader.AddText(RuleVariants.Generate(text, v), $"{name}#v{v}");
            }
        }

        return loader.Build();
    }

    /// <summary>Parse + normalise + match + correlate, end to end.</summary>
    [Benchmark(OperationsPerInvoke = BatchPerThread)]
    public int EndToEnd() => RunThreads((engine, offset) =>
    {
        var matches = 0;
        for (var i = 0; i < BatchPerThread; i++)
        {
            var result = engine.Process(_parser.Parse(_lines[(offset + i) % _lines.Count]));
            matches += result.Matches.Count + result.Correlations.Count;
        }

        return matches;
    });

    /// <summary>Parse + normalise only.</summary>
    [Benchmark(OperationsPerInvoke = BatchPerThread)]
    public int ParseOnly() => RunThreads((_, offset) =>
    {
        var n = 0;
        for (var i = 0; i < BatchPerThread; i++)
        {
            n += _parser.Parse(_lines[(offset + i) % _lines.Count]).Count;
        }

        return n;
    });

    /// <summary>Match + correlate pre-parsed events only.</summary>
    [Benchmark(OperationsPerInvoke = BatchPerThread)]
    public int MatchOnly() => RunThreads((engine, offset) =>
    {
        var matches = 0;
        for (var i = 0; i < BatchPerThread; i++)
        {
            matches += engine.Process(_parsed[(offset + i) % _parsed.Length]).Matches.Count;
        }

        return matches;
    });

    // With two threads each thread processes BatchPerThread events, so the reported time per
    // operation is wall time per event per thread: aggregate throughput = Threads / time.
    private int RunThreads(Func<DetectionEngine, int, int> work)
    {
        if (Threads == 1)
        {
            return work(_engines[0], 0);
        }

        var results = new int[Threads];
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads },
            t => results[t] = work(_engines[t], t * _lines.Count / Threads));
        return results.Sum();
    }
}
