using Konfido.Core;
using Konfido.Exchange;
using Konfido.Siem;
using Konfido.Siem.Alerts;

namespace Konfido.Node;

/// <summary>Where a node's SIEM keeps its alerts, and the key it pseudonymises patients with.</summary>
/// <param name="DataDirectory">The folder of <c>alerts.db</c>.</param>
/// <param name="PseudonymKey">The federation's pseudonymisation key (the same pseudonym in every country's alerts).</param>
public sealed record SiemSource(string DataDirectory, byte[] PseudonymKey);

/// <summary>
/// The node's monitoring: a <see cref="SiemNode"/> with the bundled eHealth rules on the node's own
/// event path, alerts in SQLite under the data folder, and every alert appended to the audit ledger.
/// </summary>
public sealed class NodeSiem : IAsyncDisposable
{
    private readonly Konfido.Siem.Parsing.PatientPseudonymiser _pseudonymiser;

    internal NodeSiem(string country, SiemSource source, ISecurityEventSink? ledger, FederationClient client, Func<TrustList> trustList)
    {
        _pseudonymiser = new Konfido.Siem.Parsing.PatientPseudonymiser(source.PseudonymKey);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(source.PseudonymKey);
        var store = new SqliteAlertStore($"Data Source={Path.Combine(source.DataDirectory, "alerts.db")}");
        IAlertSink[] sinks = [.. new IAlertSink?[] { ledger is null ? null : new LedgerAlertSink(country, ledger), new FederationAlertSink(country, client, trustList) }.OfType<IAlertSink>()];
        Node = new SiemNode(new SiemOptions(country), BundledRules.Load(), store, sinks, _pseudonymiser);
    }

    /// <summary>The monitoring node (an event sink on the node's event path).</summary>
    public SiemNode Node { get; }

    /// <summary>The alerts, newest first.</summary>
    public Task<IReadOnlyList<Alert>> AlertsAsync(DateTimeOffset? since = null, int limit = 100, CancellationToken cancellationToken = default) =>
        Node.Store.ListAsync(since, limit, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync().ConfigureAwait(false);
        _pseudonymiser.Dispose();
    }

    /// <summary>The federation path where members deliver the alerts they share.</summary>
    public const string SharePath = "siem/alerts";

    /// <summary>
    /// Shares each alert (never raw events: the <see cref="SharedAlert"/> wire form carries rule,
    /// severity, counts and pseudonymous evidence references) with every other member over mutual TLS.
    /// </summary>
    private sealed class FederationAlertSink(string country, FederationClient client, Func<TrustList> trustList) : IAlertSink
    {
        public async ValueTask PublishAsync(Alert alert, CancellationToken cancellationToken = default)
        {
            var body = SharedAlert.FromAlert(alert).ToJsonBytes();
            var peers = trustList().Members.Where(m => !string.Equals(m.Country, country, StringComparison.OrdinalIgnoreCase)).ToArray();
            var deliveries = peers.Select(async peer =>
            {
                try
                {
                    var response = await client.PostAsync(peer.Country, SharePath, body, "application/json", cancellationToken).ConfigureAwait(false);
                    return (int)response.Status is >= 200 and < 300 ? null : $"{peer.Country} answered {(int)response.Status}";
                }
                catch (ExchangeException ex)
                {
                    return $"{peer.Country}: {ex.Message}";
                }
            });
            var failures = (await Task.WhenAll(deliveries).ConfigureAwait(false)).OfType<string>().ToArray();
            if (failures.Length > 0)
            {
                // The pipeline counts the failure; the alert itself is stored and in the ledger already.
                throw new InvalidOperationException("alert sharing failed: " + string.Join("; ", failures));
            }
        }
    }

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
