using System.Net;
using System.Security.Cryptography.X509Certificates;
using Konfido.Core;
using Konfido.Eid.CrossBorder;
using Konfido.Exchange;
using Konfido.Records;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Konfido.Node;

/// <summary>Everything a node needs, already loaded and verified.</summary>
/// <param name="Country">The node's country code.</param>
/// <param name="FederationEndpoint">Where the federation API listens (mutual TLS).</param>
/// <param name="LocalEndpoint">Where the local API for the country's professionals listens.</param>
/// <param name="Credentials">TLS certificate and signing key.</param>
/// <param name="TrustList">The current verified trust list (read on every request, so it can be replaced).</param>
/// <param name="Backend">The national back end (the patients this country holds).</param>
/// <param name="Events">Where security events go (ledger, SIEM).</param>
/// <param name="PeerPolicy">Timeouts and retries for calls to other nodes.</param>
/// <param name="Ledger">The node's audit ledger, or null to run without one; when set, every event is also appended to it.</param>
/// <param name="Policy">Country A's access policy and consent registry (file and data folder), or null to decide on the assertions alone.</param>
/// <param name="Siem">The node's monitoring (alerts under its data folder), or null to run without a SIEM.</param>
/// <param name="Custody">The node's key custody (attestation quotes), or null to run unattested (peers then refuse to exchange with it).</param>
/// <param name="Eid">eIDAS login and assertion material, or null: then no professional can log in at this node (it still verifies other countries' assertions).</param>
public sealed record NodeComponents(
    string Country,
    IPEndPoint FederationEndpoint,
    IPEndPoint LocalEndpoint,
    NodeCredentials Credentials,
    Func<TrustList> TrustList,
    INationalBackend Backend,
    ISecurityEventSink Events,
    PeerCallPolicy? PeerPolicy = null,
    NodeLedger? Ledger = null,
    NodeEidMaterial? Eid = null,
    PolicySource? Policy = null,
    SiemSource? Siem = null,
    Custody.IKeyCustody? Custody = null)
{
    /// <summary>The custody key (ECDH P-256) peers seal clinical answers for, or null (then the node can open no sealed answer).
    /// Requires <see cref="Custody"/>.</summary>
    public Custody.CustodyKeyId? PayloadKey { get; init; }
}

/// <summary>Where a node's access policy and consent stores are.</summary>
/// <param name="File">The country's policy file (YAML).</param>
/// <param name="DataDirectory">Where the consent and review databases live.</param>
/// <param name="BreachFile">The breach-classification configuration (JSON), or null for no Art. 33 workflow.</param>
public sealed record PolicySource(string File, string DataDirectory, string? BreachFile = null);

/// <summary>
/// A Konfido national contact point: an ASP.NET Core host with two HTTPS listeners. The federation
/// listener requires a client certificate that the trust list pins to a member country and serves
/// that country's requests for this country's patients (<see cref="HomeCountryService"/>). The local
/// listener serves this country's professionals and routes their requests to the patient's home
/// country (<see cref="CrossBorderGateway"/>). Errors are FHIR OperationOutcomes, never stack traces.
/// </summary>
public sealed class KonfidoNode : IAsyncDisposable
{
    /// <summary>The largest request body accepted on either listener (bytes).</summary>
    public const int MaxRequestBodyBytes = 1024 * 1024;

    private readonly WebApplication _app;
    private readonly FederationClient _federationClient;
    private bool _started;
    private bool _stopped;

    private KonfidoNode(WebApplication app, FederationClient federationClient, NodeComponents components)
    {
        _app = app;
        _federationClient = federationClient;
        Components = components;
    }

    /// <summary>What the node was built from.</summary>
    public NodeComponents Components { get; }

    /// <summary>The country code.</summary>
    public string Country => Components.Country;

    /// <summary>The node's event path (the ledger first, when there is one, then the configured sink): components hosted by the node emit here.</summary>
    public ISecurityEventSink Events { get; private set; } = null!;

    /// <summary>eIDAS login and the sessions of this country's professionals, or null when not configured.</summary>
    public NodeEid? Eid { get; private set; }

    /// <summary>Homomorphic-encryption analytics: computes registered programs over uploaded ciphertexts without any secret key.</summary>
    public Konfido.He.Compiler.Service.HeAnalyticsService Analytics { get; private set; } = null!;

    /// <summary>The node's mHealth devices: PUF enrolment and sessions, uploads to the HE analytics (Devices/).</summary>
    public NodeDevices Devices { get; private set; } = null!;

    /// <summary>The operator web console (<c>/console/</c> on the local listener).</summary>
    public NodeWebConsole WebConsole { get; private set; } = null!;

    /// <summary>The node's own account of its starts, stops, faults and recoveries (events of category <see cref="NodeHealth.Category"/>).</summary>
    public NodeHealth Health { get; private set; } = null!;

    /// <summary>The node's data folder (of the SIEM, policy and console stores), or null when it has none.</summary>
    public string? DataDirectory => Components.Siem?.DataDirectory ?? Components.Policy?.DataDirectory;

    /// <summary>The node's SIEM, or null when not configured.</summary>
    public NodeSiem? Siem { get; private set; }

    /// <summary>Consent, access policy and break-the-glass reviews (country A), or null when not configured.</summary>
    public NodePolicy? Policy { get; private set; }

    /// <summary>The federation API base URL.</summary>
    public Uri FederationUri => new($"https://{Format(Components.FederationEndpoint)}/");

    /// <summary>The local API base URL.</summary>
    public Uri LocalUri => new($"https://{Format(Components.LocalEndpoint)}/");

    /// <summary>Builds a node (not started). Requires components whose endpoints have explicit ports.</summary>
    /// <param name="components">The node's parts.</param>
    /// <param name="logging">Configures logging (defaults: warnings and above to stderr).</param>
    public static KonfidoNode Build(NodeComponents components, Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(components);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = $"konfido-node-{components.Country}",
            EnvironmentName = "Production",
            Args = [],
        });
        builder.Logging.ClearProviders();
        if (logging is null)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }
        else
        {
            logging(builder.Logging);
        }

        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        var credentials = components.Credentials;
        var trustList = components.TrustList;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
            kestrel.Listen(components.FederationEndpoint, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                // Read per handshake: a short-lived certificate is renewed by the credentials when half of it has passed.
                ServerCertificateSelector = (_, _) => credentials.TlsCertificate,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                // Pinning: the client certificate must be one the trust list pins (a member's certificate, or one its pinned TLS issuer signed).
                ClientCertificateValidation = (client, _, _) => trustList().FindByCertificate(client) is not null, // which checks it is valid now
                CheckCertificateRevocation = false,
            }));
            kestrel.Listen(components.LocalEndpoint, listen => listen.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificateSelector = (_, _) => credentials.TlsCertificate }));
        });

        var federationClient = new FederationClient(components.Credentials, components.TrustList, components.PeerPolicy);
        var app = builder.Build();
        var node = new KonfidoNode(app, federationClient, components);
        // Every security event is appended to the node's audit ledger (durably) before anything else sees it, then to the SIEM.
        node.Siem = components.Siem is { } siem
            ? new NodeSiem(components.Country, siem, components.Ledger?.Sink, federationClient, components.TrustList, new BreachAlertSink(() => node.Policy?.Breaches, components.Ledger))
            : null;
        node.WebConsole = new NodeWebConsole(components.Ledger is { } consoleLedger ? consoleLedger.Pseudonymiser.Pseudonymise : null, node.DataDirectory);
        node.Health = new NodeHealth(components.Country, node.DataDirectory, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Konfido.Node.Health"));
        // The node's own events about a failing ledger take the path without it.
        ISecurityEventSink[] rest = [.. new ISecurityEventSink?[] { node.Siem?.Node, components.Events, node.WebConsole.Activity }.OfType<ISecurityEventSink>()];
        ISecurityEventSink withoutLedger = rest.Length == 1 ? rest[0] : new SecurityEventFanOut(rest);
        ISecurityEventSink events = components.Ledger is { } eventLedger ? new SecurityEventFanOut([node.Health.WatchLedger(eventLedger.Sink), .. rest]) : withoutLedger;
        node.Health.Attach(events, withoutLedger);
        var backend = new WatchedBackend(components.Backend, node.Health);
        components.Ledger?.AttachPublisher(federationClient, components.TrustList(), events);
        node.Events = events;
        node.Eid = components.Eid is { } material ? new NodeEid(components.Country, node.LocalUri, material, events) : null;
        var verifier = new CrossBorderAssertionVerifier(CountryCode.Parse(components.Country), new TrustListSigners(components.TrustList), events);
        node.Policy = components.Policy is { } policy ? NodePolicy.Open(components.Country, policy.File, policy.DataDirectory, events, policy.BreachFile) : null;
        var gate = new CrossBorderAccessGate(verifier, components.Eid?.Levels ?? AccessLevels.Default, node.Policy, components.Country);
        var home = new HomeCountryService(backend, components.Credentials, events, gate);
        var gateway = new CrossBorderGateway(components.Country, federationClient, events);
        node.Analytics = new Konfido.He.Compiler.Service.HeAnalyticsService(events, components.Country);
        var attestation = new PeerAttestation(components.Country, federationClient, components.TrustList, events);
        var errors = new NodeErrorResponder(components.Credentials, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Konfido.Node"));
        app.Use(errors.HandleAsync);
        var payloads = components is { Custody: { } custody, PayloadKey: { } payloadKey }
            ? new PayloadGateway(components.Country, new Custody.TrustedTransform(custody), payloadKey, components.TrustList, events)
            : null;
        if (payloads is not null)
        {
            app.Lifetime.ApplicationStopped.Register(payloads.Dispose);
        }

        FederationApi.Map(app, components, home, payloads);
        Ihe.IheNode.Map(app, components, home, events, node.Eid);
        LocalApi.Map(app, node.Eid, gateway, attestation, payloads);
        AttestationApi.Map(app, components);
        if (node.Eid is not null)
        {
            EidApi.Map(app, node.Eid, components.Country, backend);
        }

        if (node.Siem is not null)
        {
            SiemApi.Map(app, components, node.Siem);
        }

        if (node.Policy is not null)
        {
            var reports = components.Ledger is { } nodeLedger ? new AccessReportService(components.Country, nodeLedger, federationClient, components.TrustList) : null;
            PatientApi.Map(app, node.Eid, node.Policy, reports);
        }

        if (components.Ledger is not null)
        {
            LedgerApi.Map(app, components, components.Ledger);
        }

        node.Devices = NodeDevices.Open(components.Country, components.Policy?.DataDirectory ?? components.Siem?.DataDirectory, components.Custody, events, node.Analytics);
        DeviceApi.Map(app, node.Eid, node.Devices, backend);
        node.WebConsole.Devices = new RegisteredDeviceSource(node.Devices, node.WebConsole.Activity);
        node.WebConsole.Map(app, node);
        // 200 while the node can serve; 503 while its own database or ledger fails (peers are not its health: a peer's outage would spread).
        app.MapGet("/health", () =>
        {
            var failing = node.Health.Conditions().Where(c => !c.Healthy && !c.Subject.StartsWith(NodeHealth.PeerPrefix, StringComparison.Ordinal)).Select(c => c.Subject).ToArray();
            var coreDumps = Custody.ProcessHardening.IsDumpable ? "enabled" : "disabled";
            return Results.Json(
                new { country = components.Country, status = failing.Length == 0 ? "ok" : "degraded", failing, coreDumps },
                statusCode: failing.Length == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        return node;
    }

    /// <summary>Starts listening. Requires a node not started before.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_started)
        {
            throw new InvalidOperationException("The node is already started.");
        }

        _started = true;
        if (Siem is not null)
        {
            await Siem.Node.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        Health.Started();
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        Health.WatchPeers(async ct => await WebConsole.Peers.RefreshAsync(ct).ConfigureAwait(false));
        if (Components.Backend is IBackendProbe database)
        {
            Health.WatchDatabase(database.ProbeAsync);
        }

        Components.Ledger?.StartPublishing(_app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Konfido.Node.Ledger"));
    }

    /// <summary>Stops gracefully: stops accepting, lets requests in flight finish (15 s at most).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Components.Ledger is { } ledger)
        {
            await ledger.StopPublishingAsync().ConfigureAwait(false);
        }

        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_started && !_stopped)
        {
            _stopped = true;
            // node-stop on the path, the console's view written, then the run marked as ended cleanly.
            await Health.StoppingAsync().ConfigureAwait(false);
            try
            {
                await WebConsole.Activity.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                // The console's view is not a record; its last events are lost, the stop is still clean.
            }

            Health.MarkCleanStop();
        }
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled, then stops gracefully.</summary>
    public async Task RunUntilCancelledAsync(CancellationToken cancellationToken)
    {
        await StartAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            try
            {
                await StopAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        await Health.DisposeAsync().ConfigureAwait(false);
        if (Siem is not null)
        {
            // Drains the queue: every event accepted is evaluated, and its alerts offered to the peers, before the node goes.
            await Siem.DisposeAsync().ConfigureAwait(false);
        }

        await WebConsole.Activity.DisposeAsync().ConfigureAwait(false);
        _federationClient.Dispose();
        Devices.Dispose();
        Components.Custody?.Dispose();
    }

    private static string Format(IPEndPoint endpoint) =>
        endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.Loopback)
            ? $"127.0.0.1:{endpoint.Port}"
            : endpoint.ToString();
}
