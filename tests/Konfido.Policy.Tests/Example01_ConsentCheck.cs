using Konfido.Core;
using Konfido.Policy.Consent;
using Konfido.Policy.Decisions;
using Konfido.Policy.Rules;
using Konfido.Testing;

namespace Konfido.Policy.Tests;

/// <summary>
/// Example 1, the demo's <c>consent-check</c> step as the node runs it: a Danish patient treated in
/// Barcelona. One retrieval permitted by consent, one denied after the patient withdrew consent, one
/// emergency access flagged (break-the-glass) and queued for review.
/// </summary>
public sealed class Example01_ConsentCheck
{
    [Fact]
    public async Task Run()
    {
        using var data = new TemporaryDirectory("konfido-example01");
        var dk = CountryCode.Parse("DK");
        var events = new InMemorySecurityEventSink();           // the node passes its ledger + SIEM fan-out

        // What the node constructs once at start-up.
        var policies = new PolicyRepository(events, dk.Value);
        await ExamplePolicies.LoadAllAsync(policies);            // or LoadDirectoryAsync(config dir)
        var consents = new ConsentRegistry(new SqliteConsentStore($"Data Source={data.File("consent.db")}"), events, dk);
        var reviews = new BreakTheGlassReviewQueue($"Data Source={data.File("policy.db")}", events);
        var pdp = new PolicyDecisionPoint(policies, consents, reviews, events, dk);

        // The patient consents to sharing with Spain for treatment.
        await consents.GrantAsync(new ConsentGrant("DK-1001", ConsentEffect.Permit, ["TREATMENT"], ["ES"], DateTimeOffset.UtcNow.AddDays(-1), null));

        // What the node passes per transaction: the verified HCP assertion and TRC, as strings.
        AccessRequestAttributes Request(string purpose) => new(
            SubjectId: "ES-HCP-4711", Role: "221", Organisation: "Hospital Clinic de Barcelona",
            PurposeOfUse: purpose, LevelOfAssurance: "http://eidas.europa.eu/LoA/substantial",
            Transaction: "patient-summary", RequestingCountry: "ES", HomeCountry: "DK",
            PatientId: "DK-1001", TrcPatientId: "DK-1001", TrcPurposeOfUse: purpose, Time: DateTimeOffset.UtcNow);

        var first = await pdp.DecideAsync(Request("TREATMENT"));
        Assert.Equal(DecisionEffect.Permit, first.Effect);

        await consents.WithdrawAsync("DK-1001");
        var second = await pdp.DecideAsync(Request("TREATMENT"));
        Assert.Equal(DecisionEffect.Deny, second.Effect);

        var emergencyPatient = Request("EMERGENCY") with { PatientId = "DK-2002", TrcPatientId = "DK-2002" };
        var third = await pdp.DecideAsync(emergencyPatient);
        Assert.Equal(DecisionEffect.PermitWithBreakTheGlass, third.Effect);
        Assert.Single(await reviews.PendingAsync());
        Assert.Equal(3, events.Events.Count(e => e.Action == "policy-decision"));
        Assert.Single(events.Events, e => e.Action == "break-the-glass");
    }
}
