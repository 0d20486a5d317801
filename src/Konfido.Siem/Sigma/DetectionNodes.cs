using Konfido.Siem.Events;

namespace Konfido.Siem.Sigma;

/// <summary>A compiled detection expression evaluated on one event.</summary>
internal abstract class DetectionNode
{
    public abstract bool Match(EventObject e);

    /// <summary>
    /// Necessary conditions for a match in conjunctive normal form (every clause must hold for the
    /// node to match; an empty list means no known condition). Used only to index rules.
    /// </summary>
    public virtual IReadOnlyList<IndexClause> Clauses => [];
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

    public override IReadOnlyList<IndexClause> Clauses => IndexClause.And(Children.Select(c => c.Clauses));
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

    public override IReadOnlyList<IndexClause> Clauses => IndexClause.Or(Children.Select(c => c.Clauses).ToList());
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

    public override IReadOnlyList<IndexClause> Clauses => all
        ? IndexClause.And(matchers.Select(m => (IReadOnlyList<IndexClause>)[IndexClause.ForField(fieldPath.Path, [m])]))
        : [IndexClause.ForField(fieldPath.Path, matchers)];
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

    // No clause: 'exists' holds for null and object values too, which presence atoms do not cover.
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

    public override IReadOnlyList<IndexClause> Clauses => [IndexClause.Present(fieldPath.Path), IndexClause.Present(other.Path)];
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

    public override IReadOnlyList<IndexClause> Clauses
    {
        get
        {
            if (all)
            {
                return matchers.Select(m => IndexClause.ForKeywords([m])).OfType<IndexClause>().ToArray();
            }

            return IndexClause.ForKeywords(matchers) is { } clause ? [clause] : [];
        }
    }
}
