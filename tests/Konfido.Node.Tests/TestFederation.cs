using System.Net.Security;
using Konfido.Core;
using Konfido.Exchange;
using Konfido.Testing;

namespace Konfido.Node.Tests;

/// <summary>
/// Real nodes on loopback with real mutual TLS, built from a bootstrapped federation folder
/// (operator key, credentials, signed trust list, config files) like the demo's.
/// </summary>
internal sealed class TestFederation : IAsyncDisposable
{
    private readonly TemporaryDirectory _directory = new("konfido-node-test");
    private readonly Dictionary<string, KonfidoNode> _nodes = new(StringComparer.OrdinalIgnoreCase);

    public InMemorySecurityEventSink Events { get; } = new();

    public Dictionary<string, ScriptedBackend> Backends { get; } = new(StringComparer.OrdinalIgnoreCase);

    public FederationLayout Layout { get; private set; } = null!;

    public KonfidoNode this[string country] => _nodes[country];

    public static async Task<TestFederation> StartAsync(string[] countries, PeerCallPolicy? policy = null, string[]? notStarted = null)
    {
        var federation = new TestFederation();
        var ports = FederationBootstrap.FreeLoopbackPorts(countries.Length * 2);
        var plans = countries.Select((c, i) => new NodePlan(c, $"{c} NCP", ports[2 * i], ports[2 * i + 1])).ToArray();
        federation.Layout = FederationBootstrap.Create(federation._directory.Path, plans);
        foreach (var country in countries)
        {
            var backend = new ScriptedBackend(country);
            federation.Backends[country] = backend;
            var settings = NodeSettings.Load(federation.Layout.ConfigFiles[country]);
            var components = NodeLauncher.Load(settings, (_, _) => backend, federation.Events);
            if (policy is not null)
            {
                components = components with { PeerPolicy = policy };
            }

            var node = KonfidoNode.Build(components);
            federation._nodes[country] = node;
            if (notStarted is null || !notStarted.Contains(country))
            {
                await node.StartAsync();
            }
        }

        return federation;
    }

    /// <summary>An HTTPS client for a node's local API that pins that node's certificate.</summary>
    public HttpClient LocalClient(string country)
    {
        var node = _nodes[country];
        var pinned = CertificateFingerprint.Sha256(node.Components.Credentials.TlsCertificate);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                    cert is System.Security.Cryptography.X509Certificates.X509Certificate2 c && CertificateFingerprint.Equal(CertificateFingerprint.Sha256(c), pinned),
            },
        };
        return new HttpClient(handler) { BaseAddress = node.LocalUri, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            await node.DisposeAsync();
        }

        _directory.Dispose();
    }
}
