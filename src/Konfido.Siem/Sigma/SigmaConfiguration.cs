namespace Konfido.Siem.Sigma;

/// <summary>Maps Sigma field names to event fields for rules of one log source.</summary>
/// <param name="LogSource">The log sources this mapping applies to (unset attributes match anything).</param>
/// <param name="Fields">Sigma field → one or more event fields (several are OR-ed).</param>
/// <param name="Strict">If true, a rule of this log source that uses an unmapped field fails to load.</param>
public sealed record FieldMapping(SigmaLogSource LogSource, IReadOnlyDictionary<string, IReadOnlyList<string>> Fields, bool Strict = false);

/// <summary>
/// Says which events belong to a log source: rules of a covered log source only match events whose
/// fields have these values (case-insensitively). Log sources without a condition apply to every event.
/// </summary>
/// <param name="LogSource">The log source selector.</param>
/// <param name="Fields">Event field → required value.</param>
public sealed record LogSourceCondition(SigmaLogSource LogSource, IReadOnlyDictionary<string, string> Fields);

/// <summary>
/// The user-written configuration of the Sigma engine: field mappings per log source, placeholder
/// values for the <c>expand</c> modifier and log-source conditions. Validate with
/// <see cref="Validate"/>; <see cref="SigmaRuleLoader"/> refuses an invalid configuration.
/// </summary>
public sealed record SigmaConfiguration
{
    /// <summary>Field mappings, most specific first (the first mapping that knows a field wins).</summary>
    public IReadOnlyList<FieldMapping> FieldMappings { get; init; } = [];

    /// <summary>Placeholder name (without %) → values (Sigma strings; wildcards allowed).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Placeholders { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Which events belong to which log source.</summary>
    public IReadOnlyList<LogSourceCondition> LogSourceConditions { get; init; } = [];

    /// <summary>The default configuration: no mappings, no placeholders, every rule sees every event.</summary>
    public static SigmaConfiguration Default { get; } = new();

    /// <summary>Every problem with this configuration (empty when it is valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        for (var i = 0; i < FieldMappings.Count; i++)
        {
            var mapping = FieldMappings[i];
            if (mapping?.LogSource is null || mapping.Fields is null)
            {
                problems.Add($"field mapping {i}: log source and fields are required");
                continue;
            }

            foreach (var (field, targets) in mapping.Fields)
            {
                if (string.IsNullOrWhiteSpace(field) || targets is null || targets.Count == 0 || targets.Any(string.IsNullOrWhiteSpace))
                {
                    problems.Add($"field mapping {i} ({mapping.LogSource}): '{field}' must map to at least one non-empty field name");
                }
            }
        }

        foreach (var (name, values) in Placeholders)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains('%', StringComparison.Ordinal))
            {
                problems.Add($"placeholder '{name}': the name must be non-empty and written without '%'");
            }

            if (values is null || values.Count == 0)
            {
                problems.Add($"placeholder '{name}': at least one value is required");
            }
        }

        for (var i = 0; i < LogSourceConditions.Count; i++)
        {
            var condition = LogSourceConditions[i];
            if (condition?.LogSource is null || condition.Fields is null || condition.Fields.Count == 0)
            {
                problems.Add($"log-source condition {i}: a log source and at least one field are required");
            }
        }

        return problems;
    }

    /// <summary>The event fields a Sigma field maps to for a rule of <paramref name="logSource"/>, or null if unmapped.</summary>
    internal IReadOnlyList<string>? Map(SigmaLogSource logSource, string field, out bool strict)
    {
        strict = false;
        foreach (var mapping in FieldMappings)
        {
            if (!mapping.LogSource.Covers(logSource))
            {
                continue;
            }

            if (mapping.Fields.TryGetValue(field, out var targets))
            {
                return targets;
            }

            strict |= mapping.Strict;
        }

        return null;
    }
}
