using System.Globalization;
using Konfido.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Konfido.Policy.Rules;

/// <summary>One error in a policy file, with its position (1-based line and column).</summary>
/// <param name="Source">The file or resource name.</param>
/// <param name="Line">The 1-based line.</param>
/// <param name="Column">The 1-based column.</param>
/// <param name="Message">What is wrong.</param>
public sealed record PolicyFileError(string Source, int Line, int Column, string Message)
{
    /// <summary>The compiler-style form <c>source:line:column: message</c>.</summary>
    public override string ToString() => $"{Source}:{Line}:{Column}: {Message}";
}

/// <summary>The result of loading a policy file: the compiled policy, or every error found.</summary>
/// <param name="Policy">The compiled policy, or null if there were errors.</param>
/// <param name="Errors">Every error; empty when <paramref name="Policy"/> is set.</param>
public sealed record PolicyLoadResult(CountryPolicy? Policy, IReadOnlyList<PolicyFileError> Errors)
{
    /// <summary>True if the file loaded.</summary>
    public bool Succeeded => Policy is not null;
}

/// <summary>
/// Reads a country policy file (YAML) and compiles it into a <see cref="CountryPolicy"/>. The file
/// is checked completely: every error (YAML syntax, unknown key, unknown role, purpose, transaction
/// or country, bad level of assurance, duplicate rule id, missing field) is reported with its line
/// and column; a file with any error yields no policy.
/// </summary>
/// <remarks>
/// The format, by example (see the bundled <c>Policies/*.yaml</c>):
/// <code>
/// country: DK
/// version: "2026.1"
/// consent_model: opt-in              # opt-in | opt-out
/// require_trc: true                  # a TRC for every transaction but discovery
/// accepted_requesting_countries: [ES, IT]
/// accepted_purposes: [TREATMENT, EMERGENCY]
/// rules:                             # first matching rule (file order) applies; none = deny
///   - id: dk-ps-doctor
///     transactions: [patient-summary]
///     roles: [doctor]                # names or ISCO-08 codes
///     purposes: [TREATMENT, EMERGENCY]
///     min_loa: substantial
///     consent: opt-in                # optional override: opt-in | opt-out | not-required
/// break_the_glass:
///   id: dk-btg
///   allowed: true
///   roles: [doctor]
///   transactions: [patient-summary]
///   min_loa: high
///   overrides_refusal: false
/// retention:
///   - data: prescriptions
///     years: 5
///     basis: "Danish Health Act §..."
/// </code>
/// </remarks>
public static class CountryPolicyLoader
{
    private static readonly string[] TopLevelKeys =
        ["country", "version", "description", "consent_model", "require_trc", "accepted_requesting_countries", "accepted_purposes", "rules", "break_the_glass", "retention"];

    private static readonly string[] RuleKeys = ["id", "description", "transactions", "roles", "purposes", "min_loa", "consent"];
    private static readonly string[] BreakTheGlassKeys = ["id", "allowed", "roles", "transactions", "min_loa", "overrides_refusal"];
    private static readonly string[] RetentionKeys = ["data", "years", "days", "basis"];

    /// <summary>Loads a policy file from disk. Requires a path; an unreadable file is an error result.</summary>
    /// <param name="path">The file.</param>
    public static PolicyLoadResult LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new PolicyLoadResult(null, [new PolicyFileError(Path.GetFileName(path), 1, 1, $"cannot read the file: {ex.Message}")]);
        }

        return Load(text, Path.GetFileName(path));
    }

    // YamlDotNet's representation model loads nested collections recursively: thousands of nested flow sequences
    // overflowed the stack and killed the process (found by konfido fuzz). Its event parser is iterative, so one pass
    // over the events measures the nesting first (a policy needs fewer than ten levels).
    private const int MaxYamlDepth = 64;

    private static bool TooDeep(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var depth = 0;
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case YamlDotNet.Core.Events.SequenceStart or YamlDotNet.Core.Events.MappingStart:
                        if (++depth > MaxYamlDepth)
                        {
                            return true;
                        }

                        break;
                    case YamlDotNet.Core.Events.SequenceEnd or YamlDotNet.Core.Events.MappingEnd:
                        depth--;
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is YamlException or InvalidOperationException or ArgumentException)
        {
            return false;
        }

        return false;
    }

    /// <summary>Loads a policy from YAML text. Requires non-null arguments.</summary>
    /// <param name="yaml">The policy text.</param>
    /// <param name="source">The name used in error messages (e.g. <c>dk.yaml</c>).</param>
    public static PolicyLoadResult Load(string yaml, string source)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(source);
        var reader = new Reader(source);
        YamlMappingNode? root;
        if (TooDeep(yaml))
        {
            return new PolicyLoadResult(null, [new PolicyFileError(source, 1, 1, $"YAML syntax error: collections nested deeper than {MaxYamlDepth}")]);
        }

        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count == 0)
            {
                return new PolicyLoadResult(null, [new PolicyFileError(source, 1, 1, "the policy file is empty")]);
            }

            if (stream.Documents.Count > 1)
            {
                var second = stream.Documents[1].RootNode;
                return new PolicyLoadResult(null, [reader.At(second, "a policy file holds exactly one YAML document")]);
            }

            root = stream.Documents[0].RootNode as YamlMappingNode;
            if (root is null)
            {
                return new PolicyLoadResult(null, [reader.At(stream.Documents[0].RootNode, "the policy must be a mapping (country, version, rules, ...)")]);
            }
        }
        catch (YamlException ex)
        {
            var first = FirstLine(ex.Message);
            var message = first.StartsWith("Duplicate key", StringComparison.OrdinalIgnoreCase)
                ? $"duplicate key{first["Duplicate key".Length..]}"
                : $"YAML syntax error: {first}";
            return new PolicyLoadResult(null, [new PolicyFileError(source, ToInt(ex.Start.Line), ToInt(ex.Start.Column), message)]);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet throws these (not a YamlException) on some malformed input, e.g. "...\nn" and "\0: d" (found by konfido fuzz).
            return new PolicyLoadResult(null, [new PolicyFileError(source, 1, 1, $"YAML syntax error: {FirstLine(ex.Message)}")]);
        }

        var policy = reader.ReadPolicy(root);
        return reader.Errors.Count > 0 || policy is null
            ? new PolicyLoadResult(null, reader.Errors)
            : new PolicyLoadResult(policy, []);
    }

    private static int ToInt(long value) => (int)Math.Clamp(value, 1, int.MaxValue);

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }

    private sealed class Reader(string source)
    {
        public List<PolicyFileError> Errors { get; } = [];

        public PolicyFileError At(YamlNode node, string message) =>
            new(source, ToInt(node.Start.Line), ToInt(node.Start.Column), message);

        private void Error(YamlNode node, string message) => Errors.Add(At(node, message));

        public CountryPolicy? ReadPolicy(YamlMappingNode root)
        {
            var fields = Fields(root, TopLevelKeys, "policy");
            var country = default(CountryCode);
            if (Required(root, fields, "country") is { } countryNode)
            {
                var text = Scalar(countryNode, "country");
                if (text is not null && !CountryCode.TryParse(text, out country))
                {
                    Error(countryNode, $"'{text}' is not a two-letter country code");
                }
            }

            var version = Required(root, fields, "version") is { } versionNode ? Scalar(versionNode, "version") ?? string.Empty : string.Empty;
            var consentModel = ConsentModel.OptIn;
            if (Required(root, fields, "consent_model") is { } modelNode)
            {
                consentModel = ReadConsentModel(modelNode, allowNotRequired: false) ?? ConsentModel.OptIn;
            }

            var requireTrc = !fields.TryGetValue("require_trc", out var trcNode) || (Bool(trcNode, "require_trc") ?? true);

            var requesting = new List<CountryCode>();
            if (Required(root, fields, "accepted_requesting_countries") is { } countriesNode)
            {
                foreach (var item in List(countriesNode, "accepted_requesting_countries"))
                {
                    var text = Scalar(item, "country");
                    if (text is null)
                    {
                        continue;
                    }

                    if (!CountryCode.TryParse(text, out var code))
                    {
                        Error(item, $"'{text}' is not a two-letter country code");
                    }
                    else if (requesting.Contains(code))
                    {
                        Error(item, $"country {code} is listed twice");
                    }
                    else
                    {
                        requesting.Add(code);
                    }
                }
            }

            var purposes = new List<PurposeOfUse>();
            if (Required(root, fields, "accepted_purposes") is { } purposesNode)
            {
                purposes.AddRange(Purposes(purposesNode, "accepted_purposes"));
            }

            var table = new PolicyRule?[CountryPolicy.Transactions * CountryPolicy.Roles * CountryPolicy.Purposes];
            var rules = new List<PolicyRule>();
            var ids = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            if (Required(root, fields, "rules") is { } rulesNode)
            {
                var items = List(rulesNode, "rules");
                if (items.Count == 0 && rulesNode is YamlSequenceNode)
                {
                    Error(rulesNode, "the policy has no rules (every request would be denied)");
                }

                foreach (var item in items)
                {
                    ReadRule(item, consentModel, purposes, ids, table, rules);
                }
            }

            var breakTheGlass = new BreakTheGlassRule($"{country.Value?.ToLowerInvariant() ?? "policy"}-break-the-glass", false, LevelOfAssurance.High, false);
            var btgTable = new bool[CountryPolicy.Transactions * CountryPolicy.Roles];
            if (fields.TryGetValue("break_the_glass", out var btgNode))
            {
                breakTheGlass = ReadBreakTheGlass(btgNode, breakTheGlass, purposes, ids, btgTable);
            }

            var retention = new List<RetentionRule>();
            if (fields.TryGetValue("retention", out var retentionNode))
            {
                foreach (var item in List(retentionNode, "retention"))
                {
                    if (ReadRetention(item) is { } rule)
                    {
                        if (retention.Any(r => r.DataCategory == rule.DataCategory))
                        {
                            Error(item, $"retention for '{rule.DataCategory}' is given twice");
                        }

                        retention.Add(rule);
                    }
                }
            }

            if (Errors.Count > 0)
            {
                return null;
            }

            return new CountryPolicy(country, version, source, consentModel, requireTrc, requesting, purposes, table, rules, breakTheGlass, btgTable, retention);
        }

        private void ReadRule(YamlNode node, ConsentModel defaultModel, List<PurposeOfUse> accepted, Dictionary<string, YamlNode> ids, PolicyRule?[] table, List<PolicyRule> rules)
        {
            if (node is not YamlMappingNode mapping)
            {
                Error(node, "a rule must be a mapping (id, transactions, roles, purposes, min_loa)");
                return;
            }

            var fields = Fields(mapping, RuleKeys, "rule");
            var id = Required(mapping, fields, "id") is { } idNode ? Id(idNode, ids) : null;
            var transactions = Required(mapping, fields, "transactions") is { } t ? Transactions(t) : [];
            var roles = Required(mapping, fields, "roles") is { } r ? Roles(r) : [];
            var purposes = Required(mapping, fields, "purposes") is { } p ? Purposes(p, "purposes") : [];
            var loa = Required(mapping, fields, "min_loa") is { } l ? Loa(l) : null;
            var consent = fields.TryGetValue("consent", out var c) ? ReadConsentModel(c, allowNotRequired: true) : defaultModel;
            if (fields.TryGetValue("purposes", out var purposesNode))
            {
                foreach (var purpose in purposes.Where(x => !accepted.Contains(x)))
                {
                    Error(purposesNode, $"purpose {PolicyVocabulary.Format(purpose)} is not in accepted_purposes");
                }
            }

            if (id is null || loa is null || consent is null)
            {
                return;
            }

            var rule = new PolicyRule(id, loa.Value, consent.Value, ToInt(node.Start.Line));
            rules.Add(rule);
            foreach (var transaction in transactions)
            {
                foreach (var role in roles)
                {
                    foreach (var purpose in purposes)
                    {
                        ref var slot = ref table[CountryPolicy.RuleIndex(transaction, role, purpose)];
                        slot ??= rule;
                    }
                }
            }
        }

        private BreakTheGlassRule ReadBreakTheGlass(YamlNode node, BreakTheGlassRule defaults, List<PurposeOfUse> accepted, Dictionary<string, YamlNode> ids, bool[] table)
        {
            if (node is not YamlMappingNode mapping)
            {
                Error(node, "break_the_glass must be a mapping (allowed, roles, transactions, min_loa)");
                return defaults;
            }

            var fields = Fields(mapping, BreakTheGlassKeys, "break_the_glass");
            var id = fields.TryGetValue("id", out var idNode) ? Id(idNode, ids) ?? defaults.Id : defaults.Id;
            var allowed = Required(mapping, fields, "allowed") is { } a && (Bool(a, "allowed") ?? false);
            var overrides = fields.TryGetValue("overrides_refusal", out var o) && (Bool(o, "overrides_refusal") ?? false);
            var loa = fields.TryGetValue("min_loa", out var l) ? Loa(l) ?? defaults.MinimumLoa : defaults.MinimumLoa;
            if (allowed)
            {
                if (!accepted.Contains(PurposeOfUse.Emergency))
                {
                    Error(mapping, "break_the_glass is allowed but EMERGENCY is not in accepted_purposes");
                }

                var roles = Required(mapping, fields, "roles") is { } r ? Roles(r) : [];
                var transactions = Required(mapping, fields, "transactions") is { } t ? Transactions(t) : [];
                foreach (var transaction in transactions)
                {
                    foreach (var role in roles)
                    {
                        table[((int)transaction * CountryPolicy.Roles) + (int)role] = true;
                    }
                }
            }
            else if (fields.ContainsKey("roles") || fields.ContainsKey("transactions"))
            {
                Error(mapping, "break_the_glass lists roles or transactions but is not allowed (allowed: false)");
            }

            return new BreakTheGlassRule(id, allowed, loa, overrides);
        }

        private RetentionRule? ReadRetention(YamlNode node)
        {
            if (node is not YamlMappingNode mapping)
            {
                Error(node, "a retention entry must be a mapping (data, years or days, basis)");
                return null;
            }

            var fields = Fields(mapping, RetentionKeys, "retention entry");
            var data = Required(mapping, fields, "data") is { } d ? Scalar(d, "data") : null;
            var basis = Required(mapping, fields, "basis") is { } b ? Scalar(b, "basis") : null;
            TimeSpan? period = null;
            if (fields.TryGetValue("years", out var years))
            {
                period = Integer(years, "years", 0, 200) is { } y ? TimeSpan.FromDays(365.25 * y) : null;
            }
            else if (fields.TryGetValue("days", out var days))
            {
                period = Integer(days, "days", 0, 200 * 366) is { } n ? TimeSpan.FromDays(n) : null;
            }
            else
            {
                Error(mapping, "a retention entry needs 'years' or 'days'");
            }

            return data is null || basis is null || period is null ? null : new RetentionRule(data, period.Value, basis);
        }

        private string? Id(YamlNode node, Dictionary<string, YamlNode> ids)
        {
            var id = Scalar(node, "id");
            if (id is null)
            {
                return null;
            }

            if (id.Length == 0 || id.Any(char.IsWhiteSpace))
            {
                Error(node, $"rule id '{id}' must be non-empty and contain no spaces");
                return null;
            }

            if (ids.TryGetValue(id, out var first))
            {
                Error(node, $"duplicate rule id '{id}' (first defined at line {first.Start.Line})");
                return null;
            }

            ids.Add(id, node);
            return id;
        }

        private List<TransactionType> Transactions(YamlNode node)
        {
            var result = new List<TransactionType>();
            foreach (var item in NonEmptyList(node, "transactions"))
            {
                var text = Scalar(item, "transaction");
                if (text is null)
                {
                    continue;
                }

                if (PolicyVocabulary.TryParseTransaction(text, out var transaction))
                {
                    result.Add(transaction);
                }
                else
                {
                    Error(item, $"unknown transaction '{text}' (expected {PolicyVocabulary.TransactionSpellings})");
                }
            }

            return result;
        }

        private List<HcpRole> Roles(YamlNode node)
        {
            var result = new List<HcpRole>();
            foreach (var item in NonEmptyList(node, "roles"))
            {
                var text = Scalar(item, "role");
                if (text is null)
                {
                    continue;
                }

                if (PolicyVocabulary.TryParseRole(text, out var role))
                {
                    result.Add(role);
                }
                else
                {
                    Error(item, $"unknown role '{text}' (expected {PolicyVocabulary.RoleSpellings})");
                }
            }

            return result;
        }

        private List<PurposeOfUse> Purposes(YamlNode node, string what)
        {
            var result = new List<PurposeOfUse>();
            foreach (var item in NonEmptyList(node, what))
            {
                var text = Scalar(item, "purpose");
                if (text is null)
                {
                    continue;
                }

                if (PolicyVocabulary.TryParsePurpose(text, out var purpose))
                {
                    if (!result.Contains(purpose))
                    {
                        result.Add(purpose);
                    }
                }
                else
                {
                    Error(item, $"unknown purpose '{text}' (expected {PolicyVocabulary.PurposeSpellings})");
                }
            }

            return result;
        }

        private LevelOfAssurance? Loa(YamlNode node)
        {
            var text = Scalar(node, "min_loa");
            if (text is null)
            {
                return null;
            }

            if (PolicyVocabulary.TryParseLoa(text, out var loa))
            {
                return loa;
            }

            Error(node, $"bad level of assurance '{text}' (expected {PolicyVocabulary.LoaSpellings})");
            return null;
        }

        private ConsentModel? ReadConsentModel(YamlNode node, bool allowNotRequired)
        {
            var text = Scalar(node, "consent model");
            switch (text?.ToLowerInvariant())
            {
                case null:
                    return null;
                case "opt-in":
                    return ConsentModel.OptIn;
                case "opt-out":
                    return ConsentModel.OptOut;
                case "not-required" when allowNotRequired:
                    return ConsentModel.NotRequired;
                default:
                    Error(node, $"unknown consent model '{text}' (expected opt-in, opt-out{(allowNotRequired ? " or not-required" : string.Empty)})");
                    return null;
            }
        }

        private bool? Bool(YamlNode node, string what)
        {
            var text = Scalar(node, what);
            switch (text?.ToLowerInvariant())
            {
                case null:
                    return null;
                case "true" or "yes":
                    return true;
                case "false" or "no":
                    return false;
                default:
                    Error(node, $"{what} must be true or false, not '{text}'");
                    return null;
            }
        }

        private int? Integer(YamlNode node, string what, int min, int max)
        {
            var text = Scalar(node, what);
            if (text is null)
            {
                return null;
            }

            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            {
                return value;
            }

            Error(node, $"{what} must be a whole number from {min} to {max}, not '{text}'");
            return null;
        }

        private string? Scalar(YamlNode node, string what)
        {
            if (node is YamlScalarNode scalar)
            {
                return scalar.Value ?? string.Empty;
            }

            Error(node, $"{what} must be a single value, not a {(node is YamlSequenceNode ? "list" : "mapping")}");
            return null;
        }

        private IReadOnlyList<YamlNode> List(YamlNode node, string what)
        {
            if (node is YamlSequenceNode sequence)
            {
                return sequence.Children.ToArray();
            }

            Error(node, $"{what} must be a list");
            return [];
        }

        private IReadOnlyList<YamlNode> NonEmptyList(YamlNode node, string what)
        {
            var items = List(node, what);
            if (items.Count == 0 && node is YamlSequenceNode)
            {
                Error(node, $"{what} must not be empty");
            }

            return items;
        }

        private YamlNode? Required(YamlMappingNode mapping, Dictionary<string, YamlNode> fields, string key)
        {
            if (fields.TryGetValue(key, out var node))
            {
                return node;
            }

            Error(mapping, $"missing '{key}'");
            return null;
        }

        private Dictionary<string, YamlNode> Fields(YamlMappingNode mapping, string[] known, string what)
        {
            var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in mapping.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value;
                if (key is null)
                {
                    Error(keyNode, $"a {what} key must be a plain name");
                }
                else if (!known.Contains(key))
                {
                    Error(keyNode, $"unknown key '{key}' in {what} (expected one of: {string.Join(", ", known)})");
                }
                else
                {
                    fields[key] = value;
                }
            }

            return fields;
        }
    }
}
