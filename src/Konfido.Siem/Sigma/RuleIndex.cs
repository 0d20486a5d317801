using System.Buffers;
using System.Text;
using Konfido.Siem.Events;

namespace Konfido.Siem.Sigma;

/// <summary>
/// Finds the rules that can possibly match an event. Every rule states necessary conditions in
/// conjunctive normal form (<see cref="IndexClause"/>); the index maps each field value, field,
/// field substring and keyword needle to the clauses it satisfies, and an event's candidates are the
/// rules all of whose clauses it satisfies (counted per rule), plus the rules without conditions.
/// Two phases per event: first the cheap atoms (one walk over a trie of the indexed field paths,
/// one hash probe per field value, presence); then the substring atoms (one vectorised
/// multi-substring search per field, one over the keyword text), each only if some rule that needs
/// it still has all its cheap clauses satisfied. Immutable and shared; per-thread state lives in a
/// <see cref="Scratch"/>.
/// </summary>
internal sealed class RuleIndex
{
    private const int ClausesPerRule = 2;

    private static readonly FieldPath Original = new("event.original");

    private readonly DetectionNode[] _detections;
    private readonly int[] _clauseRule;
    private readonly bool[] _clauseCheap;
    private readonly int[] _ruleClauseCount;
    private readonly int[] _ruleCheapCount;
    private readonly int[] _unconditional;
    private readonly FieldEntry[] _fields;
    private readonly TrieNode _trie;
    private readonly NeedleTable[] _keywords;

    public RuleIndex(IReadOnlyList<SigmaRule> rules)
    {
        _detections = rules.Select(r => r.Detection).ToArray();
        _ruleClauseCount = new int[rules.Count];
        _ruleCheapCount = new int[rules.Count];
        var clauseRule = new List<int>();
        var clauseCheap = new List<bool>();
        var unconditional = new List<int>();
        var fields = new Dictionary<string, FieldBuilder>(StringComparer.Ordinal);
        // Keyword needles are grouped by the cheap clauses of their rules (e.g. event.module = syslog),
        // so that an event scans its text only for the groups whose rules it can still match.
        var keywords = new Dictionary<string, (Dictionary<string, List<int>> Needles, HashSet<int> Rules)>(StringComparer.Ordinal);
        int byValue = 0, byField = 0, byKeyword = 0;
        var allClauses = rules.Select(r => r.Detection.Clauses).ToArray();

        // How many rules rely on each atom: an atom many rules share (event.module = konfido) says
        // little about a rule, and satisfying it costs a step per sharing clause on every such event.
        var sharing = new Dictionary<IndexAtom, int>(AtomComparer.Instance);
        foreach (var atom in allClauses.SelectMany(c => c.SelectMany(x => x.Atoms).Distinct(AtomComparer.Instance)))
        {
            sharing[atom] = sharing.GetValueOrDefault(atom) + 1;
        }

        for (var r = 0; r < rules.Count; r++)
        {
            // The rule's most selective clauses (by how widely their atoms are shared), including its
            // most selective cheap clause if it has one: that clause gates its substring searches.
            var ranked = allClauses[r].OrderBy(c => c.Atoms.Sum(a => sharing[a] * a.Weight)).ToList();
            var gateClause = ranked.FirstOrDefault(IsCheap);
            var clauses = (gateClause is null ? ranked : ranked.Where(c => c != gateClause).Prepend(gateClause)).Take(ClausesPerRule).ToArray();
            _ruleClauseCount[r] = clauses.Length;
            if (clauses.Length == 0)
            {
                unconditional.Add(r);
                continue;
            }

            if (clauses.Any(c => c.Atoms.All(a => a.Kind == AtomKind.Equals)))
            {
                byValue++;
            }
            else if (clauses.All(c => c.Atoms.All(a => a.Kind == AtomKind.Keyword)))
            {
                byKeyword++;
            }
            else
            {
                byField++;
            }

            var gate = string.Join('\u0001', clauses.Where(IsCheap).Select(c => c.ToString()));
            foreach (var clause in clauses)
            {
                var id = clauseRule.Count;
                var cheap = IsCheap(clause);
                clauseRule.Add(r);
                clauseCheap.Add(cheap);
                if (cheap)
                {
                    _ruleCheapCount[r]++;
                }

                foreach (var atom in clause.Atoms)
                {
                    if (atom.Kind == AtomKind.Keyword)
                    {
                        if (!keywords.TryGetValue(gate, out var group))
                        {
                            keywords[gate] = group = (new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase), []);
                        }

                        Append(group.Needles, atom.Text!, id);
                        group.Rules.Add(r);
                        continue;
                    }

                    if (!fields.TryGetValue(atom.Field!, out var field))
                    {
                        fields[atom.Field!] = field = new FieldBuilder();
                    }

                    switch (atom.Kind)
                    {
                        case AtomKind.Equals:
                            Append(field.Values, atom.Text!, id);
                            break;
                        case AtomKind.Contains:
                            Append(field.Needles, atom.Text!, id);
                            field.NeedleRules.Add(r);
                            break;
                        default:
                            field.Present.Add(id);
                            break;
                    }
                }
            }
        }

        _clauseRule = clauseRule.ToArray();
        _clauseCheap = clauseCheap.ToArray();
        _unconditional = unconditional.ToArray();
        _fields = fields.Select((p, i) => new FieldEntry(
            i,
            new FieldPath(p.Key),
            p.Value.Values.Count > 0 ? p.Value.Values.ToDictionary(q => q.Key, q => Distinct(q.Value), StringComparer.OrdinalIgnoreCase) : null,
            p.Value.Needles.Count > 0 ? new NeedleTable(p.Value.Needles, p.Value.NeedleRules) : null,
            Distinct(p.Value.Present))).ToArray();
        _trie = TrieNode.Build(_fields);
        _keywords = keywords.Values.Select(g => new NeedleTable(g.Needles, g.Rules)).ToArray();
        Statistics = (byValue, byField, byKeyword, unconditional.Count);
    }

    public (int ByValue, int ByField, int ByKeyword, int Unindexed) Statistics { get; }


    public DetectionNode[] Detections => _detections;

    public Scratch CreateScratch() => new(_clauseRule.Length, _ruleClauseCount.Length, _fields.Length);

    /// <summary>Adds the candidate rules for <paramref name="e"/> to <paramref name="candidates"/> (unordered, no duplicates).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void CollectCandidates(EventObject e, Scratch scratch, List<int> candidates)
    {
        scratch.NextEpoch();
        candidates.AddRange(_unconditional);

        // Phase 1: field values (hash probes) and presence; remember the values for phase 2.
        var found = scratch.FoundFields;
        found.Clear();
        Walk(_trie, e, scratch, candidates);

        // Phase 2: substring searches, only where a rule with all its cheap clauses satisfied needs one.
        foreach (var (field, value) in found)
        {
            if (field.Needles is { } needles && needles.AnyAlive(this, scratch))
            {
                SearchFieldValue(needles, value, scratch, candidates);
            }
        }

        string? text = null;
        var textRead = false;
        foreach (var keywords in _keywords)
        {
            if (!keywords.AnyAlive(this, scratch))
            {
                continue;
            }

            if (!textRead)
            {
                text = Original.TryGet(e, out var original) ? original as string : null;
                textRead = true;
            }

            if (text is not null)
            {
                keywords.Search(text, this, scratch, candidates);
            }
            else
            {
                SearchLeaves(keywords, e, scratch, candidates);
            }
        }
    }

    private static bool IsCheap(IndexClause clause) => clause.Atoms.All(a => a.Kind is AtomKind.Equals or AtomKind.Present);

    /// <summary>Visits the indexed fields present in <paramref name="current"/> under one trie node.</summary>
    private void Walk(TrieNode node, EventObject current, Scratch scratch, List<int> candidates)
    {
        if (current.HasDottedKeys)
        {
            // Flat or mixed keys at this level: the general lookup of each field's remaining suffix.
            foreach (var (field, suffix) in node.Below)
            {
                if (current.TryGet(suffix, out var value))
                {
                    Found(field, value, scratch, candidates);
                }
            }

            return;
        }

        foreach (var child in node.Children)
        {
            if (!current.TryGetMember(child.Segment, out var value))
            {
                continue;
            }

            if (child.Field is { } field)
            {
                Found(field, value, scratch, candidates);
            }

            if (child.Children.Length > 0 && value is EventObject nested)
            {
                Walk(child, nested, scratch, candidates);
            }
        }
    }

    private void Found(FieldEntry field, object? value, Scratch scratch, List<int> candidates)
    {
        if (value is null or EventObject)
        {
            return;
        }

        if (field.Present.Length > 0)
        {
            Satisfy(field.Present, scratch, candidates);
        }

        if (field.Values is not null)
        {
            MatchValues(field.Values, value, scratch, candidates);
        }

        if (field.Needles is not null)
        {
            scratch.FoundFields.Add((field, value));
        }
    }

    private void MatchValues(Dictionary<string, int[]> values, object? value, Scratch scratch, List<int> candidates)
    {
        if (value is IList<object?> list)
        {
            // A list matches when any element does (nested lists too, as FieldNode does).
            foreach (var item in list)
            {
                MatchValues(values, item, scratch, candidates);
            }
        }
        else if (EventObject.ScalarToString(value) is { } s && values.TryGetValue(s, out var clauses))
        {
            Satisfy(clauses, scratch, candidates);
        }
    }

    private void SearchFieldValue(NeedleTable needles, object? value, Scratch scratch, List<int> candidates)
    {
        if (value is IList<object?> list)
        {
            foreach (var item in list)
            {
                SearchFieldValue(needles, item, scratch, candidates);
            }
        }
        else if (EventObject.ScalarToString(value) is { } s)
        {
            needles.Search(s, this, scratch, candidates);
        }
    }

    private void SearchLeaves(NeedleTable keywords, EventObject e, Scratch scratch, List<int> candidates)
    {
        foreach (var (_, value) in e.Members)
        {
            SearchLeaf(keywords, value, scratch, candidates);
        }
    }

    private void SearchLeaf(NeedleTable keywords, object? value, Scratch scratch, List<int> candidates)
    {
        switch (value)
        {
            case null:
                return;
            case EventObject nested:
                SearchLeaves(keywords, nested, scratch, candidates);
                return;
            case IList<object?> list:
                foreach (var item in list)
                {
                    SearchLeaf(keywords, item, scratch, candidates);
                }

                return;
            default:
                if (EventObject.ScalarToString(value) is { } s)
                {
                    keywords.Search(s, this, scratch, candidates);
                }

                return;
        }
    }

    /// <summary>True if <paramref name="rule"/> has every clause made of cheap atoms satisfied (so far).</summary>
    private bool IsAlive(int rule, Scratch scratch) =>
        _ruleCheapCount[rule] == 0 || (scratch.RuleMarks[rule] == scratch.Epoch && scratch.CheapCounts[rule] == _ruleCheapCount[rule]);

    /// <summary>Marks clauses satisfied; a rule becomes a candidate when its last clause is.</summary>
    private void Satisfy(int[] clauses, Scratch scratch, List<int> candidates)
    {
        var epoch = scratch.Epoch;
        var clauseMarks = scratch.ClauseMarks;
        var ruleMarks = scratch.RuleMarks;
        var ruleCounts = scratch.RuleCounts;
        foreach (var c in clauses)
        {
            if (clauseMarks[c] == epoch)
            {
                continue;
            }

            clauseMarks[c] = epoch;
            var r = _clauseRule[c];
            if (ruleMarks[r] != epoch)
            {
                ruleMarks[r] = epoch;
                ruleCounts[r] = 0;
                scratch.CheapCounts[r] = 0;
            }

            if (_clauseCheap[c])
            {
                scratch.CheapCounts[r]++;
            }

            if (++ruleCounts[r] == _ruleClauseCount[r])
            {
                candidates.Add(r);
            }
        }
    }

    private static void Append(Dictionary<string, List<int>> map, string key, int id)
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        list.Add(id);
    }

    private static int[] Distinct(IEnumerable<int> ids) => ids.Distinct().Order().ToArray();

    /// <summary>Atoms compared with field names ordinal and texts ignoring case (as the index matches them).</summary>
    private sealed class AtomComparer : IEqualityComparer<IndexAtom>
    {
        public static readonly AtomComparer Instance = new();

        public bool Equals(IndexAtom x, IndexAtom y) =>
            x.Kind == y.Kind && string.Equals(x.Field, y.Field, StringComparison.Ordinal) && string.Equals(x.Text, y.Text, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode(IndexAtom obj) => HashCode.Combine(obj.Kind, obj.Field is null ? 0 : StringComparer.Ordinal.GetHashCode(obj.Field),
            obj.Text is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Text));
    }

    /// <summary>Per-thread marks: clause and rule epochs, per-rule satisfied-clause counts, fields found.</summary>
    internal sealed class Scratch(int clauses, int rules, int fields)
    {
        public int[] ClauseMarks { get; } = new int[clauses];

        public int[] RuleMarks { get; } = new int[rules];

        public int[] RuleCounts { get; } = new int[rules];

        public int[] CheapCounts { get; } = new int[rules];

        public List<(FieldEntry Field, object Value)> FoundFields { get; } = new(fields);

        public int Epoch { get; private set; }

        public void NextEpoch()
        {
            if (++Epoch == int.MaxValue)
            {
                Array.Clear(ClauseMarks);
                Array.Clear(RuleMarks);
                Epoch = 1;
            }
        }
    }

    private sealed class FieldBuilder
    {
        public Dictionary<string, List<int>> Values { get; } = new(StringComparer.OrdinalIgnoreCase);

        public Dictionary<string, List<int>> Needles { get; } = new(StringComparer.OrdinalIgnoreCase);

        public HashSet<int> NeedleRules { get; } = [];

        public List<int> Present { get; } = [];
    }

    internal sealed record FieldEntry(int Number, FieldPath Path, Dictionary<string, int[]>? Values, NeedleTable? Needles, int[] Present);

    /// <summary>The indexed field paths as a tree of segments, so that shared prefixes are looked up once.</summary>
    private sealed class TrieNode(string segment)
    {
        public string Segment { get; } = segment;

        public FieldEntry? Field { get; private set; }

        public TrieNode[] Children { get; private set; } = [];

        /// <summary>Every field at or below this node's children, with its path from here (dotted).</summary>
        public (FieldEntry Field, string Suffix)[] Below { get; private set; } = [];

        public static TrieNode Build(IEnumerable<FieldEntry> fields)
        {
            var root = new TrieNode(string.Empty);
            var all = fields.ToList();
            root.Fill(all.Select(f => (f, f.Path.Segments)).ToList());
            return root;
        }

        private void Fill(List<(FieldEntry Field, string[] Tail)> fields)
        {
            Below = fields.Select(f => (f.Field, string.Join('.', f.Tail))).ToArray();
            var children = new List<TrieNode>();
            foreach (var group in fields.GroupBy(f => f.Tail[0], StringComparer.Ordinal))
            {
                var child = new TrieNode(group.Key);
                child.Field = group.FirstOrDefault(f => f.Tail.Length == 1).Field;
                child.Fill(group.Where(f => f.Tail.Length > 1).Select(f => (f.Field, f.Tail[1..])).ToList());
                children.Add(child);
            }

            Children = children.ToArray();
        }
    }

    /// <summary>
    /// Case-insensitive needles → clauses. A table of at most 64 needles is searched with one
    /// vectorised multi-substring search. In larger tables, ASCII needles of three characters or more
    /// are found with a two-stage filter tested at every text position: the set of their first two
    /// characters (upper-cased ASCII, 16 Kibit), then a 64 Kibit set of the hashes of their first
    /// three; the needles of a hit's bucket are compared there with
    /// <see cref="StringComparison.OrdinalIgnoreCase"/>. Other needles (short or non-ASCII) go through
    /// a vectorised multi-substring search. The filter can only report too much, never too little:
    /// the text's characters are upper-cased the same way (<see cref="char.ToUpperInvariant"/>).
    /// </summary>
    internal sealed class NeedleTable
    {
        private const int HashBits = 16;
        private const int SmallTable = 64;
        private readonly ulong[] _grams = new ulong[(1 << HashBits) / 64];
        private readonly ulong[] _pairs = new ulong[(1 << 14) / 64];
        private readonly Dictionary<uint, (string Needle, int[] Clauses)[]> _buckets;
        private readonly SearchValues<string>? _otherSearch;
        private readonly (string Needle, int[] Clauses)[] _others;
        private readonly int[] _rules;

        public NeedleTable(Dictionary<string, List<int>> needles, IEnumerable<int> rules)
        {
            var entries = needles.Select(p => (Needle: p.Key, Clauses: Distinct(p.Value))).ToArray();
            // A few needles: the vectorised search (Teddy) beats the trigram loop; many: the loop wins.
            var hashed = entries.Length <= SmallTable ? [] : entries.Where(e => e.Needle.Length >= 3 && Ascii.IsValid(e.Needle)).ToArray();
            _buckets = hashed.GroupBy(e => Hash(Upper(e.Needle[0]), Upper(e.Needle[1]), Upper(e.Needle[2])))
                .ToDictionary(g => g.Key, g => g.ToArray());
            foreach (var hash in _buckets.Keys)
            {
                _grams[hash >> 6] |= 1UL << (int)(hash & 63);
            }

            foreach (var (needle, _) in hashed)
            {
                var pair = ((Upper(needle[0]) & 0x7F) << 7) | (Upper(needle[1]) & 0x7F);
                _pairs[pair >> 6] |= 1UL << (int)(pair & 63);
            }

            _others = entries.Except(hashed).ToArray();
            _otherSearch = _others.Length > 0 ? SearchValues.Create(_others.Select(e => e.Needle).ToArray(), StringComparison.OrdinalIgnoreCase) : null;
            _rules = Distinct(rules);
        }

        /// <summary>True if some rule owning a needle here can still match after phase 1.</summary>
        public bool AnyAlive(RuleIndex index, Scratch scratch)
        {
            foreach (var r in _rules)
            {
                if (index.IsAlive(r, scratch))
                {
                    return true;
                }
            }

            return false;
        }

        public void Search(string text, RuleIndex index, Scratch scratch, List<int> candidates)
        {
            var span = text.AsSpan();
            if (_buckets.Count > 0 && span.Length >= 3)
            {
                var grams = _grams;
                var pairs = _pairs;
                uint a = Upper(span[0]), b = Upper(span[1]);
                for (var i = 0; i + 2 < span.Length; i++)
                {
                    uint c = Upper(span[i + 2]);

                    // First the exact pair of leading characters (ASCII), then the trigram's hash.
                    var pair = ((a & 0x7F) << 7) | (b & 0x7F);
                    if ((a | b) < 128 && (pairs[pair >> 6] & (1UL << (int)(pair & 63))) == 0)
                    {
                        a = b;
                        b = c;
                        continue;
                    }

                    var hash = Hash(a, b, c);
                    if ((grams[hash >> 6] & (1UL << (int)(hash & 63))) != 0 && _buckets.TryGetValue(hash, out var bucket))
                    {
                        var rest = span[i..];
                        foreach (var (needle, clauses) in bucket)
                        {
                            if (rest.StartsWith(needle, StringComparison.OrdinalIgnoreCase))
                            {
                                index.Satisfy(clauses, scratch, candidates);
                            }
                        }
                    }

                    a = b;
                    b = c;
                }
            }

            if (_otherSearch is null)
            {
                return;
            }

            var pos = 0;
            while (pos < span.Length)
            {
                var hit = span[pos..].IndexOfAny(_otherSearch);
                if (hit < 0)
                {
                    return;
                }

                var at = pos + hit;
                var rest = span[at..];
                foreach (var (needle, clauses) in _others)
                {
                    if (rest.StartsWith(needle, StringComparison.OrdinalIgnoreCase))
                    {
                        index.Satisfy(clauses, scratch, candidates);
                    }
                }

                pos = at + 1;
            }
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static uint Upper(char c) => c < 128 ? (uint)(c is >= 'a' and <= 'z' ? c - 32 : c) : char.ToUpperInvariant(c);

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static uint Hash(uint a, uint b, uint c) => ((a * 0x9E3779B1u) ^ (b * 0x85EBCA77u) ^ (c * 0xC2B2AE3Du)) >> (32 - HashBits);
    }
}
