using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Hl7.Fhir.Model;
using Konfido.Core;
using Konfido.Eid.CrossBorder;
using Konfido.Eid.Saml;
using Konfido.Exchange;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Node.Tests;

/// <summary>
/// eIDAS login at country B and the cross-border assertions country A checks on every transaction,
/// end to end over the nodes' HTTPS listeners.
/// </summary>
public sealed class EidNodeTests
{
    private static readonly string Summary = $"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(ScriptedBackend.PatientId)}";

    [Fact]
    public async Task A_professional_logs_in_with_eidas_and_the_home_country_records_who_asked()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = await federation.ClientAsync("ES");

        using var session = JsonDocument.Parse(await client.GetStringAsync("eid/session"));
        var professional = session.RootElement.GetProperty("professional");
        Assert.Equal(DemoProfessionals.SpanishDoctor, professional.GetProperty("id").GetString());
        Assert.Equal("221", professional.GetProperty("isco").GetString());
        Assert.Equal("substantial", professional.GetProperty("loa").GetString());

        using var response = await client.GetAsync(Summary);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var home = Assert.Single(federation.Events.Events, e => e.Node == "DK" && e.Action == "ips-retrieve");
        Assert.Equal(EventOutcome.Success, home.Outcome);
        Assert.Equal(DemoProfessionals.SpanishDoctor, home.Actor);
        Assert.Equal("221", home.ActorRole);
        Assert.Equal("Hospital Clínic de Barcelona", home.Organisation);
        Assert.Equal("TREATMENT", home.PurposeOfUse);
        Assert.True(home.Attributes.ContainsKey("trc.assertion"));
        Assert.Contains(federation.Events.Events, e => e.Node == "ES" && e.Action == "eid-login" && e.Outcome == EventOutcome.Success);
    }

    [Fact]
    public async Task One_trc_confirms_the_treatment_relationship_for_repeated_requests_and_each_purpose_gets_its_own()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = await federation.ClientAsync("ES");
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.GetAsync(Summary);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        client.DefaultRequestHeaders.Add("X-Konfido-Purpose-Of-Use", "EMERGENCY");
        using (var emergency = await client.GetAsync(Summary))
        {
            Assert.Equal(HttpStatusCode.OK, emergency.StatusCode);
        }

        var trcs = federation.Events.Events.Where(e => e.Node == "DK" && e.Action == "ips-retrieve").Select(e => e.Attributes["trc.assertion"]).ToArray();
        Assert.Equal(3, trcs.Length);
        Assert.Equal(trcs[0], trcs[1]);
        Assert.NotEqual(trcs[0], trcs[2]);
    }

    [Fact]
    public async Task Without_a_session_the_local_api_is_401_and_nothing_is_asked_of_the_home_country()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = federation.AnonymousClient("ES");

        using var response = await client.GetAsync(Summary);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("log in with eID", await Outcomes.DiagnosticsAsync(response));
        Assert.Equal(0, federation.Backends["DK"].SummaryReads);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-session");
        using var forged = await client.GetAsync(Summary);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
    }

    [Fact]
    public async Task A_logout_ends_the_session()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = await federation.ClientAsync("ES");

        using var logout = await client.PostAsync("eid/logout", null);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        using var response = await client.GetAsync(Summary);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_login_at_a_level_below_the_home_countrys_requirement_is_refused_there()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = await federation.ClientAsync("ES", level: "low");

        using var response = await client.GetAsync(Summary);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("level of assurance", await Outcomes.DiagnosticsAsync(response), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, federation.Backends["DK"].SummaryReads);
    }

    [Fact]
    public async Task A_nurse_may_not_dispense_because_her_assertion_lacks_the_permission()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var nurse = await federation.ClientAsync("ES", HcpRole.Nurse);

        var dispense = Records.EDispensation.Create(ScriptedBackend.PrescriptionId, ScriptedBackend.PatientId, "urn:oid:1.2.208.176.1.2", "ES",
            "Hospital Clínic", DateTimeOffset.UtcNow, 1, "pack");
        dispense.Medication = new CodeableConcept("http://www.whocc.no/atc", "R03AK06", "salmeterol and fluticasone");
        using var content = new ByteArrayContent(FhirJson.Serialize(dispense));
        content.Headers.ContentType = new MediaTypeHeaderValue(FhirJson.MediaType);
        using var refused = await nurse.PostAsync("api/DK/MedicationDispense", content);
        var reason = await Outcomes.DiagnosticsAsync(refused);
        Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{(int)refused.StatusCode}: {reason}");
        Assert.Contains("Dispensation", reason);
    }

    [Fact]
    public async Task An_emergency_request_carries_its_purpose_of_use_to_the_home_country()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = await federation.ClientAsync("ES");
        client.DefaultRequestHeaders.Add("X-Konfido-Purpose-Of-Use", "EMERGENCY");

        using var response = await client.GetAsync(Summary);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(federation.Events.Events, e => e.Node == "DK" && e.Action == "ips-retrieve" && e.PurposeOfUse == "EMERGENCY");

        client.DefaultRequestHeaders.Remove("X-Konfido-Purpose-Of-Use");
        client.DefaultRequestHeaders.Add("X-Konfido-Purpose-Of-Use", "CURIOSITY");
        using var bad = await client.GetAsync(Summary);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task A_trc_for_another_patient_is_refused_by_the_home_country()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        var (hcp, identity) = IssueHcp(federation["ES"]);
        var trc = federation["ES"].Eid!.Issuer.IssueTrc(hcp, identity, "999999-0000", PurposeOfUse.Treatment);

        using var response = await CallHomeAsync(federation, hcp.ToHeaderValue(), trc.ToHeaderValue());
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("patient", await Outcomes.DiagnosticsAsync(response));
        Assert.Equal(0, federation.Backends["DK"].SummaryReads);
    }

    [Fact]
    public async Task Assertions_signed_by_a_key_the_trust_list_does_not_give_the_caller_are_refused()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        // DK's own assertion key is on the trust list, but for DK: it cannot speak for ES's professionals.
        var foreign = federation["DK"].Eid!.Issuer;
        var identity = HcpIdentity.Create(DemoProfessionals.SpanishDoctor, "Dra. Lucía García", HcpRole.Doctor, "Hospital Clínic de Barcelona",
            "urn:oid:2.16.724.4.8.10.200.10", HealthcareFacilityType.Hospital, "Barcelona", PurposeOfUse.Treatment);
        var hcp = foreign.IssueHcp(identity);
        var trc = foreign.IssueTrc(hcp, identity, ScriptedBackend.PatientId, PurposeOfUse.Treatment);

        using var response = await CallHomeAsync(federation, hcp.ToHeaderValue(), trc.ToHeaderValue());
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(federation.Events.Events, e => e.Node == "DK" && e.Action == "assertion-verify" && e.Outcome == EventOutcome.Failure);
    }

    [Fact]
    public async Task Valid_assertions_sent_directly_by_the_listed_peer_are_accepted()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        var (hcp, identity) = IssueHcp(federation["ES"]);
        var trc = federation["ES"].Eid!.Issuer.IssueTrc(hcp, identity, ScriptedBackend.PatientId, PurposeOfUse.Treatment);

        using var response = await CallHomeAsync(federation, hcp.ToHeaderValue(), trc.ToHeaderValue());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, federation.Backends["DK"].SummaryReads);
    }

    [Fact]
    public async Task A_forged_saml_response_is_refused_at_the_assertion_consumer()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = federation.AnonymousClient("ES");
        var forger = TestEidasIdentityProvider.CreateEphemeral(CountryCode.Parse("ES"));
        var login = federation["ES"].Eid!.ServiceProvider.CreateAuthnRequest(federation["ES"].Eid!.IdpSsoUrl);
        var forged = forger.Respond(login, DemoProfessionals.For("ES")[0].Person, federation["ES"].Eid!.ServiceProvider.EncryptionCertificate);

        using var response = await client.PostAsync("saml/acs", new FormUrlEncodedContent([new("SAMLResponse", TestEidasIdentityProvider.ToBase64(forged))]));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("eIDAS login refused", await Outcomes.DiagnosticsAsync(response));
        Assert.Contains(federation.Events.Events, e => e.Node == "ES" && e.Action == "eid-login" && e.Outcome == EventOutcome.Failure);
    }

    [Fact]
    public async Task The_embedded_eidas_node_shows_its_test_identities_when_none_is_chosen()
    {
        await using var federation = await TestFederation.StartAsync(["ES"]);
        using var client = federation.AnonymousClient("ES");
        var login = await client.GetStringAsync("eid/login?loa=high");
        Assert.Contains("SAMLRequest", login);
        var samlRequest = System.Text.RegularExpressions.Regex.Match(login, "name=\"SAMLRequest\" value=\"([^\"]+)\"").Groups[1].Value;

        using var chooser = await client.PostAsync("eidas/sso", new FormUrlEncodedContent([new("SAMLRequest", System.Net.WebUtility.HtmlDecode(samlRequest))]));
        var page = await chooser.Content.ReadAsStringAsync();
        Assert.Contains(DemoProfessionals.SpanishDoctor, page);
        Assert.Contains("<select name=\"person\">", page);
    }

    private static (IssuedAssertion Hcp, HcpIdentity Identity) IssueHcp(KonfidoNode node)
    {
        var identity = HcpIdentity.Create(DemoProfessionals.SpanishDoctor, "Dra. Lucía García", HcpRole.Doctor, "Hospital Clínic de Barcelona",
            "urn:oid:2.16.724.4.8.10.200.10", HealthcareFacilityType.Hospital, "Barcelona", PurposeOfUse.Treatment);
        return (node.Eid!.Issuer.IssueHcp(identity), identity);
    }

    private static async Task<HttpResponseMessage> CallHomeAsync(TestFederation federation, string hcp, string trc)
    {
        using var client = ExchangeNodeTests.FederationApiClient(federation["DK"], federation["ES"].Components.Credentials.TlsCertificate);
        client.DefaultRequestHeaders.Add(FederationProtocol.HcpAssertionHeader, hcp);
        client.DefaultRequestHeaders.Add(FederationProtocol.TrcAssertionHeader, trc);
        return await client.GetAsync($"fhir/Patient/$summary?identifier={ScriptedBackend.PatientId}");
    }
}
