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
    private readonly (FieldPath Path, Dictionary<string, int[]> Rules)[] _valueIndex;
    private readonly (FieldPath Path, int[] Rules)[] _fieldIndex;
    private readonly int[] _unindexed;
    private readonly int[] _keywordIndexed;
    private readonly System.Buffers.SearchValues<string>? _keywordNeedles;
    private readonly Dictionary<char, (string Needle, int[] Rules)[]> _needlesByFirstChar = [];

    internal SigmaRuleSet(SigmaRule[] rules, SigmaCorrelationRule[] correlations, RuleLoadResult[] report, Dictionary<string, object> byKey)
    {
        Rules = rules;
        Correlations = correlations;
        Report = report;
        _byKey = byKey;

        var valueIndex = new Dictionary<string, Dictionary<string, List<int>>>(StringComparer.Ordinal);
        var fieldIndex = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var unindexed = new List<int>();
        var keywordIndexed = new List<int>();
        var needles = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var needleRules = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < rules.Length; i++)
        {
            switch (rules[i].Detection.Requirement)
            {
                case KeywordRequirement k:
                    keywordIndexed.Add(i);
                    needles.UnionWith(k.Needles);
                    foreach (var needle in k.Needles)
                    {
                        if (!needleRules.TryGetValue(needle, out var owners))
                        {
                            needleRules[needle] = owners = [];
                        }

                        owners.Add(i);
                    }

                    break;
                case ValueRequirement v:
                    if (!valueIndex.TryGetValue(v.Field, out var byValue))
                    {
                        valueIndex[v.Field] = byValue = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase);
                    }

                    foreach (var key in v.Keys)
                    {
                        if (!byValue.TryGetValue(key, out var list))
                        {
                            byValue[key] = list = [];
                        }

                        list.Add(i);
                    }

                    break;
                case FieldRequirement f:
                    foreach (var field in f.Fields)
                    {
                        if (!fieldIndex.TryGetValue(field, out var list))
                        {
                            fieldIndex[field] = list = [];
                        }

                        list.Add(i);
                    }

                    break;
                default:
                    unindexed.Add(i);
                    break;
            }
        }

        _valueIndex = valueIndex.Select(p => (new FieldPath(p.Key),
            p.Value.ToDictionary(q => q.Key, q => q.Value.ToArray(), StringComparer.OrdinalIgnoreCase))).ToArray();
        _fieldIndex = fieldIndex.Select(p => (new FieldPath(p.Key), p.Value.ToArray())).ToArray();
        _unindexed = unindexed.ToArray();
        _keywordIndexed = keywordIndexed.ToArray();
        _keywordNeedles = needles.Count > 0 ? System.Buffers.SearchValues.Create(needles.ToArray(), StringComparison.OrdinalIgnoreCase) : null;
        _needlesByFirstChar = needleRules.GroupBy(p => char.ToUpperInvariant(p.Key[0]))
            .ToDictionary(g => g.Key, g => g.Select(p => (p.Key, p.Value.ToArray())).ToArray());
    }

    /// <summary>How the rules are indexed: by field value, by field presence, by keyword, or not at all.</summary>
    public (int ByValue, int ByField, int ByKeyword, int Unindexed) IndexStatistics =>
        (Rules.Count - _unindexed.Length - _keywordIndexed.Length - _fieldIndex.SelectMany(f => f.Rules).Distinct().Count(),
         _fieldIndex.SelectMany(f => f.Rules).Distinct().Count(), _keywordIndexed.Length, _unindexed.Length);

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

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal void CollectCandidates(EventObject e, int[] marks, int epoch, List<int> candidates)
    {
        foreach (var (path, byValue) in _valueIndex)
        {
            if (!path.TryGet(e, out var value) || value is null)
            {
                continue;
            }

            if (value is IList<object?> list)
            {
                foreach (var item in list)
                {
                    AddByValue(item, byValue, marks, epoch, candidates);
                }
            }
            else
            {
                AddByValue(value, byValue, marks, epoch, candidates);
            }
        }

        foreach (var (path, rules) in _fieldIndex)
        {
            if (path.TryGet(e, out var value) && value is not null)
            {
                Add(rules, marks, epoch, candidates);
            }
        }

        Add(_unindexed, marks, epoch, candidates);
        if (_keywordNeedles is not null)
        {
            if (e.TryGet("event.original", out var original) && original is string text)
            {
                AddKeywordCandidates(text, marks, epoch, candidates);
            }
            else
            {
                e.VisitLeaves(v =>
                {
                    if (v is string leaf)
                    {
                        AddKeywordCandidates(leaf, marks, epoch, candidates);
                    }

                    return false;
                });
            }
        }
    }

    /// <summary>
    /// Finds every position where some keyword needle occurs (one vectorised multi-substring search
    /// per hit) and adds the keyword rules owning the needles found there.
    /// </summary>
    private void AddKeywordCandidates(string text, int[] marks, int epoch, List<int> candidates)
    {
        var span = text.AsSpan();
        var pos = 0;
        while (pos < span.Length)
        {
            var hit = span[pos..].IndexOfAny(_keywordNeedles!);
            if (hit < 0)
            {
                return;
            }

            var at = pos + hit;
            if (_needlesByFirstChar.TryGetValue(char.ToUpperInvariant(span[at]), out var needles))
            {
                var rest = span[at..];
                foreach (var (needle, rules) in needles)
                {
                    if (rest.StartsWith(needle, StringComparison.OrdinalIgnoreCase))
                    {
                        Add(rules, marks, epoch, candidates);
                    }
                }
            }
            else
            {
                // A case mapping the first-character table does not cover: fall back to every keyword rule.
                Add(_keywordIndexed, marks, epoch, candidates);
                return;
            }

            pos = at + 1;
        }
    }

    private static void AddByValue(object? value, Dictionary<string, int[]> byValue, int[] marks, int epoch, List<int> candidates)
    {
        if (EventObject.ScalarToString(value) is { } s && byValue.TryGetValue(s, out var rules))
        {
            Add(rules, marks, epoch, candidates);
        }
    }

    private static void Add(int[] rules, int[] marks, int epoch, List<int> candidates)
    {
        foreach (var r in rules)
        {
            if (marks[r] != epoch)
            {
                marks[r] = epoch;
                candidates.Add(r);
            }
        }
    }
}

/// <summary>Evaluates a <see cref="SigmaRuleSet"/> on events, reusing scratch buffers. Not thread-safe.</summary>
public sealed class RuleEvaluator
{
    private readonly SigmaRuleSet _set;
    private readonly int[] _marks;
    private readonly List<int> _candidates = [];
    private int _epoch;

    internal RuleEvaluator(SigmaRuleSet set)
    {
        _set = set;
        _marks = new int[set.Rules.Count];
    }

    /// <summary>The rules tested by the last call (after indexing), for statistics.</summary>
    public int LastCandidateCount => _candidates.Count;

    /// <summary>Appends to <paramref name="matches"/> every rule that matches <paramref name="e"/>, in rule order.</summary>
    /// <param name="e">The event.</param>
    /// <param name="matches">Receives the matching rules.</param>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Evaluate(EventObject e, List<SigmaRule> matches)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(matches);
        if (++_epoch == int.MaxValue)
        {
            Array.Clear(_marks);
            _epoch = 1;
        }

        _candidates.Clear();
        _set.CollectCandidates(e, _marks, _epoch, _candidates);
        _candidates.Sort();
        foreach (var r in _candidates)
        {
            var rule = _set.Rules[r];
            if (rule.Detection.Match(e))
            {
                matches.Add(rule);
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
