using Konfido.Core;
using Konfido.Policy.Consent;
using Konfido.Policy.Decisions;
using Konfido.Policy.Rules;
using Konfido.Testing;

namespace Konfido.Policy.Tests;

/// <summary>The node's scenario: DK is country A, an ES professional asks for a Danish patient's data.</summary>
public sealed class PolicyDecisionPointTests : IDisposable
{
    private readonly TemporaryDirectory _dir = new("konfido-pdp");
    private readonly ManualClock _clock = new(Fixtures.Now);
    private readonly InMemorySecurityEventSink _events = new();
    private readonly ConsentRegistry _consents;
    private readonly BreakTheGlassReviewQueue _reviews;
    private readonly PolicyDecisionPoint _pdp;

    public PolicyDecisionPointTests()
    {
        var policies = new PolicyRepository(_events, "DK");
        ExamplePolicies.LoadAllAsync(policies).GetAwaiter().GetResult();
        _consents = new ConsentRegistry(new SqliteConsentStore($"Data Source={_dir.File("consent.db")}", _clock), _events, Fixtures.DK, _clock);
        _reviews = new BreakTheGlassReviewQueue($"Data Source={_dir.File("policy.db")}", _events, _clock);
        _pdp = new PolicyDecisionPoint(policies, _consents, _reviews, _events, Fixtures.DK);
    }

    private SecurityEvent[] Decisions => _events.Events.Where(e => e.Action == "policy-decision").ToArray();

    [Fact]
    public async Task Consent_permits_then_withdrawal_denies_and_every_decision_is_an_event()
    {
        await _consents.GrantAsync(Fixtures.Grant(purposes: ["TREATMENT"], countries: ["ES"]));
        var permitted = await _pdp.DecideAsync(Fixtures.Attributes());
        Assert.Equal((DecisionEffect.Permit, "dk-ps-doctor"), (permitted.Effect, permitted.RuleId));

        _clock.Now = Fixtures.Now.AddMinutes(5);
        await _consents.WithdrawAsync("DK-0101");
        var denied = await _pdp.DecideAsync(Fixtures.Attributes() with { Time = _clock.Now });
        Assert.Equal((DecisionEffect.Deny, "dk-ps-doctor"), (denied.Effect, denied.RuleId));
        Assert.Contains("refused", denied.Reasons[0], StringComparison.Ordinal);

        var events = Decisions;
        Assert.Equal(2, events.Length);
        Assert.All(events, e => Assert.Equal(EventCategories.Policy, e.Category));
        Assert.Equal([EventOutcome.Success, EventOutcome.Failure], events.Select(e => e.Outcome));
        Assert.Equal("dk-ps-doctor", events[1].Attributes["rule.id"]);
        Assert.Equal("deny", events[1].Attributes["decision.effect"]);
        Assert.Equal("221", events[1].ActorRole);
        Assert.Equal(("ES", "DK", "DK-0101"), (events[1].SourceCountry, events[1].TargetCountry, events[1].PatientId));
        Assert.Equal(denied.Reasons[0], events[1].Reason);
    }

    [Fact]
    public async Task Emergency_without_consent_breaks_the_glass_flagged_reported_and_queued()
    {
        var decision = await _pdp.DecideAsync(Fixtures.Attributes(purpose: "EMERGENCY"));
        Assert.Equal(DecisionEffect.PermitWithBreakTheGlass, decision.Effect);
        Assert.True(decision.IsBreakTheGlass);
        Assert.Equal("dk-btg", decision.RuleId);

        var btg = Assert.Single(_events.Events, e => e.Action == "break-the-glass");
        Assert.Equal(EventCategories.Policy, btg.Category);
        Assert.Equal("true", btg.Attributes["break_the_glass"]);
        var pending = Assert.Single(await _reviews.PendingAsync());
        Assert.Equal(btg.Attributes["review.id"], pending.Id);
        Assert.Equal(("hcp-1", "DK-0101", "patient-summary", "ES"), (pending.SubjectId, pending.PatientId, pending.Transaction, pending.RequestingCountry));
        Assert.Equal(ReviewStatus.Pending, pending.Status);

        var (reviewed, failure) = await _reviews.ReviewAsync(pending.Id, "dpo@sundhed.dk", ReviewVerdict.Unjustified, "no emergency recorded at the hospital");
        Assert.Null(failure);
        Assert.Equal((ReviewStatus.Reviewed, "dpo@sundhed.dk", ReviewVerdict.Unjustified), (reviewed!.Status, reviewed.Reviewer, reviewed.Verdict));
        Assert.Empty(await _reviews.PendingAsync());
        var again = await _reviews.ReviewAsync(pending.Id, "someone", ReviewVerdict.Justified, null);
        Assert.Contains("already reviewed", again.Failure, StringComparison.Ordinal);
        var reviewEvent = Assert.Single(_events.Events, e => e.Action == "break-the-glass-review");
        Assert.Equal(EventOutcome.Failure, reviewEvent.Outcome);

        // The queue is persistent: a new instance over the same database sees the reviewed entry.
        var reopened = new BreakTheGlassReviewQueue($"Data Source={_dir.File("policy.db")}");
        var stored = Assert.Single(await reopened.AllAsync());
        Assert.Equal("no emergency recorded at the hospital", stored.Note);
    }

    [Fact]
    public async Task Emergency_without_consent_is_denied_where_the_home_country_has_no_break_the_glass()
    {
        var decision = await _pdp.DecideAsync(Fixtures.Attributes(role: "pharmacist", transaction: "eprescription", purpose: "EMERGENCY"));
        Assert.Equal(DecisionEffect.Deny, decision.Effect);
        Assert.Empty(await _reviews.PendingAsync());
        Assert.DoesNotContain(_events.Events, e => e.Action == "break-the-glass");
    }

    [Fact]
    public async Task Unknown_purpose_in_the_assertion_is_denied_with_an_event()
    {
        var decision = await _pdp.DecideAsync(Fixtures.Attributes(purpose: "RESEARCH", trcPurpose: "TREATMENT"));
        Assert.Equal((DecisionEffect.Deny, BuiltInRules.InvalidRequest), (decision.Effect, decision.RuleId));
        Assert.Contains(decision.Reasons, r => r.Contains("unknown purpose of use 'RESEARCH'", StringComparison.Ordinal));
        var e = Assert.Single(Decisions);
        Assert.Equal(EventOutcome.Failure, e.Outcome);
        Assert.Equal(BuiltInRules.InvalidRequest, e.Attributes["rule.id"]);
    }

    [Fact]
    public async Task Conflicting_consents_deny_and_the_conflict_is_in_the_event()
    {
        await _consents.ImportAsync(ConsentDocument.Create(Fixtures.Terms("p", ConsentEffect.Permit)));
        await _consents.ImportAsync(ConsentDocument.Create(Fixtures.Terms("d", ConsentEffect.Deny, [PurposeOfUse.Treatment])));
        var decision = await _pdp.DecideAsync(Fixtures.Attributes());
        Assert.Equal(DecisionEffect.Deny, decision.Effect);
        Assert.Contains(decision.Reasons, r => r.StartsWith("consent conflict", StringComparison.Ordinal));
        Assert.Equal("1", Decisions[0].Attributes["consent.conflicts"]);
    }

    [Fact]
    public async Task Expired_consent_is_ignored_and_the_reason_is_reported()
    {
        await _consents.GrantAsync(Fixtures.Grant(from: Fixtures.Now.AddYears(-2), until: Fixtures.Now.AddYears(-1)));
        var decision = await _pdp.DecideAsync(Fixtures.Attributes());
        Assert.Equal(DecisionEffect.Deny, decision.Effect);
        Assert.Contains(decision.Reasons, r => r.Contains("ignored: expired at 2025-11-23", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_home_country_without_policy_is_denied()
    {
        var decision = await _pdp.DecideAsync(Fixtures.Attributes(home: "FR"));
        Assert.Equal((DecisionEffect.Deny, BuiltInRules.NoPolicy), (decision.Effect, decision.RuleId));
    }

    public void Dispose() => _dir.Dispose();
}
