using System.Text;

namespace Konfido.Siem.Sigma;

// Sigma string values with wildcards (Sigma rules specification v2.0.0, "String Wildcard" and
// "Escaping"): '*' matches any run of characters, '?' exactly one; '\' escapes '*', '?' and '\'; a
// backslash before any other character is a plain backslash.

/// <summary>One piece of a Sigma string: a literal run, or a wildcard.</summary>
internal readonly record struct SigmaPart(SigmaPartKind Kind, string Text)
{
    public static readonly SigmaPart Star = new(SigmaPartKind.AnyRun, "*");
    public static readonly SigmaPart Question = new(SigmaPartKind.AnyChar, "?");
}

/// <summary>The kind of a <see cref="SigmaPart"/>.</summary>
internal enum SigmaPartKind
{
    Literal,
    AnyRun,
    AnyChar,
}

/// <summary>A Sigma string value: literals and wildcards, after escape processing.</summary>
internal sealed class SigmaString
{
    public SigmaString(IReadOnlyList<SigmaPart> parts) => Parts = Normalise(parts);

    public IReadOnlyList<SigmaPart> Parts { get; }

    public bool HasWildcards => Parts.Any(p => p.Kind != SigmaPartKind.Literal);

    /// <summary>The plain text (wildcards rendered as their characters).</summary>
    public string PlainText => string.Concat(Parts.Select(p => p.Text));

    /// <summary>Parses a rule value, handling wildcards and escapes.</summary>
    public static SigmaString Parse(string raw)
    {
        var parts = new List<SigmaPart>();
        var literal = new StringBuilder();
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '\\')
            {
                var next = i + 1 < raw.Length ? raw[i + 1] : '\0';
                if (next is '*' or '?' or '\\')
                {
                    literal.Append(next);
                    i++;
                }
                else
                {
                    literal.Append('\\');
                }
            }
            else if (c is '*' or '?')
            {
                Flush(parts, literal);
                parts.Add(c == '*' ? SigmaPart.Star : SigmaPart.Question);
            }
            else
            {
                literal.Append(c);
            }
        }

        Flush(parts, literal);
        return new SigmaString(parts);
    }

    /// <summary>A literal string without wildcards.</summary>
    public static SigmaString Literal(string text) => new([new SigmaPart(SigmaPartKind.Literal, text)]);

    public SigmaString WithPrefixStar() =>
        Parts.Count > 0 && Parts[0].Kind == SigmaPartKind.AnyRun ? this : new SigmaString([SigmaPart.Star, .. Parts]);

    public SigmaString WithSuffixStar() =>
        Parts.Count > 0 && Parts[^1].Kind == SigmaPartKind.AnyRun ? this : new SigmaString([.. Parts, SigmaPart.Star]);

    public SigmaString Concat(SigmaString other) => new([.. Parts, .. other.Parts]);

    private static void Flush(List<SigmaPart> parts, StringBuilder literal)
    {
        if (literal.Length > 0)
        {
            parts.Add(new SigmaPart(SigmaPartKind.Literal, literal.ToString()));
            literal.Clear();
        }
    }

    private static List<SigmaPart> Normalise(IReadOnlyList<SigmaPart> parts)
    {
        // Merge adjacent literals and collapse runs of '*'.
        var result = new List<SigmaPart>(parts.Count);
        foreach (var part in parts)
        {
            if (part.Kind == SigmaPartKind.Literal && part.Text.Length == 0)
            {
                continue;
            }

            if (result.Count > 0)
            {
                var last = result[^1];
                if (part.Kind == SigmaPartKind.Literal && last.Kind == SigmaPartKind.Literal)
                {
                    result[^1] = new SigmaPart(SigmaPartKind.Literal, last.Text + part.Text);
                    continue;
                }

                if (part.Kind == SigmaPartKind.AnyRun && last.Kind == SigmaPartKind.AnyRun)
                {
                    continue;
                }
            }

            result.Add(part);
        }

        return result;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var p in Parts)
        {
            if (p.Kind == SigmaPartKind.Literal)
            {
                foreach (var c in p.Text)
                {
                    if (c is '*' or '?' or '\\')
                    {
                        sb.Append('\\');
                    }

                    sb.Append(c);
                }
            }
            else
            {
                sb.Append(p.Text);
            }
        }

        return sb.ToString();
    }
}
