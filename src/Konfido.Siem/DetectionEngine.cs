using Konfido.Siem.Correlation;
using Konfido.Siem.Events;
using Konfido.Siem.Sigma;

namespace Konfido.Siem;

/// <summary>A detection rule that matched one event.</summary>
/// <param name="Rule">The rule.</param>
/// <param name="EventIndex">The event's index in the stream (0-based).</param>
/// <param name="Time">The event's time.</param>
public sealed record RuleMatch(SigmaRule Rule, long EventIndex, DateTimeOffset Time);

/// <summary>What one event produced: standalone rule matches and correlations that fired.</summary>
/// <param name="EventIndex">The event's index.</param>
/// <param name="Time">The event's time.</param>
/// <param name="Matches">Matches of rules that generate standalone results.</param>
/// <param name="Correlations">Correlations that fired.</param>
public sealed record DetectionResult(long EventIndex, DateTimeOffset Time, IReadOnlyList<RuleMatch> Matches, IReadOnlyList<CorrelationMatch> Correlations)
{
    /// <summary>True if nothing matched.</summary>
    public bool IsEmpty => Matches.Count == 0 && Correlations.Count == 0;
}

/// <summary>
/// Runs a <see cref="SigmaRuleSet"/> over a stream of events in order: rule matching through the
/// index, then the correlation engine. Event time comes from <c>@timestamp</c>, <c>timestamp</c>
/// or <c>time</c>; an event without one takes the previous event's time. Not thread-safe: one per stream.
/// </summary>
public sealed class DetectionEngine
{
    private readonly RuleEvaluator _evaluator;
    private readonly CorrelationEngine _correlations;
    private readonly List<SigmaRule> _scratch = [];
    private DateTimeOffset _lastTime = DateTimeOffset.UnixEpoch;
    private long _next;

    /// <summary>Creates an engine over <paramref name="rules"/>.</summary>
    /// <param name="rules">The compiled rules.</param>
    public DetectionEngine(SigmaRuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Rules = rules;
        _evaluator = rules.CreateEvaluator();
        _correlations = new CorrelationEngine(rules);
    }

    /// <summary>The rules.</summary>
    public SigmaRuleSet Rules { get; }

    /// <summary>The number of events processed.</summary>
    public long EventsProcessed => _next;

    /// <summary>Evaluates one event (the next index in the stream). Requires a non-null event.</summary>
    /// <param name="e">The event.</param>
    public DetectionResult Process(EventObject e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var index = _next++;
        if (EventTime.TryGet(e, out var time))
        {
            _lastTime = time;
        }
        else
        {
            time = _lastTime;
        }

        _scratch.Clear();
        _evaluator.Evaluate(e, _scratch);
        if (_scratch.Count == 0)
        {
            return new DetectionResult(index, time, [], []);
        }

        List<RuleMatch>? matches = null;
        List<CorrelationMatch>? fired = null;
        foreach (var rule in _scratch)
        {
            if (rule.Generates)
            {
                (matches ??= []).Add(new RuleMatch(rule, index, time));
            }

            var correlations = _correlations.Process(rule, e, index, time);
            if (correlations.Count > 0)
            {
                (fired ??= []).AddRange(correlations);
            }
        }

        return new DetectionResult(index, time, (IReadOnlyList<RuleMatch>?)matches ?? [], (IReadOnlyList<CorrelationMatch>?)fired ?? []);
    }

    /// <summary>Closes open correlation windows (at the end of a stream, or periodically with the current time).</summary>
    /// <param name="now">The current time, or null to close every window.</param>
    public IReadOnlyList<CorrelationMatch> Flush(DateTimeOffset? now = null) => _correlations.Flush(now);
}
