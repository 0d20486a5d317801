using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Konfido.Siem.Sigma;

// Compiles a Sigma `detection` section (rules specification v2.0.0 "Detection"; modifiers
// appendix v2.1.0) into a tree of DetectionNodes. Value modifiers are applied in the order written.

/// <summary>Compiles the detection section of one rule.</summary>
internal sealed class DetectionCompiler(SigmaConfiguration configuration, SigmaLogSource logSource)
{
    private static readonly HashSet<string> KnownModifiers = new(StringComparer.Ordinal)
    {
        "contains", "startswith", "endswith", "all", "exists", "cased", "re", "i", "m", "s",
        "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide", "windash", "cidr",
        "lt", "lte", "gt", "gte", "neq", "fieldref", "expand",
        "minute", "hour", "day", "week", "month", "year",
    };

    private static readonly string[] TimeParts = ["minute", "hour", "day", "week", "month", "year"];

    private static readonly char[] Dashes = ['-', '/', '\u2013', '\u2014', '\u2015'];

    public DetectionNode Compile(YamlMappingNode detection)
    {
        var identifiers = new Dictionary<string, DetectionNode>(StringComparer.Ordinal);
        YamlNode? condition = null;
        foreach (var (keyNode, value) in detection.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? string.Empty;
            if (key == "condition")
            {
                condition = value;
                continue;
            }

            if (key == "timeframe")
            {
                throw new SigmaRuleException("unsupported: 'timeframe' in detection is deprecated; use a correlation rule");
            }

            identifiers[key] = CompileSearch(key, value);
        }

        switch (condition)
        {
            case YamlScalarNode { Value: { } text }:
                return ConditionParser.Parse(text, identifiers);
            case YamlSequenceNode list when list.Children.Count > 0:
                return new OrNode(list.Children.Select(c => ConditionParser.Parse(Scalar(c, "condition") ?? string.Empty, identifiers)).ToArray());
            default:
                throw new SigmaRuleException("detection has no condition");
        }
    }

    private DetectionNode CompileSearch(string name, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                return CompileMap(map);
            case YamlSequenceNode list:
                if (list.Children.Count == 0)
                {
                    throw new SigmaRuleException($"search identifier '{name}' is an empty list");
                }

                var keywords = list.Children.Where(c => c is YamlScalarNode).ToList();
                var maps = list.Children.OfType<YamlMappingNode>().Select(m => (DetectionNode)CompileMap(m)).ToList();
                if (keywords.Count + maps.Count != list.Children.Count)
                {
                    throw new SigmaRuleException($"search identifier '{name}': list items must be values or maps");
                }

                if (keywords.Count > 0)
                {
                    maps.Add(CompileKeywords([], keywords));
                }

                return maps.Count == 1 ? maps[0] : new OrNode([.. maps]);
            case YamlScalarNode:
                return CompileKeywords([], [node]);
            default:
                throw new SigmaRuleException($"search identifier '{name}' has an unsupported YAML type");
        }
    }

    private AndNode CompileMap(YamlMappingNode map)
    {
        var children = new List<DetectionNode>();
        foreach (var (keyNode, value) in map.Children)
        {
            children.Add(CompileField(Scalar(keyNode, "field name") ?? string.Empty, value));
        }

        return new AndNode([.. children]);
    }

    private DetectionNode CompileField(string key, YamlNode valueNode)
    {
        var pieces = key.Split('|');
        var field = pieces[0];
        var modifiers = pieces[1..];
        foreach (var m in modifiers)
        {
            if (!KnownModifiers.Contains(m))
            {
                throw new SigmaRuleException($"unsupported modifier '{m}' on '{key}'");
            }
        }

        IReadOnlyList<YamlNode> values = valueNode switch
        {
            YamlSequenceNode seq => seq.Children.ToList(),
            YamlMappingNode => throw new SigmaRuleException($"'{key}': a value cannot be a map"),
            _ => [valueNode],
        };

        if (field.Length == 0)
        {
            return CompileKeywords(modifiers, values);
        }

        if (modifiers.Contains("all") && values.Count < 2 && !modifiers.Contains("windash") && !modifiers.Contains("base64offset") && !modifiers.Contains("expand"))
        {
            // The spec forbids 'all' on a single value; it is harmless, so accept it.
        }

        var targets = configuration.Map(logSource, field, out var strict);
        if (targets is null)
        {
            if (strict)
            {
                throw new SigmaRuleException($"unknown field mapping: '{field}' is not mapped for log source {logSource}");
            }

            targets = [field];
        }

        var perTarget = targets.Select(t => CompileFieldValues(new FieldPath(t), key, modifiers, values)).ToArray();
        var node = perTarget.Length == 1 ? perTarget[0] : new OrNode(perTarget);
        return modifiers.Contains("neq") ? new NotNode(node) : node;
    }

    private DetectionNode CompileFieldValues(FieldPath field, string key, string[] modifiers, IReadOnlyList<YamlNode> values)
    {
        var all = modifiers.Contains("all");
        var cased = modifiers.Contains("cased");
        if (modifiers.Contains("exists"))
        {
            if (values.Count != 1 || !bool.TryParse(Scalar(values[0], key), out var expected))
            {
                throw new SigmaRuleException($"'{key}': 'exists' needs one boolean value");
            }

            return new ExistsNode(field, expected);
        }

        if (modifiers.Contains("fieldref"))
        {
            var kind = modifiers.Contains("contains") ? FieldRefKind.Contains
                : modifiers.Contains("startswith") ? FieldRefKind.StartsWith
                : modifiers.Contains("endswith") ? FieldRefKind.EndsWith : FieldRefKind.Equals;
            var refs = values.Select(v =>
            {
                var other = Scalar(v, key) ?? throw new SigmaRuleException($"'{key}': 'fieldref' needs a field name");
                var mapped = configuration.Map(logSource, other, out _)?[0] ?? other;
                return (DetectionNode)new FieldRefNode(field, new FieldPath(mapped), kind, cased);
            }).ToArray();
            return refs.Length == 1 ? refs[0] : all ? new AndNode(refs) : new OrNode(refs);
        }

        var groups = new List<DetectionNode>();
        var orMatchers = new List<ValueMatcher>();
        foreach (var valueNode in values)
        {
            var raw = Scalar(valueNode, key);
            if (raw is null)
            {
                groups.Add(new NullNode(field));
                continue;
            }

            var matchers = CompileValue(key, modifiers, raw, cased);
            if (all)
            {
                groups.Add(new FieldNode(field, MatcherMerger.Merge(matchers), all: false));
            }
            else
            {
                orMatchers.AddRange(matchers);
            }
        }

        if (all)
        {
            return groups.Count == 1 ? groups[0] : new AndNode([.. groups]);
        }

        if (orMatchers.Count > 0)
        {
            groups.Add(new FieldNode(field, MatcherMerger.Merge(orMatchers), all: false));
        }

        return groups.Count == 1 ? groups[0] : new OrNode([.. groups]);
    }

    private KeywordNode CompileKeywords(string[] modifiers, IReadOnlyList<YamlNode> values)
    {
        var all = modifiers.Contains("all");
        var cased = modifiers.Contains("cased");
        var groups = values.Select(v =>
        {
            var raw = Scalar(v, "keyword") ?? throw new SigmaRuleException("a keyword cannot be null");
            // Keywords are full-text searches: matched anywhere in a value unless anchored by a modifier.
            var mods = modifiers.Any(m => m is "startswith" or "endswith" or "contains" or "re" or "cidr")
                ? modifiers
                : [.. modifiers, "contains"];
            return CompileValue("keyword", mods, raw, cased);
        }).ToList();

        if (all)
        {
            // AND over keywords, each keyword's variants OR-ed: one KeywordNode per keyword.
            return new KeywordNode(groups.Select(g => g.Count == 1 ? g[0] : new AnyOfMatcher(MatcherMerger.Merge(g))).ToArray(), all: true);
        }

        return new KeywordNode(MatcherMerger.Merge(groups.SelectMany(g => g).ToList()), all: false);
    }

    /// <summary>Compiles one raw value under the modifier chain into OR-ed matchers.</summary>
    private List<ValueMatcher> CompileValue(string key, string[] modifiers, string raw, bool cased)
    {
        if (modifiers.Contains("re"))
        {
            try
            {
                return [new RegexMatcher(raw, modifiers.Contains("i"), modifiers.Contains("m"), modifiers.Contains("s"))];
            }
            catch (ArgumentException ex)
            {
                throw new SigmaRuleException($"'{key}': invalid regular expression: {ex.Message}", ex);
            }
        }

        if (modifiers.Contains("cidr"))
        {
            return [CidrMatcher.TryCreate(raw) ?? throw new SigmaRuleException($"'{key}': '{raw}' is not a CIDR network")];
        }

        var op = modifiers.Contains("lt") ? CompareOp.Lt : modifiers.Contains("lte") ? CompareOp.Lte
            : modifiers.Contains("gt") ? CompareOp.Gt : modifiers.Contains("gte") ? CompareOp.Gte : (CompareOp?)null;
        var timePart = TimeParts.FirstOrDefault(modifiers.Contains);
        if (op is not null || timePart is not null)
        {
            if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var bound))
            {
                throw new SigmaRuleException($"'{key}': '{raw}' is not a number");
            }

            return timePart is null
                ? [new NumericMatcher(op!.Value, bound)]
                : [new TimePartMatcher(timePart, op ?? CompareOp.Eq, bound)];
        }

        // String pipeline.
        var current = modifiers.Contains("expand") ? ExpandPlaceholders(key, raw) : [new PipelineValue(SigmaString.Parse(raw), null)];
        foreach (var modifier in modifiers)
        {
            current = modifier switch
            {
                "windash" => current.SelectMany(v => Windash(v.AsString(key))).Select(s => new PipelineValue(s, null)).ToList(),
                "utf16le" or "wide" => current.Select(v => new PipelineValue(null, Encoding.Unicode.GetBytes(v.Plain(key)))).ToList(),
                "utf16be" => current.Select(v => new PipelineValue(null, Encoding.BigEndianUnicode.GetBytes(v.Plain(key)))).ToList(),
                "utf16" => current.Select(v => new PipelineValue(null, [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(v.Plain(key))])).ToList(),
                "base64" => current.Select(v => new PipelineValue(SigmaString.Literal(Convert.ToBase64String(v.Bytes(key))), null)).ToList(),
                "base64offset" => current.SelectMany(v => Base64Offsets(v.Bytes(key))).Select(s => new PipelineValue(SigmaString.Literal(s), null)).ToList(),
                "contains" => current.Select(v => new PipelineValue(v.AsString(key).WithPrefixStar().WithSuffixStar(), null)).ToList(),
                "startswith" => current.Select(v => new PipelineValue(v.AsString(key).WithSuffixStar(), null)).ToList(),
                "endswith" => current.Select(v => new PipelineValue(v.AsString(key).WithPrefixStar(), null)).ToList(),
                _ => current,
            };
        }

        return current.Select(v => (ValueMatcher)new StringMatcher(v.AsString(key), cased)).ToList();
    }

    private List<PipelineValue> ExpandPlaceholders(string key, string raw)
    {
        // Split into literal raw text and %placeholders%; '\%' is a plain percent sign.
        var alternatives = new List<StringBuilder> { new() };
        var i = 0;
        while (i < raw.Length)
        {
            if (raw[i] == '\\' && i + 1 < raw.Length && raw[i + 1] == '%')
            {
                alternatives.ForEach(a => a.Append('%'));
                i += 2;
            }
            else if (raw[i] == '%')
            {
                var end = raw.IndexOf('%', i + 1);
                if (end < 0)
                {
                    throw new SigmaRuleException($"'{key}': unterminated placeholder in '{raw}'");
                }

                var name = raw[(i + 1)..end];
                if (!configuration.Placeholders.TryGetValue(name, out var values))
                {
                    throw new SigmaRuleException($"'{key}': unknown placeholder '%{name}%' (define it in the configuration)");
                }

                alternatives = alternatives.SelectMany(a => values.Select(v => new StringBuilder(a.ToString()).Append(v))).ToList();
                i = end + 1;
            }
            else
            {
                alternatives.ForEach(a => a.Append(raw[i]));
                i++;
            }
        }

        return alternatives.Select(a => new PipelineValue(SigmaString.Parse(a.ToString()), null)).ToList();
    }

    /// <summary>
    /// All permutations of dash-like characters that start a command-line flag (a dash after a
    /// non-word character or at the start, followed by a word character).
    /// </summary>
    private static IEnumerable<SigmaString> Windash(SigmaString value)
    {
        var text = value.ToString(); // escaped form keeps wildcards intact
        var positions = new List<int>();
        for (var i = 0; i < text.Length; i++)
        {
            if (Array.IndexOf(Dashes, text[i]) >= 0 && (i == 0 || !char.IsLetterOrDigit(text[i - 1])) && i + 1 < text.Length && char.IsLetterOrDigit(text[i + 1]))
            {
                positions.Add(i);
            }
        }

        if (positions.Count == 0)
        {
            yield return value;
            yield break;
        }

        if (positions.Count > 5)
        {
            throw new SigmaRuleException("'windash': too many dashes in one value (more than 5)");
        }

        var total = (int)Math.Pow(Dashes.Length, positions.Count);
        var chars = text.ToCharArray();
        for (var combination = 0; combination < total; combination++)
        {
            var c = combination;
            foreach (var p in positions)
            {
                chars[p] = Dashes[c % Dashes.Length];
                c /= Dashes.Length;
            }

            yield return SigmaString.Parse(new string(chars));
        }
    }

    /// <summary>The three base64 encodings of a value at byte offsets 0, 1, 2 with the unstable edges cut.</summary>
    internal static IEnumerable<string> Base64Offsets(byte[] value)
    {
        int[] start = [0, 2, 3];
        int[] endTrim = [0, 3, 2];
        for (var shift = 0; shift < 3; shift++)
        {
            var padded = new byte[shift + value.Length];
            value.CopyTo(padded, shift);
            var encoded = Convert.ToBase64String(padded);
            var trim = endTrim[(value.Length + shift) % 3];
            var length = encoded.Length - trim - start[shift];
            if (length > 0)
            {
                yield return encoded.Substring(start[shift], length);
            }
        }
    }

    private static string? Scalar(YamlNode node, string context)
    {
        if (node is not YamlScalarNode scalar)
        {
            throw new SigmaRuleException($"'{context}': expected a value, found a {node.NodeType}");
        }

        if (scalar.Style == ScalarStyle.Plain && (scalar.Value is null || scalar.Value is "null" or "~" or "Null" or "NULL" or ""))
        {
            return null;
        }

        return scalar.Value ?? string.Empty;
    }

    /// <summary>A value inside the modifier pipeline: a Sigma string, or bytes after a UTF-16 encoding.</summary>
    private sealed record PipelineValue(SigmaString? Text, byte[]? Raw)
    {
        public SigmaString AsString(string key) => Text ?? SigmaString.Literal(Encoding.Latin1.GetString(Raw!));

        public string Plain(string key)
        {
            if (Text is null)
            {
                return Encoding.Latin1.GetString(Raw!);
            }

            if (Text.HasWildcards)
            {
                throw new SigmaRuleException($"'{key}': encoding modifiers cannot encode wildcards");
            }

            return Text.PlainText;
        }

        public byte[] Bytes(string key) => Raw ?? Encoding.UTF8.GetBytes(Plain(key));
    }
}

/// <summary>Matches if any inner matcher does (one keyword's variants under <c>|all</c>).</summary>
internal sealed class AnyOfMatcher(ValueMatcher[] inner) : ValueMatcher
{
    public override IReadOnlyCollection<string>? ContainsNeedles =>
        inner.All(m => m.ContainsNeedles is not null) ? inner.SelectMany(m => m.ContainsNeedles!).ToArray() : null;

    public override IReadOnlyCollection<string>? ExactKeys =>
        inner.All(m => m.ExactKeys is not null) ? inner.SelectMany(m => m.ExactKeys!).ToArray() : null;

    public override IReadOnlyCollection<string>? RequiredSubstrings =>
        inner.All(m => m.ExactKeys is not null || m.RequiredSubstrings is not null)
            ? inner.SelectMany(m => m.ExactKeys ?? m.RequiredSubstrings!).ToArray() : null;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(object value)
    {
        foreach (var m in inner)
        {
            if (m.Match(value))
            {
                return true;
            }
        }

        return false;
    }
}
