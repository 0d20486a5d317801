using System.Globalization;
using System.Text.RegularExpressions;

namespace Konfido.Siem.Sigma;

/// <summary>
/// Parses a Sigma condition (rules specification v2.0.0, "Condition"): <c>and</c>, <c>or</c>,
/// <c>not</c>, parentheses, <c>1 of</c>/<c>all of</c>/<c>N of</c> an identifier pattern or
/// <c>them</c>. Precedence, least to most binding: or, and, not, x of, ( ).
/// </summary>
internal sealed class ConditionParser
{
    private readonly List<string> _tokens;
    private readonly IReadOnlyDictionary<string, DetectionNode> _identifiers;
    private int _pos;

    private ConditionParser(List<string> tokens, IReadOnlyDictionary<string, DetectionNode> identifiers)
    {
        _tokens = tokens;
        _identifiers = identifiers;
    }

    public static DetectionNode Parse(string condition, IReadOnlyDictionary<string, DetectionNode> identifiers)
    {
        if (condition.Contains('|', StringComparison.Ordinal))
        {
            throw new SigmaRuleException("unsupported condition: aggregation expressions ('|') are deprecated; use a correlation rule");
        }

        var parser = new ConditionParser(Tokenise(condition), identifiers);
        if (parser._tokens.Count == 0)
        {
            throw new SigmaRuleException("empty condition");
        }

        var node = parser.ParseOr();
        if (parser._pos != parser._tokens.Count)
        {
            throw new SigmaRuleException($"condition: unexpected '{parser._tokens[parser._pos]}'");
        }

        return node;
    }

    private static List<string> Tokenise(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '(' or ')')
            {
                tokens.Add(c.ToString());
                i++;
            }
            else
            {
                var start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not '(' and not ')')
                {
                    i++;
                }

                tokens.Add(text[start..i]);
            }
        }

        return tokens;
    }

    private string? Peek => _pos < _tokens.Count ? _tokens[_pos] : null;

    private bool IsKeyword(string keyword) => string.Equals(Peek, keyword, StringComparison.OrdinalIgnoreCase);

    private DetectionNode ParseOr()
    {
        var children = new List<DetectionNode> { ParseAnd() };
        while (IsKeyword("or"))
        {
            _pos++;
            children.Add(ParseAnd());
        }

        return children.Count == 1 ? children[0] : new OrNode([.. children]);
    }

    private DetectionNode ParseAnd()
    {
        var children = new List<DetectionNode> { ParseNot() };
        while (IsKeyword("and"))
        {
            _pos++;
            children.Add(ParseNot());
        }

        return children.Count == 1 ? children[0] : new AndNode([.. children]);
    }

    private DetectionNode ParseNot()
    {
        if (IsKeyword("not"))
        {
            _pos++;
            return new NotNode(ParseNot());
        }

        return ParsePrimary();
    }

    private DetectionNode ParsePrimary()
    {
        var token = Peek ?? throw new SigmaRuleException("condition ends unexpectedly");
        if (token == "(")
        {
            _pos++;
            var inner = ParseOr();
            if (Peek != ")")
            {
                throw new SigmaRuleException("condition: missing ')'");
            }

            _pos++;
            return inner;
        }

        if (token == ")" || token.Equals("and", StringComparison.OrdinalIgnoreCase) || token.Equals("or", StringComparison.OrdinalIgnoreCase))
        {
            throw new SigmaRuleException($"condition: unexpected '{token}'");
        }

        if (_pos + 1 < _tokens.Count && _tokens[_pos + 1].Equals("of", StringComparison.OrdinalIgnoreCase))
        {
            return ParseOf(token);
        }

        _pos++;
        if (!_identifiers.TryGetValue(token, out var node))
        {
            throw new SigmaRuleException($"condition: unknown search identifier '{token}'");
        }

        return node;
    }

    private DetectionNode ParseOf(string quantifier)
    {
        _pos += 2;
        var target = Peek ?? throw new SigmaRuleException($"condition: '{quantifier} of' needs a pattern or 'them'");
        _pos++;
        List<DetectionNode> matched;
        if (target.Equals("them", StringComparison.OrdinalIgnoreCase))
        {
            matched = _identifiers.Where(p => !p.Key.StartsWith('_')).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList();
        }
        else
        {
            var regex = new Regex("^" + Regex.Escape(target).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);
            matched = _identifiers.Where(p => regex.IsMatch(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList();
        }

        if (matched.Count == 0)
        {
            throw new SigmaRuleException($"condition: '{quantifier} of {target}' matches no search identifier");
        }

        if (quantifier.Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            return new AndNode([.. matched]);
        }

        if (quantifier.Equals("any", StringComparison.OrdinalIgnoreCase) || quantifier == "1")
        {
            return new OrNode([.. matched]);
        }

        if (int.TryParse(quantifier, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            return new AtLeastNode(n, [.. matched]);
        }

        throw new SigmaRuleException($"condition: unknown quantifier '{quantifier} of'");
    }
}

/// <summary>At least N of the children match (<c>N of pattern</c>).</summary>
internal sealed class AtLeastNode(int count, DetectionNode[] children) : DetectionNode
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override bool Match(Events.EventObject e)
    {
        var hits = 0;
        foreach (var child in children)
        {
            if (child.Match(e) && ++hits >= count)
            {
                return true;
            }
        }

        return false;
    }
}
