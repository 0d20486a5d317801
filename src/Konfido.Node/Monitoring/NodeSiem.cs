using Konfido.Core;
using Konfido.Exchange;
using Konfido.Siem;
using Konfido.Siem.Alerts;

namespace Konfido.Node;

/// <summary>Where a node's SIEM keeps its alerts, and how it pseudonymises patients.</summary>
/// <param name="DataDirectory">The folder of <c>alerts.db</c>.</param>
/// <param name="Pseudonymiser">Pseudonymises under the federation's key, through custody when the key is in custody (the same pseudonym in every country's alerts); the SIEM disposes it.</param>
public sealed record SiemSource(string DataDirectory, Konfido.Siem.Parsing.PatientPseudonymiser Pseudonymiser);

/// <summary>
/// The node's monitoring: a <see cref="SiemNode"/> with the bundled eHealth rules on the node's own
/// event path, alerts in SQLite under the data folder, and every alert appended to the audit ledger.
/// </summary>
public sealed class NodeSiem : IAsyncDisposable
{
    private readonly Konfido.Siem.Parsing.PatientPseudonymiser _pseudonymiser;
    private readonly AlertOutbox _sharing;

    internal NodeSiem(string country, SiemSource source, ISecurityEventSink? ledger, FederationClient client, Func<TrustList> trustList, IAlertSink? breaches = null)
    {
        _pseudonymiser = source.Pseudonymiser;
        var store = new SqliteAlertStore($"Data Source={Path.Combine(source.DataDirectory, "alerts.db")}");
        _sharing = new AlertOutbox(country, source.DataDirectory, client, trustList);
        IAlertSink[] sinks = [.. new IAlertSink?[] { ledger is null ? null : new LedgerAlertSink(country, ledger), breaches, _sharing }.OfType<IAlertSink>()];
        Node = new SiemNode(new SiemOptions(country), BundledRules.Load(), store, sinks, _pseudonymiser);
    }

    /// <summary>The monitoring node (an event sink on the node's event path).</summary>
    public SiemNode Node { get; }

    /// <summary>Failed attempts to deliver an alert to a peer (each is retried until the peer answers).</summary>
    public long SharingFailures => _sharing.Failures;

    /// <summary>Alert deliveries to peers still waiting in the durable outbox.</summary>
    public long SharingPending => _sharing.Pending;

    /// <summary>Waits until every event accepted so far is evaluated and every resulting alert offered to the peers once (undelivered ones stay in the outbox and are retried).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await Node.DrainAsync(cancellationToken).ConfigureAwait(false);
        await _sharing.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The alerts, newest first.</summary>
    public Task<IReadOnlyList<Alert>> AlertsAsync(DateTimeOffset? since = null, int limit = 100, CancellationToken cancellationToken = default) =>
        Node.Store.ListAsync(since, limit, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync().ConfigureAwait(false);
        await _sharing.DisposeAsync().ConfigureAwait(false);
        _pseudonymiser.Dispose();
    }

    /// <summary>The federation path where members deliver the alerts they share (the <see cref="SharedAlert"/> wire form:
    /// rule, severity, counts and pseudonymous evidence references, never raw events).</summary>
    public const string SharePath = "siem/alerts";

    /// <summary>Appends each alert to the audit ledger as a <c>siem</c> event (never back into the SIEM).</summary>
    private sealed class LedgerAlertSink(string country, ISecurityEventSink ledger) : IAlertSink
    {
        public ValueTask PublishAsync(Alert alert, CancellationToken cancellationToken = default) =>
            ledger.PublishAsync(new SecurityEvent
            {
                Node = country,
                Category = EventCategories.Siem,
                Action = "alert",
                Outcome = EventOutcome.Success,
                Reason = alert.Title,
                Attributes = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["alert.id"] = alert.Id,
                    ["rule.id"] = alert.RuleId,
                    ["severity"] = alert.Severity.ToString().ToLowerInvariant(),
                    ["count"] = alert.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
            }, cancellationToken);
    }
}
