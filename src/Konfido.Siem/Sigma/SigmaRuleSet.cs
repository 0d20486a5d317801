using Konfido.Siem.Events;

namespace Konfido.Siem.Sigma;

/// <summary>
/// A compiled, immutable set of Sigma rules and correlations with its load report. Rules are
/// indexed by the field values and fields they require (including their log-source condition),
/// so that an event is only tested against rules that can possibly match it.
/// </summary>
public sealed class SigmaRuleSet
{
    private readonly Dictionary<string, object> _byKey;

    internal SigmaRuleSet(SigmaRule[] rules, SigmaCorrelationRule[] correlations, RuleLoadResult[] report, Dictionary<string, object> byKey)
    {
        Rules = rules;
        Correlations = correlations;
        Report = report;
        _byKey = byKey;
        Index = new RuleIndex(rules);
    }

    /// <summary>
    /// How the rules are indexed: rules with a clause of field equalities only, with other field
    /// clauses (substrings, presence), with keyword clauses only, and rules without any known
    /// necessary condition (tested on every event).
    /// </summary>
    public (int ByValue, int ByField, int ByKeyword, int Unindexed) IndexStatistics => Index.Statistics;

    internal RuleIndex Index { get; }

    /// <summary>The loaded detection rules, in load order.</summary>
    public IReadOnlyList<SigmaRule> Rules { get; }

    /// <summary>The loaded correlation rules.</summary>
    public IReadOnlyList<SigmaCorrelationRule> Correlations { get; }

    /// <summary>One entry per rule (or per unloadable file/document): loaded, or why not.</summary>
    public IReadOnlyList<RuleLoadResult> Report { get; }

    /// <summary>The number of rules (detection and correlation) that loaded.</summary>
    public int LoadedCount => Rules.Count + Correlations.Count;

    /// <summary>Loads every rule under a directory with the given configuration.</summary>
    /// <param name="directory">The rules directory.</param>
    /// <param name="configuration">The configuration, or null for the default.</param>
    public static SigmaRuleSet LoadDirectory(string directory, SigmaConfiguration? configuration = null) =>
        new SigmaRuleLoader(configuration).AddDirectory(directory).Build();

    /// <summary>Loads rules from YAML texts (file name → text).</summary>
    /// <param name="files">The files.</param>
    /// <param name="configuration">The configuration, or null for the default.</param>
    public static SigmaRuleSet FromTexts(IEnumerable<KeyValuePair<string, string>> files, SigmaConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        var loader = new SigmaRuleLoader(configuration);
        foreach (var (file, text) in files)
        {
            loader.AddText(text, file);
        }

        return loader.Build();
    }

    /// <summary>A detection or correlation rule by id or name, or null.</summary>
    /// <param name="idOrName">The id or name.</param>
    public object? Find(string idOrName) => _byKey.GetValueOrDefault(idOrName);

    /// <summary>Creates an evaluator (not thread-safe: one per thread; the set itself is shared).</summary>
    public RuleEvaluator CreateEvaluator() => new(this);
}

/// <summary>Evaluates a <see cref="SigmaRuleSet"/> on events, reusing scratch buffers. Not thread-safe.</summary>
public sealed class RuleEvaluator
{
    private readonly SigmaRuleSet _set;
    private readonly RuleIndex.Scratch _scratch;
    private readonly List<int> _candidates = [];

    internal RuleEvaluator(SigmaRuleSet set)
    {
        _set = set;
        _scratch = set.Index.CreateScratch();
    }

    /// <summary>The rules tested by the last call (after indexing), for statistics.</summary>
    public int LastCandidateCount => _candidates.Count;

    internal IReadOnlyList<int> LastCandidates => _candidates;

    /// <summary>Appends to <paramref name="matches"/> every rule that matches <paramref name="e"/>, in rule order.</summary>
    /// <param name="e">The event.</param>
    /// <param name="matches">Receives the matching rules.</param>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Evaluate(EventObject e, List<SigmaRule> matches)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(matches);
        _candidates.Clear();
        _set.Index.CollectCandidates(e, _scratch, _candidates);
        _candidates.Sort();
        var detections = _set.Index.Detections;
        foreach (var r in _candidates)
        {
            if (detections[r].Match(e))
            {
                matches.Add(_set.Rules[r]);
            }
        }
    }

    /// <summary>Every rule that matches <paramref name="e"/>.</summary>
    /// <param name="e">The event.</param>
    public List<SigmaRule> Evaluate(EventObject e)
    {
        var matches = new List<SigmaRule>();
        Evaluate(e, matches);
        return matches;
    }
}
