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
    private readonly FederationAlertSink _sharing;

    internal NodeSiem(string country, SiemSource source, ISecurityEventSink? ledger, FederationClient client, Func<TrustList> trustList, IAlertSink? breaches = null)
    {
        _pseudonymiser = new Konfido.Siem.Parsing.PatientPseudonymiser(source.PseudonymKey);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(source.PseudonymKey);
        var store = new SqliteAlertStore($"Data Source={Path.Combine(source.DataDirectory, "alerts.db")}");
        _sharing = new FederationAlertSink(country, client, trustList);
        IAlertSink[] sinks = [.. new IAlertSink?[] { ledger is null ? null : new LedgerAlertSink(country, ledger), breaches, _sharing }.OfType<IAlertSink>()];
        Node = new SiemNode(new SiemOptions(country), BundledRules.Load(), store, sinks, _pseudonymiser);
    }

    /// <summary>The monitoring node (an event sink on the node's event path).</summary>
    public SiemNode Node { get; }

    /// <summary>Alerts that could not be delivered to a peer after retries.</summary>
    public long SharingFailures => _sharing.Failures;

    /// <summary>Waits until every event accepted so far is evaluated and every resulting alert delivered to the peers (or given up).</summary>
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
        await _sharing.CompleteAsync().ConfigureAwait(false);
        _pseudonymiser.Dispose();
    }

    /// <summary>The federation path where members deliver the alerts they share.</summary>
    public const string SharePath = "siem/alerts";

    /// <summary>
    /// Shares each alert (never raw events: the <see cref="SharedAlert"/> wire form carries rule,
    /// severity, counts and pseudonymous evidence references) with every other member over mutual TLS.
    /// Alerts wait in a bounded outbox so that a slow or absent peer never stalls detection; a
    /// delivery that fails is retried a few times, then counted in <see cref="SharingFailures"/>.
    /// </summary>
    private sealed class FederationAlertSink : IAlertSink
    {
        private readonly string _country;
        private readonly FederationClient _client;
        private readonly Func<TrustList> _trustList;
        private readonly System.Threading.Channels.Channel<(SharedAlert Alert, string Peer)> _outbox =
            System.Threading.Channels.Channel.CreateBounded<(SharedAlert, string)>(new System.Threading.Channels.BoundedChannelOptions(10_000) { SingleReader = true });
        private readonly Task _sender;
        private long _pending;
        private long _failures;

        public FederationAlertSink(string country, FederationClient client, Func<TrustList> trustList)
        {
            _country = country;
            _client = client;
            _trustList = trustList;
            _sender = Task.Run(SendAsync);
        }

        public long Failures => Interlocked.Read(ref _failures);

        public async ValueTask PublishAsync(Alert alert, CancellationToken cancellationToken = default)
        {
            var shared = SharedAlert.FromAlert(alert);
            foreach (var peer in _trustList().Members.Where(m => !string.Equals(m.Country, _country, StringComparison.OrdinalIgnoreCase)))
            {
                Interlocked.Increment(ref _pending);
                await _outbox.Writer.WriteAsync((shared, peer.Country), cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>Waits until every alert queued so far was delivered or given up.</summary>
        public async Task FlushAsync(CancellationToken cancellationToken)
        {
            while (Interlocked.Read(ref _pending) > 0)
            {
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }
        }

        public async Task CompleteAsync()
        {
            _outbox.Writer.TryComplete();
            await _sender.ConfigureAwait(false);
        }

        private async Task SendAsync()
        {
            await foreach (var (alert, peer) in _outbox.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                var body = alert.ToJsonBytes();
                var delivered = false;
                for (var attempt = 1; attempt <= 3 && !delivered; attempt++)
                {
                    try
                    {
                        var response = await _client.PostAsync(peer, SharePath, body, "application/json").ConfigureAwait(false);
                        delivered = (int)response.Status is >= 200 and < 300 || (int)response.Status is >= 400 and < 500; // a refusal is final
                    }
                    catch (ExchangeException)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt)).ConfigureAwait(false);
                    }
                    catch (ObjectDisposedException)
                    {
                        break; // the node is shutting down
                    }
                }

                if (!delivered)
                {
                    Interlocked.Increment(ref _failures);
                }

                Interlocked.Decrement(ref _pending);
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
