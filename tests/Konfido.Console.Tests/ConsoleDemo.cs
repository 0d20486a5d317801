using System.Net;
using System.Text;
using Konfido.Browser.Testing;
using Konfido.Core;
using Konfido.Exchange;
using Konfido.Node;
using Konfido.Records;
using Konfido.Testing;
using Microsoft.Playwright;

namespace Konfido.Console.Tests;

/// <summary>
/// A running demo federation (DK, ES, IT on loopback, real HTTPS with mutual TLS, SQLite back ends
/// with the synthetic patients) after the demo's kind of traffic, and a headless Chromium (Debian's,
/// never a downloaded one) to click through the nodes' consoles. Shared by every test of the collection.
/// </summary>
public sealed class ConsoleDemo : IAsyncLifetime
{
    private readonly TemporaryDirectory _directory = new("konfido-console-test");
    private ConsoleBrowser? _browser;

    public LocalFederation Federation { get; private set; } = null!;

    /// <summary>The browser the tests click through the consoles with.</summary>
    public ConsoleBrowser Browser => _browser ?? throw new InvalidOperationException("the browser is not started");

    /// <summary>The Danish patient of the story.</summary>
    public const string Patient = SyntheticPatients.DemoDanishCopdPatient;

    /// <summary>The patient looked up in an emergency without consent (a break-the-glass review at DK).</summary>
    public string UnconsciousPatient { get; } = SyntheticPatients.For("DK")[1].Patient.NationalId;

    /// <summary>The id of the mass-lookup alert at ES.</summary>
    public string MassLookupAlert { get; private set; } = null!;

    /// <summary>The id of the brute-force alert at ES.</summary>
    public string BruteForceAlert { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Fail, never skip, without the browser: the console is tested in a real one (started first, to fail fast).
        _browser = await ConsoleBrowser.LaunchAsync();
        Federation = await LocalFederation.StartAsync(_directory.Path, [("DK", "Denmark NCP"), ("ES", "Spain NCP"), ("IT", "Italy NCP")],
            (storage, country) => NationalBackendFactory.OpenAsync(storage.Provider, storage.ConnectionString, country).GetAwaiter().GetResult(),
            _ => new InMemorySecurityEventSink());
        await DriveTrafficAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        if (Federation is not null)
        {
            await Federation.DisposeAsync();
        }

        _directory.Dispose();
    }

    /// <summary>Opens <paramref name="country"/>'s console and logs in as <paramref name="person"/> through the node's real eIDAS flow (<see cref="ConsoleBrowser.LoginAsync"/>).</summary>
    public Task<IPage> LoginAsync(string country, string person) => Browser.LoginAsync(Federation[country].LocalUri, person);

    /// <summary>Fails if the page had a script error or refused something under its Content-Security-Policy.</summary>
    public void AssertNoPageErrors(IPage page) => Browser.AssertNoPageErrors(page);

    /// <summary>Saves a full-page screenshot named <paramref name="name"/>.</summary>
    public Task ScreenshotAsync(IPage page, string name) => Browser.ScreenshotAsync(page, name);

    /// <summary>
    /// The story's traffic: a Danish patient's consent; a Spanish doctor finds the patient and
    /// retrieves the summary; an emergency access without consent (break-the-glass, queued for review
    /// at DK); forged eIDAS logins at ES (brute force) and the doctor looking up every Danish patient
    /// (mass lookup: alerts at ES and a breach case with its 72-hour clock); a PUF device and an HE
    /// analytics job at DK; every ledger published, cosigned and gossiped.
    /// </summary>
    private async Task DriveTrafficAsync()
    {
        var system = DanishCpr.System;
        string Token(string id) => Uri.EscapeDataString(FederationProtocol.JoinToken(system, id));
        using (var citizen = await Federation.LoginAsync("DK", $"DK/DK/{Patient}"))
        {
            using var body = new StringContent("""{"effect":"permit","purposes":["TREATMENT"],"countries":["ES","IT"]}""", Encoding.UTF8, "application/json");
            using var granted = await citizen.PostAsync("patient/consent", body);
            Expect(granted.StatusCode == HttpStatusCode.Created, $"consent: {(int)granted.StatusCode}");
        }

        using var doctor = await Federation.LoginAsync("ES", DemoProfessionals.SpanishDoctor);
        using (var found = await doctor.GetAsync($"api/DK/Patient?identifier={Token(Patient)}"))
        {
            Expect(found.IsSuccessStatusCode, $"discovery: {(int)found.StatusCode}");
        }

        using (var summary = await doctor.GetAsync($"api/DK/Patient/$summary?identifier={Token(Patient)}"))
        {
            Expect(summary.IsSuccessStatusCode, $"summary: {(int)summary.StatusCode}");
        }

        using (var emergency = new HttpRequestMessage(HttpMethod.Get, $"api/DK/Patient/$summary?identifier={Token(UnconsciousPatient)}"))
        {
            emergency.Headers.Add("X-Konfido-Purpose-Of-Use", "EMERGENCY");
            using var answer = await doctor.SendAsync(emergency);
            Expect(answer.IsSuccessStatusCode, $"break-the-glass: {(int)answer.StatusCode}");
        }

        // Brute force: forged eIDAS responses for the doctor's account, refused at ES.
        var spain = Federation["ES"];
        var forger = Konfido.Eid.Saml.TestEidasIdentityProvider.CreateEphemeral(CountryCode.Parse("ES"));
        var victim = DemoProfessionals.For("ES").First(p => p.PersonIdentifier == DemoProfessionals.SpanishDoctor).Person;
        using (var attacker = Federation.LocalClient("ES"))
        {
            for (var i = 0; i < 6; i++)
            {
                var request = spain.Eid!.ServiceProvider.CreateAuthnRequest(spain.Eid.IdpSsoUrl);
                var forged = forger.Respond(request, victim, spain.Eid.ServiceProvider.EncryptionCertificate);
                using var form = new FormUrlEncodedContent([new("SAMLResponse", Konfido.Eid.Saml.TestEidasIdentityProvider.ToBase64(forged))]);
                using var refused = await attacker.PostAsync("saml/acs", form);
                Expect(refused.StatusCode == HttpStatusCode.Unauthorized, $"a forged login answered {(int)refused.StatusCode}");
            }
        }

        // Mass lookup: the doctor looks up every Danish patient.
        foreach (var file in SyntheticPatients.For("DK"))
        {
            using var response = await doctor.GetAsync($"api/DK/Patient?identifier={Token(file.Patient.NationalId)}");
        }

        await spain.Siem!.FlushAsync();
        var alerts = await spain.Siem.AlertsAsync();
        BruteForceAlert = alerts.FirstOrDefault(a => a.Title.Contains("Brute-force", StringComparison.OrdinalIgnoreCase))?.Id
            ?? throw new InvalidOperationException("no brute-force alert at ES: " + string.Join("; ", alerts.Select(a => a.Title)));
        MassLookupAlert = alerts.FirstOrDefault(a => a.Title.Contains("many patients", StringComparison.OrdinalIgnoreCase))?.Id
            ?? throw new InvalidOperationException("no mass-lookup alert at ES: " + string.Join("; ", alerts.Select(a => a.Title)));

        // A PUF device (and a clone, refused) and an HE analytics job, at DK.
        var denmark = Federation["DK"];
        var settings = Konfido.Puf.Protocol.PufProtocolSettings.Create(new Konfido.Puf.Protocol.PufProtocolParameters { ChallengePoolSize = 4 });
        var referenceKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var verifier = new Konfido.Puf.Protocol.PufVerifier(settings, new Konfido.Puf.Protocol.InMemoryPufEnrolmentStore(),
            new Konfido.Puf.Protocol.AesGcmReferenceProtector(referenceKey), denmark.Events, "DK");
        var device = await Konfido.Puf.Protocol.DeviceAuthenticationScenario.RunAsync(verifier, settings);
        Expect(device.Ok, $"device scenario: {device.Detail}");
        var he = await Konfido.He.Compiler.Service.HeAnalyticsScenario.RunAsync(denmark.Analytics, denmark.Events, "DK");
        Expect(he.Ok, $"HE scenario: {he.Detail}");

        // Every country publishes a checkpoint cosigned by the others, then gossips it.
        foreach (var node in Federation.Nodes.Values)
        {
            var published = await node.Components.Ledger!.Publisher!.PublishAsync();
            Expect(published.Published, $"{node.Country} ledger not published: {string.Join("; ", published.Refusals)}");
        }

        foreach (var node in Federation.Nodes.Values)
        {
            await node.Components.Ledger!.GossipAsync();
        }
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"the demo traffic did not go as planned: {what}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleDemo>
{
    public const string Name = "console";
}
