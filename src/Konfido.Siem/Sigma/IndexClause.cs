namespace Konfido.Siem.Sigma;

// The rule index works on necessary conditions: each detection node states, in conjunctive normal
// form, what an event must have for the node to match (a clause is an OR of atoms, the node needs
// every clause). Dropping clauses, or widening an atom, only weakens the condition, so every cap
// below keeps the index exact: it may test a rule in vain, never skip one that matches.

/// <summary>What an index atom tests.</summary>
internal enum AtomKind
{
    /// <summary>A field's value (or any list element) equals <see cref="IndexAtom.Text"/>, ignoring case.</summary>
    Equals,

    /// <summary>A field's string value (or any list element) contains <see cref="IndexAtom.Text"/>, ignoring case.</summary>
    Contains,

    /// <summary>A field is present with a non-null value.</summary>
    Present,

    /// <summary>The keyword text (<c>event.original</c>, or every scalar leaf) contains <see cref="IndexAtom.Text"/>, ignoring case.</summary>
    Keyword,
}

/// <summary>One test of an index clause.</summary>
/// <param name="Kind">What it tests.</param>
/// <param name="Field">The field path (null for keywords).</param>
/// <param name="Text">The value or needle (null for presence).</param>
internal readonly record struct IndexAtom(AtomKind Kind, string? Field, string? Text)
{
    /// <summary>A rough cost of relying on the atom: how often it is likely to hold.</summary>
    public int Weight => Kind switch
    {
        AtomKind.Equals => 1,
        AtomKind.Contains => 2,
        AtomKind.Keyword => 3,
        _ => 16,
    };
}

/// <summary>A disjunction of atoms; a rule (or node) needs all its clauses to hold.</summary>
internal sealed class IndexClause
{
    private const int MaxAtoms = 256;
    private const int MaxClauses = 12;
    private const int MaxProduct = 48;

    private IndexClause(IndexAtom[] atoms)
    {
        Atoms = atoms;
        Weight = atoms.Sum(a => a.Weight);
    }

    public IndexAtom[] Atoms { get; }

    /// <summary>The sum of the atoms' weights: lower is more selective.</summary>
    public int Weight { get; }

    public static IndexClause Present(string field) => new([new IndexAtom(AtomKind.Present, field, null)]);

    /// <summary>The clause of a field tested by OR-ed matchers: equalities, substrings, or presence.</summary>
    public static IndexClause ForField(string field, IReadOnlyList<ValueMatcher> matchers)
    {
        var atoms = new List<IndexAtom>();
        foreach (var m in matchers)
        {
            if (m.ExactKeys is { } keys)
            {
                atoms.AddRange(keys.Select(k => new IndexAtom(AtomKind.Equals, field, k)));
            }
            else if (m.RequiredSubstrings is { } needles && needles.All(n => n.Length > 0))
            {
                atoms.AddRange(needles.Select(n => new IndexAtom(AtomKind.Contains, field, n)));
            }
            else
            {
                return Present(field);
            }
        }

        return atoms.Count is > 0 and <= MaxAtoms ? Create(atoms) : Present(field);
    }

    /// <summary>The clause of OR-ed keyword matchers, or null when some matcher has no needle.</summary>
    public static IndexClause? ForKeywords(IReadOnlyList<ValueMatcher> matchers)
    {
        var atoms = new List<IndexAtom>();
        foreach (var m in matchers)
        {
            var needles = m.RequiredSubstrings ?? m.ExactKeys;
            if (needles is null || needles.Count == 0 || needles.Any(n => n.Length == 0))
            {
                return null;
            }

            atoms.AddRange(needles.Select(n => new IndexAtom(AtomKind.Keyword, null, n)));
        }

        return atoms.Count is > 0 and <= MaxAtoms ? Create(atoms) : null;
    }

    /// <summary>The conjunction of the children's conditions (the most selective clauses, capped).</summary>
    public static IReadOnlyList<IndexClause> And(IEnumerable<IReadOnlyList<IndexClause>> children) =>
        Best(children.SelectMany(c => c), MaxClauses);

    /// <summary>
    /// The disjunction of the children's conditions, distributed into CNF: one clause for every choice
    /// of one clause per child (their atoms OR-ed), from each child's most selective clauses.
    /// </summary>
    public static IReadOnlyList<IndexClause> Or(IReadOnlyList<IReadOnlyList<IndexClause>> children)
    {
        if (children.Count == 0 || children.Any(c => c.Count == 0))
        {
            return [];
        }

        // Keep each child's best clauses so that the number of combinations stays small.
        var kept = children.Select(c => c.OrderBy(x => x.Weight).ToList()).ToList();
        while (kept.Aggregate(1L, (p, c) => p * c.Count) > MaxProduct)
        {
            var widest = kept.MaxBy(c => c.Count)!;
            widest.RemoveAt(widest.Count - 1);
        }

        IEnumerable<List<IndexAtom>> combinations = [[]];
        foreach (var child in kept)
        {
            combinations = combinations.SelectMany(prefix => child.Select(clause => prefix.Concat(clause.Atoms).ToList())).ToList();
        }

        return Best(combinations.Where(atoms => atoms.Count <= MaxAtoms).Select(Create), MaxClauses);
    }

    private static IndexClause Create(IEnumerable<IndexAtom> atoms)
    {
        // A presence atom subsumes the other atoms on its field.
        var list = atoms.Distinct().ToList();
        var present = list.Where(a => a.Kind == AtomKind.Present).Select(a => a.Field).ToHashSet(StringComparer.Ordinal);
        return new IndexClause(list.Where(a => a.Kind == AtomKind.Present || a.Field is null || !present.Contains(a.Field)).ToArray());
    }

    private static IndexClause[] Best(IEnumerable<IndexClause> clauses, int max) =>
        clauses.DistinctBy(c => string.Join('\u0001', c.Atoms.Select(a => $"{a.Kind}\u0002{a.Field}\u0002{a.Text}").Order(StringComparer.Ordinal)))
            .OrderBy(c => c.Weight).Take(max).ToArray();

    public override string ToString() => string.Join(" OR ", Atoms.Select(a => $"{a.Kind}({a.Field},{a.Text})"));
}
