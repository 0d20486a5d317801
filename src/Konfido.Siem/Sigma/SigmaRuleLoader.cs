using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Konfido.Siem.Sigma;

/// <summary>
/// Loads Sigma detection and correlation rules (multi-document YAML files) into a compiled
/// <see cref="SigmaRuleSet"/>, with a load report per rule: loaded, or why not.
/// </summary>
public sealed partial class SigmaRuleLoader
{
    private readonly SigmaConfiguration _configuration;
    private readonly List<SigmaRule> _rules = [];
    private readonly List<(SigmaCorrelationRule Rule, RuleLoadResultIndex Report)> _correlations = [];
    private readonly List<RuleLoadResult> _report = [];

    /// <summary>Creates a loader. Throws <see cref="ArgumentException"/> listing every problem of an invalid configuration.</summary>
    /// <param name="configuration">The configuration (default: <see cref="SigmaConfiguration.Default"/>).</param>
    public SigmaRuleLoader(SigmaConfiguration? configuration = null)
    {
        _configuration = configuration ?? SigmaConfiguration.Default;
        var problems = _configuration.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid SIEM configuration: " + string.Join("; ", problems), nameof(configuration));
        }
    }

    /// <summary>Loads every <c>*.yml</c> and <c>*.yaml</c> file under <paramref name="directory"/> (recursively, in path order).</summary>
    /// <param name="directory">The directory. Requires it to exist.</param>
    public SigmaRuleLoader AddDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var files = Directory.EnumerateFiles(directory, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException ex)
            {
                _report.Add(new RuleLoadResult(file, null, null, false, $"unreadable: {ex.Message}"));
                continue;
            }

            AddText(text, file);
        }

        return this;
    }

    /// <summary>Loads the rules of one YAML text (one or more documents).</summary>
    /// <param name="yaml">The YAML text.</param>
    /// <param name="file">The name reported for these rules.</param>
    public SigmaRuleLoader AddText(string yaml, string file)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(file);
        if (YamlNesting.TooDeep(yaml))
        {
            _report.Add(new RuleLoadResult(file, null, null, false, $"bad YAML: collections nested deeper than {YamlNesting.MaxDepth}"));
            return this;
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (Exception ex) when (ex is YamlException or InvalidOperationException or ArgumentException)
        {
            // YamlDotNet throws InvalidOperationException or ArgumentException on some malformed input, e.g. "...\n:" or "\0: d" (found by konfido fuzz).
            _report.Add(new RuleLoadResult(file, null, null, false, $"bad YAML: {OneLine(ex.Message)}"));
            return this;
        }

        for (var i = 0; i < stream.Documents.Count; i++)
        {
            AddDocument(stream.Documents[i].RootNode, file, i);
        }

        if (stream.Documents.Count == 0)
        {
            _report.Add(new RuleLoadResult(file, null, null, false, "empty file: no YAML document"));
        }

        return this;
    }

    private void AddDocument(YamlNode root, string file, int index)
    {
        if (root is not YamlMappingNode map)
        {
            _report.Add(new RuleLoadResult(file, null, null, false, $"document {index}: not a YAML map"));
            return;
        }

        var id = Text(map, "id");
        var title = Text(map, "title");
        try
        {
            if (title is null)
            {
                throw new SigmaRuleException("missing 'title'");
            }

            id ??= $"{Path.GetFileNameWithoutExtension(file)}#{index}";
            if (Text(map, "action") is { } action)
            {
                throw new SigmaRuleException($"unsupported: rule collection action '{action}' (Sigma 1.0 collections)");
            }

            if (map.Children.ContainsKey(new YamlScalarNode("correlation")))
            {
                var correlation = CompileCorrelation(map, id, title, file);
                _report.Add(new RuleLoadResult(file, id, title, true, null));
                _correlations.Add((correlation, new RuleLoadResultIndex(_report.Count - 1)));
                return;
            }

            if (map.Children.ContainsKey(new YamlScalarNode("filter")))
            {
                throw new SigmaRuleException("unsupported: Sigma filter documents (meta filters) are not applied");
            }

            if (!map.Children.TryGetValue(new YamlScalarNode("detection"), out var detectionNode) || detectionNode is not YamlMappingNode detection)
            {
                throw new SigmaRuleException("missing 'detection' (or 'correlation') section");
            }

            var logSource = ReadLogSource(map);
            var node = new DetectionCompiler(_configuration, logSource).Compile(detection);
            var conditions = _configuration.LogSourceConditions.Where(c => c.LogSource.Covers(logSource))
                .SelectMany(c => c.Fields)
                .Select(f => (DetectionNode)new FieldNode(new FieldPath(f.Key), [new StringMatcher(SigmaString.Literal(f.Value), cased: false)], all: false))
                .ToArray();
            if (conditions.Length > 0)
            {
                // The rule's own detection first: its index key is usually the more selective one.
                node = new AndNode([node, .. conditions]);
            }

            var rule = new SigmaRule(id, Text(map, "name"), title, ReadLevel(map), logSource, ReadList(map, "tags"), file, node);
            _rules.Add(rule);
            _report.Add(new RuleLoadResult(file, id, title, true, null));
        }
        catch (SigmaRuleException ex)
        {
            _report.Add(new RuleLoadResult(file, id, title, false, ex.Message));
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or ArgumentException)
        {
            _report.Add(new RuleLoadResult(file, id, title, false, $"malformed rule: {OneLine(ex.Message)}"));
        }
    }

    /// <summary>Resolves correlation references and builds the rule set.</summary>
    public SigmaRuleSet Build()
    {
        var byKey = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var rule in _rules)
        {
            byKey.TryAdd(rule.Id, rule);
            if (rule.Name is not null)
            {
                byKey.TryAdd(rule.Name, rule);
            }
        }

        foreach (var (rule, _) in _correlations)
        {
            byKey.TryAdd(rule.Id, rule);
            if (rule.Name is not null)
            {
                byKey.TryAdd(rule.Name, rule);
            }
        }

        // Drop correlations with unresolved references, then those in cycles, until stable.
        var live = _correlations.ToList();
        bool changed;
        do
        {
            changed = false;
            foreach (var entry in live.ToList())
            {
                var missing = entry.Rule.Rules.FirstOrDefault(r => !byKey.TryGetValue(r, out var target)
                    || (target is SigmaCorrelationRule c && !live.Any(l => ReferenceEquals(l.Rule, c))));
                string? reason = missing is not null
                    ? $"unknown rule reference '{missing}'"
                    : InCycle(entry.Rule, byKey) ? "correlation rules refer to each other in a cycle" : null;
                if (reason is not null)
                {
                    var old = _report[entry.Report.Index];
                    _report[entry.Report.Index] = old with { Loaded = false, Reason = reason };
                    byKey.Remove(entry.Rule.Id);
                    if (entry.Rule.Name is not null)
                    {
                        byKey.Remove(entry.Rule.Name);
                    }

                    live.Remove(entry);
                    changed = true;
                }
            }
        }
        while (changed);

        // Base rules referenced only by non-generating correlations raise no standalone match.
        var generating = new HashSet<SigmaRule>();
        var silenced = new HashSet<SigmaRule>();
        foreach (var (correlation, _) in live)
        {
            foreach (var reference in correlation.Rules)
            {
                if (byKey[reference] is SigmaRule baseRule)
                {
                    (correlation.Generate ? generating : silenced).Add(baseRule);
                }
            }
        }

        foreach (var rule in silenced.Except(generating))
        {
            rule.Generates = false;
        }

        return new SigmaRuleSet(_rules.ToArray(), live.Select(l => l.Rule).ToArray(), _report.ToArray(), byKey);
    }

    private static bool InCycle(SigmaCorrelationRule start, Dictionary<string, object> byKey)
    {
        var stack = new Stack<SigmaCorrelationRule>();
        var seen = new HashSet<SigmaCorrelationRule>();
        stack.Push(start);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            foreach (var reference in current.Rules)
            {
                if (byKey.TryGetValue(reference, out var target) && target is SigmaCorrelationRule next)
                {
                    if (ReferenceEquals(next, start))
                    {
                        return true;
                    }

                    if (seen.Add(next))
                    {
                        stack.Push(next);
                    }
                }
            }
        }

        return false;
    }

    private static SigmaCorrelationRule CompileCorrelation(YamlMappingNode map, string id, string title, string file)
    {
        if (map.Children[new YamlScalarNode("correlation")] is not YamlMappingNode c)
        {
            throw new SigmaRuleException("'correlation' must be a map");
        }

        var typeText = Text(c, "type") ?? throw new SigmaRuleException("correlation: missing 'type'");
        var type = typeText switch
        {
            "event_count" => CorrelationType.EventCount,
            "value_count" => CorrelationType.ValueCount,
            "temporal" => CorrelationType.Temporal,
            "temporal_ordered" => CorrelationType.TemporalOrdered,
            "value_sum" => CorrelationType.ValueSum,
            "value_avg" => CorrelationType.ValueAvg,
            "value_percentile" => CorrelationType.ValuePercentile,
            _ => throw new SigmaRuleException($"correlation: unsupported type '{typeText}'"),
        };

        var rules = ReadList(c, "rules");
        if (rules.Count == 0)
        {
            throw new SigmaRuleException("correlation: 'rules' must name at least one rule");
        }

        var timespanText = Text(c, "timespan") ?? Text(c, "timeframe") ?? throw new SigmaRuleException("correlation: missing 'timespan'");
        var timespan = ParseTimespan(timespanText);
        var groupBy = ReadList(c, "group-by");

        var bounds = new List<CorrelationBound>();
        string? field = null;
        double percentile = 95;
        if (c.Children.TryGetValue(new YamlScalarNode("condition"), out var conditionNode))
        {
            if (conditionNode is not YamlMappingNode condition)
            {
                throw new SigmaRuleException("correlation: 'condition' must be a map");
            }

            foreach (var (k, v) in condition.Children)
            {
                var key = ((YamlScalarNode)k).Value!;
                var value = (v as YamlScalarNode)?.Value ?? throw new SigmaRuleException($"correlation condition '{key}' must be a value");
                switch (key)
                {
                    case "field":
                        field = value;
                        break;
                    case "percentile":
                        percentile = double.Parse(value, CultureInfo.InvariantCulture);
                        if (percentile is < 0 or > 100)
                        {
                            throw new SigmaRuleException("correlation: 'percentile' must lie in 0..100");
                        }

                        break;
                    case "gt" or "gte" or "lt" or "lte" or "eq" or "neq":
                        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var bound))
                        {
                            throw new SigmaRuleException($"correlation condition '{key}': '{value}' is not a number");
                        }

                        bounds.Add(new CorrelationBound(key, bound));
                        break;
                    default:
                        throw new SigmaRuleException($"correlation: unsupported condition key '{key}'");
                }
            }
        }

        var needsCondition = type is not (CorrelationType.Temporal or CorrelationType.TemporalOrdered);
        if (needsCondition && bounds.Count == 0)
        {
            throw new SigmaRuleException($"correlation: '{typeText}' needs a condition (gt/gte/lt/lte/eq)");
        }

        if (type is CorrelationType.ValueCount or CorrelationType.ValueSum or CorrelationType.ValueAvg or CorrelationType.ValuePercentile && field is null)
        {
            throw new SigmaRuleException($"correlation: '{typeText}' needs 'field' in its condition");
        }

        var aliases = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (c.Children.TryGetValue(new YamlScalarNode("aliases"), out var aliasNode) && aliasNode is YamlMappingNode aliasMap)
        {
            foreach (var (alias, perRule) in aliasMap.Children)
            {
                if (perRule is not YamlMappingNode perRuleMap)
                {
                    throw new SigmaRuleException("correlation: each alias must map rule names to fields");
                }

                aliases[((YamlScalarNode)alias).Value!] = perRuleMap.Children.ToDictionary(
                    p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value!, StringComparer.Ordinal);
            }
        }

        var generate = Text(map, "generate") is { } g ? bool.Parse(g) : Text(c, "generate") is { } g2 && bool.Parse(g2);
        return new SigmaCorrelationRule(id, Text(map, "name"), title, ReadLevel(map), type, rules, groupBy, timespan,
            bounds, field, percentile, aliases, generate, file);
    }

    /// <summary>Parses a Sigma timespan (<c>30s</c>, <c>5m</c>, <c>1h</c>, <c>2d</c>, <c>1w</c>).</summary>
    /// <param name="text">The text.</param>
    public static TimeSpan ParseTimespan(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var match = TimespanPattern().Match(text.Trim());
        if (!match.Success)
        {
            throw new SigmaRuleException($"correlation: bad timespan '{text}' (expected e.g. 30s, 5m, 1h, 2d)");
        }

        var n = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            "d" => TimeSpan.FromDays(n),
            _ => TimeSpan.FromDays(7 * n),
        };
    }

    [GeneratedRegex("^([0-9]+)([smhdw])$", RegexOptions.CultureInvariant)]
    private static partial Regex TimespanPattern();

    private static SigmaLogSource ReadLogSource(YamlMappingNode map)
    {
        if (!map.Children.TryGetValue(new YamlScalarNode("logsource"), out var node) || node is not YamlMappingNode ls)
        {
            return SigmaLogSource.Any;
        }

        return new SigmaLogSource(Text(ls, "category")?.ToLowerInvariant(), Text(ls, "product")?.ToLowerInvariant(), Text(ls, "service")?.ToLowerInvariant());
    }

    private static SigmaLevel ReadLevel(YamlMappingNode map) => Text(map, "level")?.ToLowerInvariant() switch
    {
        "informational" => SigmaLevel.Informational,
        "low" => SigmaLevel.Low,
        "high" => SigmaLevel.High,
        "critical" => SigmaLevel.Critical,
        _ => SigmaLevel.Medium,
    };

    private static string? Text(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode s && !string.IsNullOrEmpty(s.Value) ? s.Value : null;

    private static List<string> ReadList(YamlMappingNode map, string key)
    {
        if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node))
        {
            return [];
        }

        return node switch
        {
            YamlSequenceNode seq => seq.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? string.Empty).ToList(),
            YamlScalarNode s when s.Value is not null => [s.Value],
            _ => [],
        };
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private readonly record struct RuleLoadResultIndex(int Index);
}
