using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hl7.Fhir.Model;
using Konfido.Core;
using Konfido.Exchange;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Node.Tests;

/// <summary>
/// Country A's access policy in the node: the patient manages consent with their own eID, the
/// policy decides every transaction with it, and emergency access is flagged and queued for review.
/// </summary>
public sealed class ConsentNodeTests
{
    private static readonly string Summary = $"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(ScriptedBackend.PatientId)}";

    [Fact]
    public async Task The_patient_grants_and_withdraws_consent_with_their_eid_and_the_home_country_obeys()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"], consent: false);
        using var doctor = await federation.ClientAsync("ES");
        using var denied = await doctor.GetAsync(Summary);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("denied by DK policy", await Outcomes.DiagnosticsAsync(denied));

        using var patient = await federation.Federation.LoginAsync("DK", $"DK/DK/{ScriptedBackend.PatientId}");
        using var granted = await patient.PostAsJsonAsync("patient/consent", new { effect = "permit", purposes = new[] { "TREATMENT" }, countries = new[] { "ES" } });
        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        using var permitted = await doctor.GetAsync(Summary);
        Assert.Equal(HttpStatusCode.OK, permitted.StatusCode);

        using var list = JsonDocument.Parse(await patient.GetStringAsync("patient/consent"));
        Assert.Contains(list.RootElement.GetProperty("consents").EnumerateArray(), c => c.GetProperty("active").GetBoolean());

        using var withdrawn = await patient.PostAsync("patient/consent/withdraw", null);
        Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        using var again = await doctor.GetAsync(Summary);
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        var refusal = federation.Events.Events.Last(e => e.Node == "DK" && e.Action == "ips-retrieve");
        Assert.Equal(EventOutcome.Failure, refusal.Outcome);
        Assert.True(refusal.Attributes.ContainsKey("policy.rule"));
        Assert.Equal(DemoProfessionals.SpanishDoctor, refusal.Actor);
    }

    [Fact]
    public async Task A_permitted_transaction_is_audited_once_with_its_rule_and_a_refusal_keeps_its_decision_event()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var doctor = await federation.ClientAsync("ES");
        using (var permitted = await doctor.GetAsync(Summary))
        {
            Assert.Equal(HttpStatusCode.OK, permitted.StatusCode);
        }

        var access = Assert.Single(federation.Events.Events, e => e.Node == "DK" && e.Action == "ips-retrieve");
        Assert.Equal("dk-ps-doctor", access.Attributes["policy.rule"]);
        Assert.DoesNotContain(federation.Events.Events, e => e.Action == "policy-decision");

        using var nurse = await federation.ClientAsync("ES", Konfido.Eid.CrossBorder.HcpRole.Nurse);
        using (var refused = await nurse.GetAsync(Summary))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode); // DK: nurses only in emergencies, at LoA high
        }

        Assert.Contains(federation.Events.Events, e => e.Node == "DK" && e.Action == "policy-decision" && e.Outcome == EventOutcome.Failure);
    }

    [Fact]
    public async Task An_emergency_access_without_consent_is_permitted_flagged_and_queued_for_review()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"], consent: false);
        using var doctor = await federation.ClientAsync("ES");
        doctor.DefaultRequestHeaders.Add("X-Konfido-Purpose-Of-Use", "EMERGENCY");

        using var response = await doctor.GetAsync(Summary);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var access = Assert.Single(federation.Events.Events, e => e.Node == "DK" && e.Action == "ips-retrieve");
        Assert.Equal("EMERGENCY", access.PurposeOfUse);
        Assert.StartsWith("break-the-glass", access.Attributes["flag"]);
        Assert.Equal("PermitWithBreakTheGlass", access.Attributes["policy.effect"]);
        Assert.Single(await federation["DK"].Policy!.Reviews.PendingAsync());
        Assert.Contains(federation.Events.Events, e => e.Node == "DK" && e.Action == "break-the-glass");
    }

    [Fact]
    public async Task A_professional_session_cannot_manage_a_patients_consent_and_a_citizen_cannot_request_cross_border_data()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var doctor = await federation.ClientAsync("DK");
        using var refused = await doctor.PostAsJsonAsync("patient/consent/withdraw", new { });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        using var patient = await federation.Federation.LoginAsync("DK", $"DK/DK/{ScriptedBackend.PatientId}");
        using var crossBorder = await patient.GetAsync($"api/ES/Patient/$summary?identifier={ScriptedBackend.PatientId}");
        Assert.Equal(HttpStatusCode.Forbidden, crossBorder.StatusCode);
    }

    [Fact]
    public async Task A_malformed_consent_request_is_a_clear_400()
    {
        await using var federation = await TestFederation.StartAsync(["DK"]);
        using var patient = await federation.Federation.LoginAsync("DK", $"DK/DK/{ScriptedBackend.PatientId}");
        using var unknownPurpose = await patient.PostAsJsonAsync("patient/consent", new { effect = "permit", purposes = new[] { "MARKETING" } });
        Assert.Equal(HttpStatusCode.BadRequest, unknownPurpose.StatusCode);
        Assert.Contains("MARKETING", await Outcomes.DiagnosticsAsync(unknownPurpose));
        using var notJson = await patient.PostAsync("patient/consent", new StringContent("{effect:", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
    }
}
