using Konfido.Core;
using Konfido.Eid.CrossBorder;
using Konfido.Policy.Consent;
using Konfido.Exchange;
using Konfido.Testing;

namespace Konfido.Node.Tests;

/// <summary>A <see cref="LocalFederation"/> over scripted back ends in a temporary folder.</summary>
internal sealed class TestFederation : IAsyncDisposable
{
    private readonly TemporaryDirectory _directory = new("konfido-node-test");
    private LocalFederation _federation = null!;

    public InMemorySecurityEventSink Events { get; } = new();

    public Dictionary<string, ScriptedBackend> Backends { get; } = new(StringComparer.OrdinalIgnoreCase);

    public FederationLayout Layout => _federation.Layout;

    public KonfidoNode this[string country] => _federation[country];

    /// <summary>Starts the federation; unless <paramref name="consent"/> is false, the test patient consents to every country for every purpose.</summary>
    public static async Task<TestFederation> StartAsync(string[] countries, PeerCallPolicy? policy = null, string[]? notStarted = null, bool consent = true,
        Func<NodeComponents, string, NodeComponents>? configure = null, Action<Microsoft.Extensions.Logging.ILoggingBuilder>? logging = null)
    {
        var test = new TestFederation();
        test._federation = await LocalFederation.StartAsync(
            test._directory.Path,
            countries.Select(c => (c, $"{c} NCP")).ToArray(),
            (_, country) => test.Backends[country] = new ScriptedBackend(country),
            _ => test.Events,
            configure: c => (configure ?? ((x, _) => x))(policy is null ? c : c with { PeerPolicy = policy }, test._directory.Path),
            start: false,
            logging: logging);
        foreach (var country in countries.Where(c => notStarted is null || !notStarted.Contains(c)))
        {
            await test[country].StartAsync();
        }

        if (consent)
        {
            foreach (var country in countries)
            {
                if (test[country].Policy is { } nodePolicy)
                {
                    var granted = await nodePolicy.Consents.GrantAsync(new ConsentGrant(ScriptedBackend.PatientId, ConsentEffect.Permit, [], [], DateTimeOffset.UtcNow.AddMinutes(-5), null));
                    Assert.True(granted.Succeeded, string.Join("; ", granted.Errors));
                }
            }
        }

        return test;
    }

    /// <summary>A local-API client with no session (anonymous).</summary>
    public HttpClient AnonymousClient(string country) => _federation.LocalClient(country);

    /// <summary>A local-API client logged in with eIDAS as <paramref name="role"/> of <paramref name="country"/> (pharmacist in IT, doctor elsewhere by default).</summary>
    public Task<HttpClient> ClientAsync(string country, HcpRole? role = null, string? level = null) =>
        _federation.LoginAsync(country, DemoProfessionals.Identifier(country, role ?? (country == "IT" ? HcpRole.Pharmacist : HcpRole.Doctor)), level);

    /// <summary>The underlying federation.</summary>
    public LocalFederation Federation => _federation;

    public async ValueTask DisposeAsync()
    {
        await _federation.DisposeAsync();
        _directory.Dispose();
    }
}
