using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Konfido.Core;
using Konfido.Exchange;

namespace Konfido.Node.Tests;

public sealed class ExchangeNodeTests
{
    private const string Identifier = "urn:oid:1.2.208.176.1.2|" + ScriptedBackend.PatientId;

    [Fact]
    public async Task A_spanish_professional_discovers_a_danish_patient_over_mutual_tls()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = await federation.ClientAsync("ES");

        using var response = await client.GetAsync($"api/DK/Patient?identifier={Uri.EscapeDataString(Identifier)}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = FhirJson.Parse<Bundle>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, bundle.Total);
        Assert.Equal("Jensen", Assert.IsType<Patient>(bundle.Entry[0].Resource).Name[0].Family);
        Assert.Equal("DK", response.Headers.GetValues("X-Konfido-Signer").Single());
    }

    [Fact]
    public async Task The_patient_summary_arrives_signed_by_the_home_country_end_to_end()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = await federation.ClientAsync("ES");

        using var response = await client.GetAsync($"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(Identifier)}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        var jws = response.Headers.GetValues(FederationProtocol.SignatureHeader).Single();

        // The Spanish client checks Denmark's signature itself, with Denmark's key from the trust list.
        using var dkKey = federation["DK"].Components.TrustList().Find("DK")!.ImportSigningKey();
        Assert.True(DetachedJws.Verify(jws, body, dkKey).IsValid);
        Assert.Equal(Bundle.BundleType.Document, FhirJson.Parse<Bundle>(body).Type);

        // Both sides recorded the exchange.
        var events = federation.Events.Events.Where(e => e.Action == "ips-retrieve").ToArray();
        Assert.Contains(events, e => e.Node == "DK" && e.SourceCountry == "ES" && e.Outcome == EventOutcome.Success && e.PatientId == ScriptedBackend.PatientId);
        Assert.Contains(events, e => e.Node == "ES" && e.TargetCountry == "DK" && e.Outcome == EventOutcome.Success);
    }

    [Fact]
    public async Task A_prescription_is_dispensed_exactly_once()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "IT"]);
        using var client = await federation.ClientAsync("IT");
        var dispense = new MedicationDispense
        {
            Status = MedicationDispense.MedicationDispenseStatusCodes.Completed,
            Medication = new CodeableConcept("http://www.whocc.no/atc", "R03AK06"),
            Subject = new ResourceReference { Identifier = new Identifier("urn:oid:1.2.208.176.1.2", ScriptedBackend.PatientId) },
            AuthorizingPrescription = [new ResourceReference($"MedicationRequest/{ScriptedBackend.PrescriptionId}")],
        };
        var json = FhirJson.Serialize(dispense);

        using var first = await client.PostAsync("api/DK/MedicationDispense", Fhir(json));
        using var second = await client.PostAsync("api/DK/MedicationDispense", Fhir(json));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var outcome = FhirJson.Parse<OperationOutcome>(await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(OperationOutcome.IssueType.Conflict, outcome.Issue[0].Code);
    }

    [Theory]
    // An unknown patient has given no consent: the home country refuses without revealing whether the patient exists.
    [InlineData("api/DK/Patient/$summary?identifier=999999-0000", HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden)]
    [InlineData("api/SE/Patient/$summary?identifier=010170-1234", HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound)]
    [InlineData("api/DKK/Patient/$summary?identifier=010170-1234", HttpStatusCode.BadRequest, OperationOutcome.IssueType.Value)]
    [InlineData("api/DK/Patient/$summary", HttpStatusCode.BadRequest, OperationOutcome.IssueType.Required)]
    [InlineData("api/DK/Patient", HttpStatusCode.BadRequest, OperationOutcome.IssueType.Required)]
    [InlineData("api/DK/Patient?birthdate=yesterday", HttpStatusCode.BadRequest, OperationOutcome.IssueType.Value)]
    [InlineData("api/DK/NoSuchThing", HttpStatusCode.NotFound, OperationOutcome.IssueType.NotSupported)]
    public async Task Bad_requests_get_a_clear_operation_outcome(string url, HttpStatusCode status, OperationOutcome.IssueType code)
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = await federation.ClientAsync("ES");

        using var response = await client.GetAsync(url);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType!.MediaType);
        var outcome = FhirJson.Parse<OperationOutcome>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(code, outcome.Issue[0].Code);
        Assert.False(string.IsNullOrWhiteSpace(outcome.Issue[0].Diagnostics));
        Assert.DoesNotContain(" at ", outcome.Issue[0].Diagnostics, StringComparison.Ordinal); // no stack trace
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{\"resourceType\":\"Patient\"}")]
    public async Task Malformed_fhir_bodies_are_400(string body)
    {
        await using var federation = await TestFederation.StartAsync(["DK", "IT"]);
        using var client = await federation.ClientAsync("IT");

        using var response = await client.PostAsync("api/DK/MedicationDispense", Fhir(Encoding.UTF8.GetBytes(body)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var outcome = FhirJson.Parse<OperationOutcome>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(OperationOutcome.IssueType.Structure, outcome.Issue[0].Code);
    }

    [Fact]
    public async Task Oversized_bodies_are_413()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "IT"]);
        using var client = federation.AnonymousClient("IT");
        var big = new byte[KonfidoNode.MaxRequestBodyBytes + 1];
        big.AsSpan().Fill((byte)' ');

        using var response = await client.PostAsync("api/DK/MedicationDispense", Fhir(big));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var outcome = FhirJson.Parse<OperationOutcome>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(OperationOutcome.IssueType.TooLong, outcome.Issue[0].Code);
    }

    [Fact]
    public async Task A_peer_that_is_down_is_a_502_after_retries()
    {
        var policy = new PeerCallPolicy(TimeSpan.FromSeconds(2), 3, TimeSpan.FromMilliseconds(10));
        await using var federation = await TestFederation.StartAsync(["DK", "ES"], policy, notStarted: ["DK"]);
        using var client = await federation.ClientAsync("ES");

        using var response = await client.GetAsync($"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(Identifier)}");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var outcome = FhirJson.Parse<OperationOutcome>(await response.Content.ReadAsByteArrayAsync());
        Assert.Contains("unreachable", outcome.Issue[0].Diagnostics);
        Assert.Contains("3 attempts", outcome.Issue[0].Diagnostics);
        // The first call to a peer is its attestation: that is what fails, on record at ES.
        Assert.Contains(federation.Events.Events, e => e.Node == "ES" && e.Outcome == EventOutcome.Failure && e.TargetCountry == "DK" && e.Reason!.Contains("unreachable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_slow_peer_is_a_504()
    {
        var policy = new PeerCallPolicy(TimeSpan.FromMilliseconds(300), 2, TimeSpan.FromMilliseconds(10));
        await using var federation = await TestFederation.StartAsync(["DK", "ES"], policy);
        federation.Backends["DK"].Delay = TimeSpan.FromSeconds(3);
        using var client = await federation.ClientAsync("ES");

        using var response = await client.GetAsync($"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(Identifier)}");
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var outcome = FhirJson.Parse<OperationOutcome>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(OperationOutcome.IssueType.Timeout, outcome.Issue[0].Code);
    }

    [Fact]
    public async Task A_client_certificate_not_on_the_trust_list_is_refused_at_the_tls_handshake()
    {
        await using var federation = await TestFederation.StartAsync(["DK"]);
        using var stranger = NodeCredentials.Generate("XX", ["localhost"], TimeSpan.FromDays(1));
        using var client = FederationApiClient(federation["DK"], stranger.TlsCertificate);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"fhir/Patient/$summary?identifier={ScriptedBackend.PatientId}"));
        Assert.NotNull(error);
    }

    [Fact]
    public async Task A_listed_client_certificate_passes_tls_but_releases_nothing_without_assertions()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        var es = federation["ES"].Components.Credentials;
        using var client = FederationApiClient(federation["DK"], es.TlsCertificate);

        using var response = await client.GetAsync($"fhir/Patient/$summary?identifier={ScriptedBackend.PatientId}");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var outcome = FhirJson.Parse<OperationOutcome>(await response.Content.ReadAsByteArrayAsync());
        Assert.Contains("HCP identity assertion is missing", outcome.Issue[0].Diagnostics);
        Assert.Equal(0, federation.Backends["DK"].SummaryReads);
    }

    [Fact]
    public async Task The_federation_api_is_forbidden_without_a_client_certificate()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = federation.AnonymousClient("DK");

        using var response = await client.GetAsync($"fhir/Patient/$summary?identifier={ScriptedBackend.PatientId}");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain(federation.Events.Events, e => e.Action == "ips-retrieve" && e.Outcome == EventOutcome.Success);
    }

    [Fact]
    public async Task A_response_signed_with_a_key_not_on_the_trust_list_is_rejected_by_the_requesting_country()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"], notStarted: ["DK"]);
        // DK runs with the right TLS certificate but a signing key the trust list does not know.
        var dk = federation["DK"].Components;
        using var rogueKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rogueCredentials = new NodeCredentials("DK", X509CertificateLoader.LoadPkcs12(dk.Credentials.TlsCertificate.Export(X509ContentType.Pkcs12, "x"), "x"), ECDsa.Create(rogueKey.ExportParameters(true)));
        await using var rogue = KonfidoNode.Build(dk with { Credentials = rogueCredentials });
        await rogue.StartAsync();
        using var client = await federation.ClientAsync("ES");

        using var response = await client.GetAsync($"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(Identifier)}");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var outcome = FhirJson.Parse<OperationOutcome>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(OperationOutcome.IssueType.Security, outcome.Issue[0].Code);
        Assert.Contains("signature", outcome.Issue[0].Diagnostics);
    }

    [Fact]
    public async Task A_server_certificate_other_than_the_pinned_one_is_refused_by_the_requesting_country()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"], notStarted: ["DK"]);
        var dk = federation["DK"].Components;
        using var impostor = NodeCredentials.Generate("DK", ["localhost", "127.0.0.1"], TimeSpan.FromDays(1));
        await using var rogue = KonfidoNode.Build(dk with { Credentials = impostor });
        await rogue.StartAsync();
        using var client = await federation.ClientAsync("ES");

        using var response = await client.GetAsync($"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(Identifier)}");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var outcome = FhirJson.Parse<OperationOutcome>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(OperationOutcome.IssueType.Security, outcome.Issue[0].Code);
    }

    [Fact]
    public async Task Graceful_shutdown_lets_a_request_in_flight_finish()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = await federation.ClientAsync("ES");
        using (var first = await client.GetAsync($"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(Identifier)}"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode); // DK is attested now; the next request goes straight to it
        }

        federation.Backends["DK"].Delay = TimeSpan.FromMilliseconds(800);
        var inFlight = client.GetAsync($"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(Identifier)}");
        await System.Threading.Tasks.Task.Delay(300);
        await federation["DK"].StopAsync();

        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A raw client of a node's federation API presenting <paramref name="certificate"/> (any server certificate accepted).</summary>
    internal static HttpClient FederationApiClient(KonfidoNode node, X509Certificate2 certificate)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
        };
        return new HttpClient(handler, disposeHandler: true) { BaseAddress = node.FederationUri };
    }

    private static ByteArrayContent Fhir(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/fhir+json");
        return content;
    }
}
