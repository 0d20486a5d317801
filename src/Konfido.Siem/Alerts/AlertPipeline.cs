using Konfido.Siem.Sigma;

namespace Konfido.Siem.Alerts;

/// <summary>A detection that may become an alert.</summary>
/// <param name="RuleId">The rule or detector id.</param>
/// <param name="Title">The title.</param>
/// <param name="Severity">The severity.</param>
/// <param name="Kind">What raised it.</param>
/// <param name="Time">When it happened (event time).</param>
/// <param name="Group">Key fields: correlation group, or selected event fields.</param>
/// <param name="Evidence">Event references.</param>
/// <param name="Description">A short explanation.</param>
public sealed record AlertCandidate(string RuleId, string Title, SigmaLevel Severity, AlertKind Kind, DateTimeOffset Time,
    IReadOnlyDictionary<string, string?> Group, IReadOnlyList<string> Evidence, string? Description = null);

/// <summary>What happened to a candidate.</summary>
public enum AlertOutcome
{
    /// <summary>A new alert was stored and handed to the sinks.</summary>
    Raised,

    /// <summary>Merged into an open alert with the same key (stored, not re-notified).</summary>
    Deduplicated,

    /// <summary>Dropped by a suppression window (counted).</summary>
    Suppressed,
}

/// <summary>The alert policy: de-duplication window, evidence cap, the minimum severity that becomes an alert.</summary>
/// <param name="DeduplicationWindow">Candidates with the same key within this time of the last occurrence are merged.</param>
/// <param name="MaxEvidence">The most event references kept per alert.</param>
/// <param name="MinimumSeverity">Candidates below this severity are not raised (Sigma: informational rules enrich, they do not alert).</param>
public sealed record AlertPolicy(TimeSpan DeduplicationWindow, int MaxEvidence = 100, SigmaLevel MinimumSeverity = SigmaLevel.Low)
{
    /// <summary>15-minute de-duplication, 100 evidence references, severity low and above.</summary>
    public static AlertPolicy Default { get; } = new(TimeSpan.FromMinutes(15));
}

/// <summary>
/// Turns candidates into alerts: de-duplicates within a window, applies suppression windows,
/// stores every alert and hands new ones to the sinks (webhook, ledger, federation). A sink that
/// fails is counted and does not stop the others or lose the stored alert. Thread-safe.
/// </summary>
public sealed class AlertPipeline
{
    private readonly IAlertStore _store;
    private readonly IReadOnlyList<IAlertSink> _sinks;
    private readonly AlertPolicy _policy;
    private readonly string _node;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Alert> _open = new(StringComparer.Ordinal);
    private readonly List<(string RuleId, IReadOnlyDictionary<string, string?>? Group, DateTimeOffset Until)> _suppressions = [];
    private long _raised;
    private long _deduplicated;
    private long _suppressed;
    private long _sinkFailures;

    /// <summary>Creates a pipeline. Requires a store, sinks (possibly none), a policy and the node's country code.</summary>
    /// <param name="store">Where alerts are kept.</param>
    /// <param name="sinks">Receivers of new alerts.</param>
    /// <param name="policy">The policy.</param>
    /// <param name="node">The country code of this node.</param>
    public AlertPipeline(IAlertStore store, IEnumerable<IAlertSink> sinks, AlertPolicy policy, string node)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(sinks);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentException.ThrowIfNullOrEmpty(node);
        if (policy.DeduplicationWindow < TimeSpan.Zero || policy.MaxEvidence < 1)
        {
            throw new ArgumentException("the de-duplication window must be non-negative and MaxEvidence positive", nameof(policy));
        }

        _store = store;
        _sinks = sinks.ToArray();
        _policy = policy;
        _node = node;
    }

    /// <summary>New alerts raised.</summary>
    public long Raised => Interlocked.Read(ref _raised);

    /// <summary>Candidates merged into open alerts.</summary>
    public long Deduplicated => Interlocked.Read(ref _deduplicated);

    /// <summary>Candidates dropped by suppression windows or below the minimum severity.</summary>
    public long Suppressed => Interlocked.Read(ref _suppressed);

    /// <summary>Sink deliveries that failed.</summary>
    public long SinkFailures => Interlocked.Read(ref _sinkFailures);

    /// <summary>
    /// Suppresses alerts of <paramref name="ruleId"/> (only those whose group contains every pair of
    /// <paramref name="group"/>, if given) until <paramref name="until"/> (event time).
    /// </summary>
    /// <param name="ruleId">The rule.</param>
    /// <param name="until">The end of the window.</param>
    /// <param name="group">Optional group values to restrict the suppression.</param>
    public void Suppress(string ruleId, DateTimeOffset until, IReadOnlyDictionary<string, string?>? group = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(ruleId);
        lock (_suppressions)
        {
            _suppressions.Add((ruleId, group, until));
        }
    }

    /// <summary>The de-duplication key of a candidate: rule id and its group values.</summary>
    /// <param name="candidate">The candidate.</param>
    public static string KeyOf(AlertCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return candidate.RuleId + "|" + string.Join("|", candidate.Group.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));
    }

    /// <summary>Processes one candidate. Requires a non-null candidate.</summary>
    /// <param name="candidate">The candidate.</param>
    /// <param name="cancellationToken">Cancels.</param>
    public async Task<(AlertOutcome Outcome, Alert? Alert)> RaiseAsync(AlertCandidate candidate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (candidate.Severity < _policy.MinimumSeverity || IsSuppressed(candidate))
        {
            Interlocked.Increment(ref _suppressed);
            return (AlertOutcome.Suppressed, null);
        }

        var key = KeyOf(candidate);
        Alert alert;
        bool isNew;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_open.TryGetValue(key, out var open))
            {
                open = await _store.FindLatestAsync(key, cancellationToken).ConfigureAwait(false);
            }

            if (open is not null && candidate.Time - open.LastSeen <= _policy.DeduplicationWindow && candidate.Time >= open.FirstSeen - _policy.DeduplicationWindow)
            {
                alert = open with
                {
                    Count = open.Count + 1,
                    LastSeen = candidate.Time > open.LastSeen ? candidate.Time : open.LastSeen,
                    Evidence = open.Evidence.Concat(candidate.Evidence).Distinct(StringComparer.Ordinal).Take(_policy.MaxEvidence).ToArray(),
                };
                isNew = false;
            }
            else
            {
                alert = new Alert
                {
                    Id = Guid.NewGuid().ToString("N"),
                    RuleId = candidate.RuleId,
                    Title = candidate.Title,
                    Severity = candidate.Severity,
                    Kind = candidate.Kind,
                    Node = _node,
                    DeduplicationKey = key,
                    FirstSeen = candidate.Time,
                    LastSeen = candidate.Time,
                    Group = candidate.Group,
                    Evidence = candidate.Evidence.Take(_policy.MaxEvidence).ToArray(),
                    Description = candidate.Description,
                };
                isNew = true;
            }

            await _store.UpsertAsync(alert, cancellationToken).ConfigureAwait(false);
            _open[key] = alert;
            if (_open.Count > 10_000)
            {
                // Forget alerts whose window has passed; the store still finds them.
                foreach (var stale in _open.Where(p => alert.LastSeen - p.Value.LastSeen > _policy.DeduplicationWindow).Select(p => p.Key).ToList())
                {
                    _open.Remove(stale);
                }
            }
        }
        finally
        {
            _gate.Release();
        }

        if (!isNew)
        {
            Interlocked.Increment(ref _deduplicated);
            return (AlertOutcome.Deduplicated, alert);
        }

        Interlocked.Increment(ref _raised);
        foreach (var sink in _sinks)
        {
            try
            {
                await sink.PublishAsync(alert, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Interlocked.Increment(ref _sinkFailures);
            }
        }

        return (AlertOutcome.Raised, alert);
    }

    private bool IsSuppressed(AlertCandidate candidate)
    {
        lock (_suppressions)
        {
            _suppressions.RemoveAll(s => s.Until < candidate.Time && s.Until < DateTimeOffset.UtcNow);
            return _suppressions.Any(s => s.RuleId == candidate.RuleId && candidate.Time <= s.Until
                && (s.Group is null || s.Group.All(p => candidate.Group.TryGetValue(p.Key, out var v) && v == p.Value)));
        }
    }
}
