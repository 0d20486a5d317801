using Konfido.Siem.Events;
using Konfido.Siem.Sigma;

namespace Konfido.Siem.Correlation;

// Sigma correlation rules (sigma-correlation-rules-specification v2): event_count, value_count,
// temporal, temporal_ordered, and the value_sum/value_avg/value_percentile aggregations, per
// group-by key within a sliding timespan. A correlation that fires is itself an input of the
// correlations that refer to it (chains). Semantics chosen here:
// - Conditions with a lower bound (gt, gte, eq, neq) are evaluated on a sliding window each time an
//   input arrives; the group's window is cleared when the correlation fires (one firing per burst).
// - Conditions with only upper bounds (lt, lte) are evaluated when a tumbling window (opened by the
//   group's first input) closes: when a later input falls outside it, or at Flush.
// - temporal/temporal_ordered without a condition require every referenced rule; with a condition,
//   the bound applies to the number of distinct referenced rules seen (in order, for _ordered).
// - value_percentile uses the nearest-rank method on condition.percentile (default 95).

/// <summary>A correlation rule that fired.</summary>
/// <param name="Rule">The correlation rule.</param>
/// <param name="Group">The group-by values (alias or field name → value; null when the event lacked it).</param>
/// <param name="EventIndexes">The indexes of the events that contributed, ascending.</param>
/// <param name="Time">The time of the input that made it fire (or of the window's end for upper bounds).</param>
/// <param name="Value">The aggregated value that satisfied the condition.</param>
public sealed record CorrelationMatch(SigmaCorrelationRule Rule, IReadOnlyDictionary<string, string?> Group,
    IReadOnlyList<long> EventIndexes, DateTimeOffset Time, double Value);

/// <summary>
/// Evaluates the correlation rules of a <see cref="SigmaRuleSet"/> over a stream of rule matches.
/// Not thread-safe; feed it in time order from one thread.
/// </summary>
public sealed class CorrelationEngine
{
    private readonly Dictionary<object, List<(CorrelationState State, int Slot)>> _consumers = new(ReferenceEqualityComparer.Instance);
    private readonly List<CorrelationState> _states = [];
    private readonly int _maxEntriesPerGroup;
    private long _inputs;

    /// <summary>Creates an engine for the correlations of <paramref name="rules"/>.</summary>
    /// <param name="rules">The rule set.</param>
    /// <param name="maxEntriesPerGroup">Bounds memory: the oldest entries of a group beyond this are discarded.</param>
    public CorrelationEngine(SigmaRuleSet rules, int maxEntriesPerGroup = 100_000)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntriesPerGroup, 1);
        _maxEntriesPerGroup = maxEntriesPerGroup;
        foreach (var correlation in rules.Correlations)
        {
            var state = new CorrelationState(correlation);
            _states.Add(state);
            for (var slot = 0; slot < correlation.Rules.Count; slot++)
            {
                var source = rules.Find(correlation.Rules[slot]) ?? throw new InvalidOperationException("unresolved reference");
                if (!_consumers.TryGetValue(source, out var list))
                {
                    _consumers[source] = list = [];
                }

                list.Add((state, slot));
            }
        }
    }

    /// <summary>True if some correlation consumes matches of <paramref name="rule"/>.</summary>
    /// <param name="rule">The rule.</param>
    public bool Consumes(SigmaRule rule) => _consumers.ContainsKey(rule);

    /// <summary>Feeds one match of a detection rule; returns the correlations that fired (including chained ones).</summary>
    /// <param name="rule">The matching rule.</param>
    /// <param name="e">The event.</param>
    /// <param name="eventIndex">The event's index in the stream.</param>
    /// <param name="time">The event's time.</param>
    public IReadOnlyList<CorrelationMatch> Process(SigmaRule rule, EventObject e, long eventIndex, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(e);
        if (!_consumers.ContainsKey(rule))
        {
            return [];
        }

        var fired = new List<CorrelationMatch>();
        Feed(rule, rule.Id, rule.Name, e, [eventIndex], time, fired);
        if (++_inputs % 4096 == 0)
        {
            foreach (var state in _states)
            {
                state.Prune(time);
            }
        }

        return fired;
    }

    /// <summary>Closes every open window that ends before <paramref name="now"/> (all of them if null) and returns what fired.</summary>
    /// <param name="now">The current time, or null at the end of a stream.</param>
    public IReadOnlyList<CorrelationMatch> Flush(DateTimeOffset? now = null)
    {
        var fired = new List<CorrelationMatch>();
        foreach (var state in _states)
        {
            foreach (var match in state.CloseWindows(now))
            {
                fired.Add(match);
                FeedChained(match, fired);
            }
        }

        return fired;
    }

    private void Feed(object source, string id, string? name, EventObject e, long[] indexes, DateTimeOffset time, List<CorrelationMatch> fired)
    {
        if (!_consumers.TryGetValue(source, out var consumers))
        {
            return;
        }

        foreach (var (state, slot) in consumers)
        {
            foreach (var match in state.Add(slot, id, name, e, indexes, time, _maxEntriesPerGroup))
            {
                fired.Add(match);
                FeedChained(match, fired);
            }
        }
    }

    private void FeedChained(CorrelationMatch match, List<CorrelationMatch> fired)
    {
        var groupEvent = new EventObject();
        foreach (var (field, value) in match.Group)
        {
            groupEvent.Set(field, value);
        }

        Feed(match.Rule, match.Rule.Id, match.Rule.Name, groupEvent, match.EventIndexes.ToArray(), match.Time, fired);
    }

    private sealed record Entry(DateTimeOffset Time, int Slot, long[] Indexes, string? Value);

    /// <summary>
    /// The entries of one group-by key in time order, with the distinct values and rule slots they
    /// hold counted incrementally (so that value_count and temporal aggregate in constant time).
    /// </summary>
    private sealed class Group(IReadOnlyDictionary<string, string?> values, int slots, bool latestPerValue)
    {
        private readonly LinkedList<Entry> _entries = new();
        private readonly Dictionary<string, int> _valueCounts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, LinkedListNode<Entry>>? _latest = latestPerValue ? new(StringComparer.Ordinal) : null;
        private readonly int[] _slotCounts = new int[slots];

        public IReadOnlyDictionary<string, string?> Values { get; } = values;

        public IEnumerable<Entry> Entries => _entries;

        public int Count => _entries.Count;

        public Entry? First => _entries.First?.Value;

        /// <summary>The number of distinct non-null values in the window.</summary>
        public int DistinctValues => _valueCounts.Count;

        /// <summary>The number of distinct rule slots in the window.</summary>
        public int DistinctSlots { get; private set; }

        public DateTimeOffset WindowStart { get; set; }

        /// <summary>
        /// Appends <paramref name="entry"/>. For value_count a group keeps only the latest entry of each value:
        /// a value is in the window exactly when its latest entry is, so the distinct count is unchanged and the
        /// memory is bounded by the distinct values (not by the events) in the window.
        /// </summary>
        public void Add(Entry entry)
        {
            if (_latest is not null && entry.Value is { } repeated && _latest.TryGetValue(repeated, out var older))
            {
                Remove(older);
            }

            var node = _entries.AddLast(entry);
            if (entry.Value is { } v)
            {
                _valueCounts[v] = _valueCounts.GetValueOrDefault(v) + 1;
                if (_latest is not null)
                {
                    _latest[v] = node;
                }
            }

            if (_slotCounts[entry.Slot]++ == 0)
            {
                DistinctSlots++;
            }
        }

        public void RemoveFirst() => Remove(_entries.First!);

        public void Clear()
        {
            _entries.Clear();
            _valueCounts.Clear();
            _latest?.Clear();
            Array.Clear(_slotCounts);
            DistinctSlots = 0;
        }

        private void Remove(LinkedListNode<Entry> node)
        {
            var entry = node.Value;
            _entries.Remove(node);
            if (entry.Value is { } v)
            {
                if (_valueCounts[v] == 1)
                {
                    _valueCounts.Remove(v);
                }
                else
                {
                    _valueCounts[v]--;
                }

                if (_latest is not null && _latest.TryGetValue(v, out var current) && ReferenceEquals(current, node))
                {
                    _latest.Remove(v);
                }
            }

            if (--_slotCounts[entry.Slot] == 0)
            {
                DistinctSlots--;
            }
        }
    }

    private sealed class CorrelationState(SigmaCorrelationRule rule)
    {
        private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
        private readonly bool _upperBoundOnly = rule.Condition.Count > 0 && rule.Condition.All(b => b.Operator is "lt" or "lte");

        public IEnumerable<CorrelationMatch> Add(int slot, string id, string? name, EventObject e, long[] indexes, DateTimeOffset time, int maxEntries)
        {
            var values = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var g in rule.GroupBy)
            {
                var field = g;
                if (rule.Aliases.TryGetValue(g, out var perRule)
                    && (perRule.TryGetValue(name ?? string.Empty, out var aliased) || perRule.TryGetValue(id, out aliased)))
                {
                    field = aliased;
                }

                values[g] = e.GetString(field);
            }

            var key = string.Join('\u001f', rule.GroupBy.Select(g => values[g] ?? "\u0000"));
            if (!_groups.TryGetValue(key, out var group))
            {
                _groups[key] = group = new Group(values, rule.Rules.Count, rule.Type == CorrelationType.ValueCount) { WindowStart = time };
            }

            string? value = rule.ValueField is null ? null : e.GetString(rule.ValueField);
            var results = new List<CorrelationMatch>();
            if (_upperBoundOnly)
            {
                if (group.Count > 0 && time > group.WindowStart + rule.Timespan)
                {
                    if (Evaluate(group, out var closed))
                    {
                        results.Add(Fire(group, group.WindowStart + rule.Timespan, closed));
                    }

                    group.Clear();
                }

                if (group.Count == 0)
                {
                    group.WindowStart = time;
                }

                group.Add(new Entry(time, slot, indexes, value));
                Trim(group, maxEntries);
                return results;
            }

            group.Add(new Entry(time, slot, indexes, value));
            Evict(group, time);
            Trim(group, maxEntries);
            if (Evaluate(group, out var aggregate))
            {
                results.Add(Fire(group, time, aggregate));
                group.Clear();
            }

            return results;
        }

        public IEnumerable<CorrelationMatch> CloseWindows(DateTimeOffset? now)
        {
            if (!_upperBoundOnly)
            {
                yield break;
            }

            foreach (var group in _groups.Values)
            {
                if (group.Count == 0 || (now is { } n && n <= group.WindowStart + rule.Timespan))
                {
                    continue;
                }

                if (Evaluate(group, out var aggregate))
                {
                    yield return Fire(group, group.WindowStart + rule.Timespan, aggregate);
                }

                group.Clear();
            }
        }

        public void Prune(DateTimeOffset now)
        {
            foreach (var (key, group) in _groups.ToList())
            {
                if (!_upperBoundOnly)
                {
                    Evict(group, now);
                }

                if (group.Count == 0)
                {
                    _groups.Remove(key);
                }
            }
        }

        private void Evict(Group group, DateTimeOffset now)
        {
            var oldest = now - rule.Timespan;
            while (group.First is { } first && first.Time < oldest)
            {
                group.RemoveFirst();
            }
        }

        private static void Trim(Group group, int maxEntries)
        {
            while (group.Count > maxEntries)
            {
                group.RemoveFirst();
            }
        }

        private CorrelationMatch Fire(Group group, DateTimeOffset time, double aggregate)
        {
            var indexes = group.Entries.SelectMany(en => en.Indexes).Distinct().Order().ToArray();
            return new CorrelationMatch(rule, group.Values, indexes, time, aggregate);
        }

        private bool Evaluate(Group group, out double aggregate)
        {
            aggregate = Aggregate(group);
            if (rule.Condition.Count == 0)
            {
                // temporal types without a condition: every referenced rule.
                return aggregate >= rule.Rules.Count;
            }

            foreach (var bound in rule.Condition)
            {
                if (!bound.Holds(aggregate))
                {
                    return false;
                }
            }

            return true;
        }

        private double Aggregate(Group group)
        {
            switch (rule.Type)
            {
                case CorrelationType.EventCount:
                    return group.Count;
                case CorrelationType.ValueCount:
                    return group.DistinctValues;
                case CorrelationType.Temporal:
                    return group.DistinctSlots;
                case CorrelationType.TemporalOrdered:
                    var next = 0;
                    foreach (var en in group.Entries.OrderBy(en => en.Time))
                    {
                        if (next < rule.Rules.Count && en.Slot == next)
                        {
                            next++;
                        }
                    }

                    return next;
                default:
                    var numbers = group.Entries.Select(en => double.TryParse(en.Value, System.Globalization.NumberStyles.Float,
                        System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : double.NaN)
                        .Where(d => !double.IsNaN(d)).ToArray();
                    if (numbers.Length == 0)
                    {
                        return double.NaN;
                    }

                    return rule.Type switch
                    {
                        CorrelationType.ValueSum => numbers.Sum(),
                        CorrelationType.ValueAvg => numbers.Average(),
                        _ => Percentile(numbers, rule.Percentile),
                    };
            }
        }

        /// <summary>Nearest-rank percentile: the smallest value with at least p% of values at or below it.</summary>
        private static double Percentile(double[] values, double p)
        {
            Array.Sort(values);
            var rank = (int)Math.Ceiling(p / 100.0 * values.Length);
            return values[Math.Clamp(rank - 1, 0, values.Length - 1)];
        }
    }
}
