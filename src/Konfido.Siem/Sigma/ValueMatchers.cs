using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Konfido.Siem.Events;

namespace Konfido.Siem.Sigma;

/// <summary>Tests one scalar event value (string, number or boolean).</summary>
internal abstract class ValueMatcher
{
    public abstract bool Match(object value);

    /// <summary>The exact values (any case) this matcher accepts, if it is a plain equality test (for the rule index).</summary>
    public virtual IReadOnlyCollection<string>? ExactKeys => null;

    /// <summary>Substrings one of which must occur (case-insensitively) for this matcher to accept, or null.</summary>
    public virtual IReadOnlyCollection<string>? ContainsNeedles => null;

    /// <summary>
    /// Strings one of which occurs (case-insensitively) in every value this matcher accepts, or null
    /// when no such necessary substring is known (for the rule index; never used to decide a match).
    /// </summary>
    public virtual IReadOnlyCollection<string>? RequiredSubstrings => null;

    protected static string? AsString(object value) => value as string ?? EventObject.ScalarToString(value);
}

/// <summary>String comparison against a pre-processed pattern; case-insensitive unless cased.</summary>
internal sealed class StringMatcher : ValueMatcher
{
    private enum Shape
    {
        Exact,
        Prefix,
        Suffix,
        Contains,
        Any,
        Glob,
    }

    private readonly Shape _shape;
    private readonly string _text;
    private readonly SigmaPart[] _glob;
    private readonly StringComparison _comparison;
    private readonly bool _cased;

    public StringMatcher(SigmaString pattern, bool cased)
    {
        _cased = cased;
        _comparison = cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        var parts = pattern.Parts;
        _glob = [];
        _text = string.Empty;
        if (parts.Count == 0)
        {
            _shape = Shape.Exact;
        }
        else if (!pattern.HasWildcards)
        {
            _shape = Shape.Exact;
            _text = parts[0].Text;
        }
        else if (parts.Count == 1 && parts[0].Kind == SigmaPartKind.AnyRun)
        {
            _shape = Shape.Any;
        }
        else if (parts.Count == 2 && parts[0].Kind == SigmaPartKind.AnyRun && parts[1].Kind == SigmaPartKind.Literal)
        {
            _shape = Shape.Suffix;
            _text = parts[1].Text;
        }
        else if (parts.Count == 2 && parts[0].Kind == SigmaPartKind.Literal && parts[1].Kind == SigmaPartKind.AnyRun)
        {
            _shape = Shape.Prefix;
            _text = parts[0].Text;
        }
        else if (parts.Count == 3 && parts[0].Kind == SigmaPartKind.AnyRun && parts[1].Kind == SigmaPartKind.Literal
                 && parts[2].Kind == SigmaPartKind.AnyRun)
        {
            _shape = Shape.Contains;
            _text = parts[1].Text;
        }
        else
        {
            _shape = Shape.Glob;
            _glob = parts.Select(p => p.Kind == SigmaPartKind.Literal && !cased
                ? new SigmaPart(SigmaPartKind.Literal, p.Text.ToLowerInvariant())
                : p).ToArray();
        }

        if (!cased && _shape != Shape.Glob)
        {
            _text = _text.ToLowerInvariant();
        }
    }

    public override IReadOnlyCollection<string>? ExactKeys => _shape == Shape.Exact ? [_text] : null;

    /// <summary>The needle of a case-insensitive contains test without inner wildcards.</summary>
    public override IReadOnlyCollection<string>? ContainsNeedles => _shape == Shape.Contains && !_cased && _text.Length > 0 ? [_text] : null;

    /// <summary>The longest literal run of the pattern: every accepted value contains it (any case).</summary>
    public override IReadOnlyCollection<string>? RequiredSubstrings
    {
        get
        {
            var longest = _shape == Shape.Glob
                ? _glob.Where(p => p.Kind == SigmaPartKind.Literal).Select(p => p.Text).MaxBy(t => t.Length) ?? string.Empty
                : _text;
            return longest.Length > 0 ? [longest] : null;
        }
    }

    /// <summary>True for a case-insensitive equality without wildcards.</summary>
    public bool IsCaseInsensitiveExact => _shape == Shape.Exact && !_cased;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(object value)
    {
        var s = AsString(value);
        if (s is null)
        {
            return false;
        }

        return _shape switch
        {
            Shape.Exact => string.Equals(s, _text, _comparison),
            Shape.Prefix => s.StartsWith(_text, _comparison),
            Shape.Suffix => s.EndsWith(_text, _comparison),
            Shape.Contains => s.Contains(_text, _comparison),
            Shape.Any => true,
            _ => GlobMatch(s),
        };
    }

    // Wildcard matching with single-star backtracking: linear in practice, O(n·m) worst case.
    private bool GlobMatch(string s)
    {
        return GlobMatch(s.AsSpan(), 0);
    }

    private bool GlobMatch(ReadOnlySpan<char> s, int partIndex)
    {
        var pos = 0;
        for (var p = partIndex; p < _glob.Length; p++)
        {
            var part = _glob[p];
            switch (part.Kind)
            {
                case SigmaPartKind.AnyChar:
                    if (pos >= s.Length)
                    {
                        return false;
                    }

                    pos++;
                    break;
                case SigmaPartKind.Literal:
                    if (!StartsWithAt(s, pos, part.Text))
                    {
                        return false;
                    }

                    pos += part.Text.Length;
                    break;
                default:
                    if (p == _glob.Length - 1)
                    {
                        return true;
                    }

                    // Try every split point for the rest of the pattern.
                    var rest = s[pos..];
                    var next = _glob[p + 1];
                    for (var start = 0; start <= rest.Length; start++)
                    {
                        if (next.Kind == SigmaPartKind.Literal)
                        {
                            var found = IndexOf(rest[start..], next.Text);
                            if (found < 0)
                            {
                                return false;
                            }

                            start += found;
                        }

                        if (GlobMatch(rest[start..], p + 1))
                        {
                            return true;
                        }
                    }

                    return false;
            }
        }

        return pos == s.Length;
    }

    private bool StartsWithAt(ReadOnlySpan<char> s, int pos, string text) =>
        pos + text.Length <= s.Length && s.Slice(pos, text.Length).Equals(text, _comparison);

    private int IndexOf(ReadOnlySpan<char> s, string text) => s.IndexOf(text, _comparison);

    public override string ToString() => $"{_shape}:{_text}{(_cased ? " (cased)" : string.Empty)}";
}

/// <summary>A regular expression (<c>re</c>), case-sensitive unless the <c>i</c> sub-modifier is given.</summary>
internal sealed class RegexMatcher : ValueMatcher
{
    private readonly Regex _regex;

    public RegexMatcher(string pattern, bool ignoreCase, bool multiline, bool singleline)
    {
        var options = RegexOptions.CultureInvariant;
        if (ignoreCase)
        {
            options |= RegexOptions.IgnoreCase;
        }

        if (multiline)
        {
            options |= RegexOptions.Multiline;
        }

        if (singleline)
        {
            options |= RegexOptions.Singleline;
        }

        // Linear-time NonBacktracking where the pattern allows it (rules may come from third
        // parties); otherwise a compiled backtracking regex with a match timeout.
        try
        {
            _regex = new Regex(pattern, options | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException)
        {
            _regex = new Regex(pattern, options | RegexOptions.Compiled, TimeSpan.FromMilliseconds(250));
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(object value)
    {
        var s = AsString(value);
        if (s is null)
        {
            return false;
        }

        try
        {
            return _regex.IsMatch(s);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}

/// <summary>An IPv4 or IPv6 network (<c>cidr</c>).</summary>
internal sealed class CidrMatcher : ValueMatcher
{
    private readonly byte[] _network;
    private readonly int _prefix;
    private readonly AddressFamily _family;

    private CidrMatcher(IPAddress network, int prefix)
    {
        _network = network.GetAddressBytes();
        _prefix = prefix;
        _family = network.AddressFamily;
    }

    public static CidrMatcher? TryCreate(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText.Trim(), out var address))
        {
            return null;
        }

        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = max;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > max))
        {
            return null;
        }

        return new CidrMatcher(address, prefix);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(object value)
    {
        if (AsString(value) is not { } s || !IPAddress.TryParse(s, out var address))
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6 && _family == AddressFamily.InterNetwork)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != _family)
        {
            return false;
        }

        var bytes = address.GetAddressBytes();
        var full = _prefix / 8;
        for (var i = 0; i < full; i++)
        {
            if (bytes[i] != _network[i])
            {
                return false;
            }
        }

        var rem = _prefix % 8;
        if (rem == 0)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - rem));
        return (bytes[full] & mask) == (_network[full] & mask);
    }
}

/// <summary>A numeric comparison operator.</summary>
internal enum CompareOp
{
    Lt,
    Lte,
    Gt,
    Gte,
    Eq,
}

/// <summary>Numeric comparison (<c>lt</c>, <c>lte</c>, <c>gt</c>, <c>gte</c>) against numbers or numeric strings.</summary>
internal sealed class NumericMatcher(CompareOp op, double bound) : ValueMatcher
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(object value)
    {
        double x;
        switch (value)
        {
            case long l: x = l; break;
            case int i: x = i; break;
            case double d: x = d; break;
            case string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed): x = parsed; break;
            default: return false;
        }

        return Compare(op, x, bound);
    }

    public static bool Compare(CompareOp op, double x, double bound) => op switch
    {
        CompareOp.Lt => x < bound,
        CompareOp.Lte => x <= bound,
        CompareOp.Gt => x > bound,
        CompareOp.Gte => x >= bound,
        _ => x == bound,
    };
}

/// <summary>A part of a date (<c>minute</c>, <c>hour</c>, ... modifiers) compared with a number.</summary>
internal sealed class TimePartMatcher(string part, CompareOp op, double bound) : ValueMatcher
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(object value)
    {
        if (!EventTime.TryConvert(value, out var time))
        {
            return false;
        }

        var utc = time.UtcDateTime;
        double x = part switch
        {
            "minute" => utc.Minute,
            "hour" => utc.Hour,
            "day" => utc.Day,
            "week" => ISOWeek.GetWeekOfYear(utc),
            "month" => utc.Month,
            _ => utc.Year,
        };
        return NumericMatcher.Compare(op, x, bound);
    }
}

/// <summary>
/// Several case-insensitive contains tests in one pass: a vectorised multi-substring search
/// (<see cref="System.Buffers.SearchValues{T}"/> of strings, Aho–Corasick/Teddy inside .NET).
/// </summary>
internal sealed class MultiContainsMatcher : ValueMatcher
{
    private readonly System.Buffers.SearchValues<string> _needles;
    private readonly string[] _list;

    public MultiContainsMatcher(IEnumerable<string> needles)
    {
        _list = needles.Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        _needles = System.Buffers.SearchValues.Create(_list, StringComparison.OrdinalIgnoreCase);
    }

    public override IReadOnlyCollection<string>? ContainsNeedles => _list;

    public override IReadOnlyCollection<string>? RequiredSubstrings => _list.All(n => n.Length > 0) ? _list : null;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(object value) => AsString(value) is { } s && s.AsSpan().IndexOfAny(_needles) >= 0;
}

/// <summary>Several case-insensitive equality tests as one hash lookup.</summary>
internal sealed class ExactSetMatcher(IEnumerable<string> values) : ValueMatcher
{
    private readonly HashSet<string> _values = new(values, StringComparer.OrdinalIgnoreCase);

    public override IReadOnlyCollection<string>? ExactKeys => _values;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(object value) => AsString(value) is { } s && _values.Contains(s);
}

/// <summary>Merges OR-ed matchers: contains tests into one multi-substring search, equalities into one set.</summary>
internal static class MatcherMerger
{
    public static ValueMatcher[] Merge(IReadOnlyList<ValueMatcher> matchers)
    {
        var contains = matchers.OfType<StringMatcher>().Where(m => m.ContainsNeedles is not null).ToList();
        var exact = matchers.OfType<StringMatcher>().Where(m => m.IsCaseInsensitiveExact).ToList();
        var result = new List<ValueMatcher>();
        if (contains.Count >= 2)
        {
            result.Add(new MultiContainsMatcher(contains.SelectMany(m => m.ContainsNeedles!)));
        }
        else
        {
            result.AddRange(contains);
        }

        if (exact.Count >= 2)
        {
            result.Add(new ExactSetMatcher(exact.SelectMany(m => m.ExactKeys!)));
        }
        else
        {
            result.AddRange(exact);
        }

        result.AddRange(matchers.Where(m => !contains.Contains(m) && !exact.Contains(m)));
        return result.ToArray();
    }
}
