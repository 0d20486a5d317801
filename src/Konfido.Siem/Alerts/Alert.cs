using Konfido.Siem.Sigma;

namespace Konfido.Siem.Alerts;

/// <summary>What raised an alert.</summary>
public enum AlertKind
{
    /// <summary>A Sigma detection rule.</summary>
    Rule,

    /// <summary>A Sigma correlation rule.</summary>
    Correlation,

    /// <summary>The access-volume anomaly detector.</summary>
    Anomaly,
}

/// <summary>
/// An alert: severity, the rule that raised it, the evidence (references to the events, never the
/// events themselves, so alerts can be shared across borders) and its de-duplication state.
/// </summary>
public sealed record Alert
{
    /// <summary>A unique id.</summary>
    public required string Id { get; init; }

    /// <summary>The id of the rule (or detector) that raised it.</summary>
    public required string RuleId { get; init; }

    /// <summary>The rule's title.</summary>
    public required string Title { get; init; }

    /// <summary>The severity.</summary>
    public required SigmaLevel Severity { get; init; }

    /// <summary>What raised it.</summary>
    public required AlertKind Kind { get; init; }

    /// <summary>The country code of the node that raised it.</summary>
    public required string Node { get; init; }

    /// <summary>Alerts with the same key within the de-duplication window are merged.</summary>
    public required string DeduplicationKey { get; init; }

    /// <summary>The time of the first occurrence.</summary>
    public required DateTimeOffset FirstSeen { get; init; }

    /// <summary>The time of the last merged occurrence.</summary>
    public required DateTimeOffset LastSeen { get; init; }

    /// <summary>How many occurrences were merged into this alert.</summary>
    public int Count { get; init; } = 1;

    /// <summary>The group (correlation group-by values, or key fields of the event).</summary>
    public IReadOnlyDictionary<string, string?> Group { get; init; } = new Dictionary<string, string?>();

    /// <summary>References to the evidence events (event ids, or stream indexes as text).</summary>
    public IReadOnlyList<string> Evidence { get; init; } = [];

    /// <summary>A short human-readable explanation.</summary>
    public string? Description { get; init; }

    /// <summary>
    /// For an alert raised in another country and shared with this node: the country of the peer
    /// that delivered it (then <see cref="Node"/> is the country of origin). Null for alerts raised here.
    /// </summary>
    public string? ReceivedFrom { get; init; }
}

/// <summary>Receives every new alert: a webhook, the audit ledger, the federation's alert sharing.</summary>
public interface IAlertSink
{
    /// <summary>Hands one new alert over. Requires a non-null alert; throws if it could not be delivered.</summary>
    /// <param name="alert">The alert.</param>
    /// <param name="cancellationToken">Cancels the hand-over.</param>
    ValueTask PublishAsync(Alert alert, CancellationToken cancellationToken = default);
}

/// <summary>Hands every new alert to a callback (e.g. the node's audit ledger or its forwarding to peers).</summary>
/// <param name="callback">Called once per new alert; an exception counts as a failed delivery.</param>
public sealed class CallbackAlertSink(Func<Alert, CancellationToken, ValueTask> callback) : IAlertSink
{
    private readonly Func<Alert, CancellationToken, ValueTask> _callback = callback ?? throw new ArgumentNullException(nameof(callback));

    /// <inheritdoc />
    public ValueTask PublishAsync(Alert alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return _callback(alert, cancellationToken);
    }
}

/// <summary>Keeps alerts. Implementations: <see cref="SqliteAlertStore"/> (default) and <see cref="PostgresAlertStore"/>.</summary>
public interface IAlertStore
{
    /// <summary>Creates the schema if needed.</summary>
    /// <param name="cancellationToken">Cancels.</param>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts the alert, or replaces the stored alert with the same id.</summary>
    /// <param name="alert">The alert.</param>
    /// <param name="cancellationToken">Cancels.</param>
    Task UpsertAsync(Alert alert, CancellationToken cancellationToken = default);

    /// <summary>The alert with <paramref name="id"/>, or null.</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels.</param>
    Task<Alert?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The alert with this de-duplication key that was seen last, or null.</summary>
    /// <param name="deduplicationKey">The key.</param>
    /// <param name="cancellationToken">Cancels.</param>
    Task<Alert?> FindLatestAsync(string deduplicationKey, CancellationToken cancellationToken = default);

    /// <summary>Alerts last seen at or after <paramref name="since"/> (all if null), newest first, at most <paramref name="limit"/>.</summary>
    /// <param name="since">The lower bound on <see cref="Alert.LastSeen"/>.</param>
    /// <param name="limit">The maximum count (positive).</param>
    /// <param name="cancellationToken">Cancels.</param>
    Task<IReadOnlyList<Alert>> ListAsync(DateTimeOffset? since = null, int limit = 100, CancellationToken cancellationToken = default);
}
