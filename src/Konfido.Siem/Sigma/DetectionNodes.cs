using Konfido.Siem.Events;

namespace Konfido.Siem.Sigma;

/// <summary>What an event must have for a rule to possibly match (used to index rules).</summary>
internal abstract record Requirement;

/// <summary>The field must equal (case-insensitively) one of the keys.</summary>
internal sealed record ValueRequirement(string Field, HashSet<string> Keys) : Requirement;

/// <summary>At least one of the fields must be present with a non-null value.</summary>
internal sealed record FieldRequirement(HashSet<string> Fields) : Requirement;

/// <summary>The event's keyword text must contain (case-insensitively) one of the needles.</summary>
internal sealed record KeywordRequirement(HashSet<string> Needles) : Requirement;

/// <summary>A compiled detection expression evaluated on one event.</summary>
internal abstract class DetectionNode
{
    public abstract bool Match(EventObject e);

    public virtual Requirement? Requirement => null;
}

/// <summary>A field path pre-split for fast lookup.</summary>
internal sealed class FieldPath
{
    public FieldPath(string path)
    {
        Path = path;
        Segments = path.Split('.');
        Suffixes = Enumerable.Range(0, Segments.Length).Select(i => string.Join('.', Segments[i..])).ToArray();
    }

    public string[] Suffixes { get; }

    public string Path { get; }

    public string[] Segments { get; }

    public bool TryGet(EventObject e, out object? value) => e.TryGet(Path, Segments, Suffixes, out value);
}

internal sealed class AndNode(DetectionNode[] children) : DetectionNode
{
    public DetectionNode[] Children { get; } = children;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(EventObject e)
    {
        foreach (var child in Children)
        {
            if (!child.Match(e))
            {
                return false;
            }
        }

        return true;
    }

    public override Requirement? Requirement
    {
        get
        {
            Requirement? best = null;
            foreach (var child in Children)
            {
                switch (child.Requirement)
                {
                    case KeywordRequirement k when best is not KeywordRequirement kb || k.Needles.Count < kb.Needles.Count:
                        best = k;
                        break;
                    case ValueRequirement v when best is not KeywordRequirement && (best is not ValueRequirement vb || v.Keys.Count < vb.Keys.Count):
                        best = v;
                        break;
                    case FieldRequirement f when best is null || (best is FieldRequirement fb && f.Fields.Count < fb.Fields.Count):
                        best = f;
                        break;
                }
            }

            return best;
        }
    }
}

internal sealed class OrNode(DetectionNode[] children) : DetectionNode
{
    public DetectionNode[] Children { get; } = children;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(EventObject e)
    {
        foreach (var child in Children)
        {
            if (child.Match(e))
            {
                return true;
            }
        }

        return false;
    }

    public override Requirement? Requirement
    {
        get
        {
            if (Children.Length == 0)
            {
                return null;
            }

            var requirements = Children.Select(c => c.Requirement).ToArray();
            if (requirements.Any(r => r is null))
            {
                return null;
            }

            if (requirements.All(r => r is KeywordRequirement))
            {
                return new KeywordRequirement(requirements.Cast<KeywordRequirement>().SelectMany(k => k.Needles).ToHashSet(StringComparer.OrdinalIgnoreCase));
            }

            if (requirements.Any(r => r is KeywordRequirement))
            {
                return null;
            }

            if (requirements.All(r => r is ValueRequirement) &&
                requirements.Cast<ValueRequirement>().Select(v => v.Field).Distinct(StringComparer.Ordinal).Count() == 1)
            {
                var keys = new HashSet<string>(StringComparer.Ordinal);
                foreach (var v in requirements.Cast<ValueRequirement>())
                {
                    keys.UnionWith(v.Keys);
                }

                return new ValueRequirement(((ValueRequirement)requirements[0]!).Field, keys);
            }

            var fields = new HashSet<string>(StringComparer.Ordinal);
            foreach (var r in requirements)
            {
                if (r is ValueRequirement v)
                {
                    fields.Add(v.Field);
                }
                else
                {
                    fields.UnionWith(((FieldRequirement)r!).Fields);
                }
            }

            return new FieldRequirement(fields);
        }
    }
}

internal sealed class NotNode(DetectionNode child) : DetectionNode
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(EventObject e) => !child.Match(e);
}

internal sealed class ConstantNode(bool value) : DetectionNode
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(EventObject e) => value;
}

/// <summary>A field tested against value matchers: OR over them, or AND with the <c>all</c> modifier.</summary>
internal sealed class FieldNode(FieldPath fieldPath, ValueMatcher[] matchers, bool all) : DetectionNode
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(EventObject e)
    {
        if (!fieldPath.TryGet(e, out var value) || value is null)
        {
            return false;
        }

        if (all)
        {
            foreach (var m in matchers)
            {
                if (!MatchValue(m, value))
                {
                    return false;
                }
            }

            return true;
        }

        foreach (var m in matchers)
        {
            if (MatchValue(m, value))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Applies a matcher to a scalar, or to any element of a list.</summary>
    internal static bool MatchValue(ValueMatcher matcher, object value)
    {
        switch (value)
        {
            case EventObject:
                return false;
            case IList<object?> list:
                foreach (var item in list)
                {
                    if (item is not null && MatchValue(matcher, item))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return matcher.Match(value);
        }
    }

    public override Requirement? Requirement
    {
        get
        {
            if (!all && matchers.Length > 0 && matchers.All(m => m.ExactKeys is not null))
            {
                return new ValueRequirement(fieldPath.Path, new HashSet<string>(matchers.SelectMany(m => m.ExactKeys!), StringComparer.OrdinalIgnoreCase));
            }

            return new FieldRequirement([fieldPath.Path]);
        }
    }
}

/// <summary>A field that is absent or null (Sigma value <c>null</c>).</summary>
internal sealed class NullNode(FieldPath fieldPath) : DetectionNode
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(EventObject e) => !fieldPath.TryGet(e, out var value) || value is null;
}

/// <summary>The <c>exists</c> modifier: the field is present (whatever its value) or absent.</summary>
internal sealed class ExistsNode(FieldPath fieldPath, bool expected) : DetectionNode
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(EventObject e) => fieldPath.TryGet(e, out _) == expected;

    public override Requirement? Requirement => expected ? new FieldRequirement([fieldPath.Path]) : null;
}

/// <summary>The <c>fieldref</c> modifier: compares the field with another field of the same event.</summary>
internal sealed class FieldRefNode(FieldPath fieldPath, FieldPath other, FieldRefKind kind, bool cased) : DetectionNode
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(EventObject e)
    {
        if (!fieldPath.TryGet(e, out var a) || !other.TryGet(e, out var b))
        {
            return false;
        }

        var sa = EventObject.ScalarToString(a);
        var sb = EventObject.ScalarToString(b);
        if (sa is null || sb is null)
        {
            return false;
        }

        var comparison = cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        return kind switch
        {
            FieldRefKind.StartsWith => sa.StartsWith(sb, comparison),
            FieldRefKind.EndsWith => sa.EndsWith(sb, comparison),
            FieldRefKind.Contains => sa.Contains(sb, comparison),
            _ => string.Equals(sa, sb, comparison),
        };
    }

    public override Requirement? Requirement => new FieldRequirement([fieldPath.Path]);
}

/// <summary>How a <c>fieldref</c> compares.</summary>
internal enum FieldRefKind
{
    Equals,
    StartsWith,
    EndsWith,
    Contains,
}

/// <summary>
/// A keyword search over the event's raw text: <c>event.original</c> when the event has one,
/// otherwise every scalar string leaf; OR over the keywords, or AND with <c>|all</c>.
/// </summary>
internal sealed class KeywordNode(ValueMatcher[] matchers, bool all) : DetectionNode
{
    private static readonly FieldPath Original = new("event.original");

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(EventObject e)
    {
        if (Original.TryGet(e, out var original) && original is string text)
        {
            foreach (var m in matchers)
            {
                if (m.Match(text) != all)
                {
                    return !all;
                }
            }

            return all;
        }

        if (all)
        {
            foreach (var m in matchers)
            {
                if (!e.VisitLeaves(v => m.Match(v)))
                {
                    return false;
                }
            }

            return true;
        }

        return e.VisitLeaves(v =>
        {
            foreach (var m in matchers)
            {
                if (m.Match(v))
                {
                    return true;
                }
            }

            return false;
        });
    }

    public override Requirement? Requirement
    {
        get
        {
            if (matchers.Length == 0 || matchers.Any(m => m.ContainsNeedles is null))
            {
                return null;
            }

            return new KeywordRequirement(matchers.SelectMany(m => m.ContainsNeedles!).ToHashSet(StringComparer.OrdinalIgnoreCase));
        }
    }

    /// <summary>The text a keyword search looks at, for the rule-set prefilter.</summary>
    internal static bool AnyText(EventObject e, System.Buffers.SearchValues<string> needles)
    {
        if (Original.TryGet(e, out var original) && original is string text)
        {
            return text.AsSpan().IndexOfAny(needles) >= 0;
        }

        return e.VisitLeaves(v => v is string s && s.AsSpan().IndexOfAny(needles) >= 0);
    }
}
