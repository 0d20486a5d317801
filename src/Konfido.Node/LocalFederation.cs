using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Konfido.Core;
using Konfido.Exchange;
using Konfido.Records;
using Microsoft.Extensions.Logging;

namespace Konfido.Node;

/// <summary>
/// Several nodes of one federation running in this process on loopback, each with its own
/// listeners, credentials and back end, talking real HTTPS with mutual TLS: the demo, benchmarks and
/// end-to-end tests run on it. Created from a folder bootstrapped by <see cref="FederationBootstrap"/>.
/// </summary>
public sealed class LocalFederation : IAsyncDisposable
{
    private readonly Dictionary<string, KonfidoNode> _nodes;

    private LocalFederation(FederationLayout layout, Dictionary<string, KonfidoNode> nodes)
    {
        Layout = layout;
        _nodes = nodes;
    }

    /// <summary>The federation's files.</summary>
    public FederationLayout Layout { get; }

    /// <summary>The nodes by country code.</summary>
    public IReadOnlyDictionary<string, KonfidoNode> Nodes => _nodes;

    /// <summary>The node of <paramref name="country"/>.</summary>
    public KonfidoNode this[string country] => _nodes[country];

    /// <summary>
    /// Bootstraps a federation for <paramref name="countries"/> under <paramref name="directory"/> and
    /// builds (and, unless told otherwise, starts) one node per country.
    /// </summary>
    /// <param name="directory">The federation folder (created if missing; existing records stores are kept).</param>
    /// <param name="countries">Country codes with display names, in order.</param>
    /// <param name="openBackend">Opens each node's national back end from its storage settings.</param>
    /// <param name="events">The security-event sink of each node (by country).</param>
    /// <param name="portBase">Fixed ports (node i: federation portBase+10i, local portBase+10i+1), or null for free ports.</param>
    /// <param name="configure">Adjusts a node's components before it is built (tests inject faults here).</param>
    /// <param name="start">Whether to start the nodes.</param>
    /// <param name="logging">Logging for the nodes (default: warnings to stderr).</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    public static async Task<LocalFederation> StartAsync(
        string directory,
        IReadOnlyList<(string Country, string Name)> countries,
        Func<StorageSettings, string, INationalBackend> openBackend,
        Func<string, ISecurityEventSink> events,
        int? portBase = null,
        Func<NodeComponents, NodeComponents>? configure = null,
        bool start = true,
        Action<ILoggingBuilder>? logging = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(countries);
        ArgumentNullException.ThrowIfNull(openBackend);
        ArgumentNullException.ThrowIfNull(events);
        var ports = portBase is int p
            ? countries.SelectMany((_, i) => new[] { p + 10 * i, p + 10 * i + 1 }).ToArray()
            : FederationBootstrap.FreeLoopbackPorts(countries.Count * 2);
        var plans = countries.Select((c, i) => new NodePlan(c.Country, c.Name, ports[2 * i], ports[2 * i + 1])).ToArray();
        var layout = FederationBootstrap.Create(directory, plans);
        var nodes = new Dictionary<string, KonfidoNode>(StringComparer.OrdinalIgnoreCase);
        var federation = new LocalFederation(layout, nodes);
        try
        {
            foreach (var (country, _) in countries)
            {
                var settings = NodeSettings.Load(layout.ConfigFiles[country]);
                var components = NodeLauncher.Load(settings, openBackend, events(country.ToUpperInvariant()));
                components = configure?.Invoke(components) ?? components;
                nodes[country] = KonfidoNode.Build(components, logging);
            }

            if (start)
            {
                foreach (var node in nodes.Values)
                {
                    await node.StartAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            await federation.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return federation;
    }

    /// <summary>
    /// An HTTPS client for the local API of <paramref name="country"/>'s node, pinning that node's
    /// certificate (as a point-of-care system configured with it would). The caller disposes it.
    /// </summary>
    public HttpClient LocalClient(string country, TimeSpan? timeout = null)
    {
        var node = _nodes[country];
        var self = node.Components.TrustList().Find(country)!;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is X509Certificate2 c && self.AcceptsTlsCertificate(c, DateTimeOffset.UtcNow),
            },
        };
        return new HttpClient(handler) { BaseAddress = node.LocalUri, Timeout = timeout ?? TimeSpan.FromSeconds(60) };
    }

    /// <summary>
    /// Logs <paramref name="personIdentifier"/> in at <paramref name="country"/>'s node through the
    /// full eIDAS flow over HTTPS, as a browser would (AuthnRequest form, the embedded test eIDAS
    /// node, the Response posted to the assertion consumer), and returns a local-API client that
    /// carries the session as a Bearer token. The caller disposes it.
    /// </summary>
    /// <param name="country">The node to log in at (country B).</param>
    /// <param name="personIdentifier">A professional registered there (see <see cref="DemoProfessionals"/>).</param>
    /// <param name="level">The level of assurance to request (<c>low</c>, <c>substantial</c>, <c>high</c>), or null for the node's default.</param>
    /// <param name="cancellationToken">Cancels the login.</param>
    /// <exception cref="InvalidOperationException">The login was refused (the message carries the node's reason).</exception>
    public async Task<HttpClient> LoginAsync(string country, string personIdentifier, string? level = null, CancellationToken cancellationToken = default)
    {
        var client = LocalClient(country);
        try
        {
            await EidLogin.LoginAsync(client, personIdentifier, level, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            await node.DisposeAsync().ConfigureAwait(false);
            if (node.Components.Ledger is { } ledger)
            {
                await ledger.DisposeAsync().ConfigureAwait(false);
            }

            if (node.Components.Backend is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            }
            else if (node.Components.Backend is IDisposable disposable)
            {
                disposable.Dispose();
            }
        }

        _nodes.Clear();
    }
}
