using Konfido.Siem.Events;

namespace Konfido.Siem.Sigma;

/// <summary>A Sigma <c>logsource</c>: category, product and service (each optional, lower case).</summary>
/// <param name="Category">The category, e.g. <c>webserver</c>.</param>
/// <param name="Product">The product, e.g. <c>linux</c> or <c>konfido</c>.</param>
/// <param name="Service">The service, e.g. <c>sshd</c>.</param>
public sealed record SigmaLogSource(string? Category, string? Product, string? Service)
{
    /// <summary>A log source with no constraint.</summary>
    public static SigmaLogSource Any { get; } = new(null, null, null);

    /// <summary>
    /// True if this selector covers <paramref name="rule"/>: every attribute set here is set to the
    /// same value (case-insensitively) in the rule's log source.
    /// </summary>
    /// <param name="rule">The rule's log source.</param>
    public bool Covers(SigmaLogSource rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return Same(Category, rule.Category) && Same(Product, rule.Product) && Same(Service, rule.Service);

        static bool Same(string? selector, string? value) =>
            selector is null || string.Equals(selector, value, StringComparison.OrdinalIgnoreCase);
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Join('/', new[] { Category, Product, Service }.Select(s => s ?? "*"));
}

/// <summary>The severity of a rule or alert (Sigma <c>level</c>).</summary>
public enum SigmaLevel
{
    /// <summary>Enrichment only.</summary>
    Informational,

    /// <summary>Notable, rarely an incident.</summary>
    Low,

    /// <summary>Should be reviewed.</summary>
    Medium,

    /// <summary>Prompt review.</summary>
    High,

    /// <summary>Immediate review.</summary>
    Critical,
}

/// <summary>A compiled Sigma detection rule, evaluated directly on <see cref="EventObject"/>s.</summary>
public sealed class SigmaRule
{
    internal SigmaRule(string id, string? name, string title, SigmaLevel level, SigmaLogSource logSource,
        IReadOnlyList<string> tags, string file, DetectionNode detection)
    {
        Id = id;
        Name = name;
        Title = title;
        Level = level;
        LogSource = logSource;
        Tags = tags;
        File = file;
        Detection = detection;
    }

    /// <summary>The rule's <c>id</c> (or a stable identifier derived from its file and position).</summary>
    public string Id { get; }

    /// <summary>The rule's <c>name</c>, if any (correlation rules may refer to it).</summary>
    public string? Name { get; }

    /// <summary>The title.</summary>
    public string Title { get; }

    /// <summary>The level (default medium).</summary>
    public SigmaLevel Level { get; }

    /// <summary>The log source.</summary>
    public SigmaLogSource LogSource { get; }

    /// <summary>The tags (e.g. <c>attack.t1110</c>).</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>The file the rule came from.</summary>
    public string File { get; }

    /// <summary>
    /// False when the rule is only referenced by correlation rules that do not set
    /// <c>generate: true</c>: it then feeds the correlations but raises no match of its own.
    /// </summary>
    public bool Generates { get; internal set; } = true;

    internal DetectionNode Detection { get; }

    /// <summary>Evaluates the rule on one event. Requires a non-null event.</summary>
    /// <param name="e">The event.</param>
    public bool Matches(EventObject e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return Detection.Match(e);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Title} ({Id})";
}

/// <summary>The type of a Sigma correlation rule.</summary>
public enum CorrelationType
{
    /// <summary>Counts matching events per group in the timespan.</summary>
    EventCount,

    /// <summary>Counts distinct values of a field per group.</summary>
    ValueCount,

    /// <summary>All referenced rules match within the timespan, in any order.</summary>
    Temporal,

    /// <summary>All referenced rules match within the timespan, in the given order.</summary>
    TemporalOrdered,

    /// <summary>Sums a numeric field per group.</summary>
    ValueSum,

    /// <summary>Averages a numeric field per group.</summary>
    ValueAvg,

    /// <summary>A percentile of a numeric field per group.</summary>
    ValuePercentile,
}

/// <summary>A bound of a correlation condition, e.g. <c>gte: 10</c>.</summary>
/// <param name="Operator">The operator: <c>gt</c>, <c>gte</c>, <c>lt</c>, <c>lte</c>, <c>eq</c> or <c>neq</c>.</param>
/// <param name="Value">The bound.</param>
public sealed record CorrelationBound(string Operator, double Value)
{
    /// <summary>True if <paramref name="x"/> satisfies the bound.</summary>
    /// <param name="x">The aggregated value.</param>
    public bool Holds(double x) => Operator switch
    {
        "gt" => x > Value,
        "gte" => x >= Value,
        "lt" => x < Value,
        "lte" => x <= Value,
        "neq" => x != Value,
        _ => x == Value,
    };
}

/// <summary>A compiled Sigma correlation rule.</summary>
public sealed class SigmaCorrelationRule
{
    internal SigmaCorrelationRule(string id, string? name, string title, SigmaLevel level, CorrelationType type,
        IReadOnlyList<string> rules, IReadOnlyList<string> groupBy, TimeSpan timespan,
        IReadOnlyList<CorrelationBound> condition, string? valueField, double percentile,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> aliases, bool generate, string file)
    {
        Id = id;
        Name = name;
        Title = title;
        Level = level;
        Type = type;
        Rules = rules;
        GroupBy = groupBy;
        Timespan = timespan;
        Condition = condition;
        ValueField = valueField;
        Percentile = percentile;
        Aliases = aliases;
        Generate = generate;
        File = file;
    }

    /// <summary>The id.</summary>
    public string Id { get; }

    /// <summary>The name, if any (a chained correlation may refer to it).</summary>
    public string? Name { get; }

    /// <summary>The title.</summary>
    public string Title { get; }

    /// <summary>The level.</summary>
    public SigmaLevel Level { get; }

    /// <summary>The type.</summary>
    public CorrelationType Type { get; }

    /// <summary>The referenced rules or correlations, by id or name, as written.</summary>
    public IReadOnlyList<string> Rules { get; }

    /// <summary>The group-by fields (possibly aliases).</summary>
    public IReadOnlyList<string> GroupBy { get; }

    /// <summary>The timespan.</summary>
    public TimeSpan Timespan { get; }

    /// <summary>The condition bounds, all of which must hold (empty for temporal types: all rules).</summary>
    public IReadOnlyList<CorrelationBound> Condition { get; }

    /// <summary>The aggregated field for value_* types.</summary>
    public string? ValueField { get; }

    /// <summary>The percentile (0–100) for value_percentile (default 95).</summary>
    public double Percentile { get; }

    /// <summary>Field aliases: alias → (rule name or id → event field).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Aliases { get; }

    /// <summary>Whether the referenced rules also raise their own matches.</summary>
    public bool Generate { get; }

    /// <summary>The file the rule came from.</summary>
    public string File { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Title} ({Id})";
}

/// <summary>The outcome of loading one rule (or one file that held no loadable rule).</summary>
/// <param name="File">The file.</param>
/// <param name="RuleId">The rule's id, when it could be read.</param>
/// <param name="Title">The rule's title, when it could be read.</param>
/// <param name="Loaded">Whether the rule loaded.</param>
/// <param name="Reason">Why it did not load (null when loaded).</param>
public sealed record RuleLoadResult(string File, string? RuleId, string? Title, bool Loaded, string? Reason);
