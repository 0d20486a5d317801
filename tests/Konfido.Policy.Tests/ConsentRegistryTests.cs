using Konfido.Core;
using Konfido.Policy.Consent;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace Konfido.Policy.Tests;

public sealed class ConsentRegistryTests
{
    private readonly ManualClock _clock = new(Fixtures.Now);
    private readonly InMemorySecurityEventSink _events = new();
    private readonly ConsentRegistry _registry;

    public ConsentRegistryTests() => _registry = new ConsentRegistry(new InMemoryConsentStore(_clock), _events, Fixtures.DK, _clock);

    [Fact]
    public async Task Grant_then_withdraw_keeps_history_and_denies_afterwards()
    {
        var granted = await _registry.GrantAsync(Fixtures.Grant(purposes: ["TREATMENT"], countries: ["ES"]));
        Assert.True(granted.Succeeded);
        Assert.Equal(ConsentState.Permitted, (await _registry.ResolveAsync("DK-0101", PurposeOfUse.Treatment, Fixtures.ES, _clock.Now)).State);

        _clock.Now = Fixtures.Now.AddHours(1);
        var withdrawal = await _registry.WithdrawAsync("DK-0101");
        Assert.True(withdrawal.Succeeded);
        Assert.Equal([granted.Consent!.Id!], withdrawal.Superseded);
        Assert.Equal(FhirConsent.ConsentProvisionType.Deny, withdrawal.Consent!.Provision!.Type);

        var current = await _registry.ListAsync("DK-0101");
        Assert.Equal(2, current.Count);
        Assert.False(current.Single(c => c.Id == granted.Consent!.Id).Active);
        var deny = current.Single(c => c.Effect == ConsentEffect.Deny);
        Assert.True(deny.Active);
        Assert.Equal(new HashSet<CountryCode> { Fixtures.ES }, deny.Countries);

        var history = await _registry.HistoryAsync("DK-0101");
        Assert.Equal(3, history.Count); // permit v1, permit v2 (inactive), deny v1
        Assert.Equal(ConsentState.Denied, (await _registry.ResolveAsync("DK-0101", PurposeOfUse.Treatment, Fixtures.ES, _clock.Now)).State);
        // Before the withdrawal the old permit was in force: history answers "what held then" only through versions.
        Assert.Contains(_events.Events, e => e.Action == "consent-withdraw" && e.PatientId == "DK-0101");
    }

    [Fact]
    public async Task Regranting_after_withdrawal_supersedes_the_deny()
    {
        await _registry.GrantAsync(Fixtures.Grant());
        await _registry.WithdrawAsync("DK-0101");
        _clock.Now = Fixtures.Now.AddDays(1);
        var regrant = await _registry.GrantAsync(Fixtures.Grant(from: _clock.Now));
        Assert.Single(regrant.Superseded);
        var result = await _registry.ResolveAsync("DK-0101", PurposeOfUse.Treatment, Fixtures.ES, _clock.Now);
        Assert.Equal(ConsentState.Permitted, result.State);
        Assert.Empty(result.Conflicts);
    }

    [Fact]
    public async Task Withdraw_without_any_permit_records_a_blanket_deny()
    {
        var withdrawal = await _registry.WithdrawAsync("DK-0101");
        var deny = ConsentDocument.Read(withdrawal.Consent!);
        Assert.Null(deny.Purposes);
        Assert.Null(deny.Countries);
    }

    [Fact]
    public async Task Withdrawing_an_unknown_consent_is_a_failure_result()
    {
        var result = await _registry.WithdrawAsync("DK-0101", "nope");
        Assert.False(result.Succeeded);
        Assert.Contains("nope", Assert.Single(result.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grant_with_unknown_purpose_bad_country_and_empty_period_lists_every_error()
    {
        var result = await _registry.GrantAsync(new ConsentGrant("DK-0101", ConsentEffect.Permit, ["TREATMENT", "RESEARCH"], ["Spain"], Fixtures.Now, Fixtures.Now));
        Assert.False(result.Succeeded);
        Assert.Equal(3, result.Errors.Count);
        Assert.Contains(result.Errors, e => e.Contains("unknown purpose 'RESEARCH'", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("'Spain'", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("period is empty", StringComparison.Ordinal));
        Assert.Empty(await _registry.ListAsync("DK-0101"));
    }

    [Fact]
    public async Task Imported_conflicting_consents_are_kept_and_resolved_deny_overrides()
    {
        await _registry.ImportAsync(ConsentDocument.Create(Fixtures.Terms("nat-permit", ConsentEffect.Permit)));
        await _registry.ImportAsync(ConsentDocument.Create(Fixtures.Terms("nat-deny", ConsentEffect.Deny, [PurposeOfUse.Treatment], ["ES"])));
        var result = await _registry.ResolveAsync("DK-0101", PurposeOfUse.Treatment, Fixtures.ES, Fixtures.Now);
        Assert.Equal(ConsentState.Denied, result.State);
        Assert.Single(result.Conflicts);
        Assert.Single(ConsentResolver.FindConflicts(await _registry.ListAsync("DK-0101")));
    }

    [Fact]
    public async Task A_permit_narrower_than_a_refusal_is_rejected_until_the_refusal_is_lifted()
    {
        var blanket = await _registry.WithdrawAsync("DK-0101"); // no permit yet: refuses everything
        var narrow = await _registry.GrantAsync(Fixtures.Grant(purposes: ["TREATMENT"], countries: ["ES"]));
        Assert.False(narrow.Succeeded);
        Assert.Contains(blanket.Consent!.Id!, Assert.Single(narrow.Errors), StringComparison.Ordinal);
        Assert.Equal(ConsentState.Denied, (await _registry.ResolveAsync("DK-0101", PurposeOfUse.Treatment, Fixtures.ES, Fixtures.Now)).State);

        var lifted = await _registry.LiftRefusalAsync("DK-0101", blanket.Consent.Id!);
        Assert.True(lifted.Succeeded);
        Assert.True((await _registry.GrantAsync(Fixtures.Grant(purposes: ["TREATMENT"], countries: ["ES"]))).Succeeded);
        Assert.Equal(ConsentState.Permitted, (await _registry.ResolveAsync("DK-0101", PurposeOfUse.Treatment, Fixtures.ES, Fixtures.Now)).State);
        Assert.Equal(ConsentState.None, (await _registry.ResolveAsync("DK-0101", PurposeOfUse.Treatment, Fixtures.IT, Fixtures.Now)).State);
        Assert.False((await _registry.LiftRefusalAsync("DK-0101", blanket.Consent.Id!)).Succeeded);
    }

    [Fact]
    public async Task A_deny_narrower_than_a_permit_restricts_it_and_both_stay_active()
    {
        await _registry.GrantAsync(Fixtures.Grant(purposes: [], countries: []));
        var deny = await _registry.GrantAsync(Fixtures.Grant(ConsentEffect.Deny, purposes: [], countries: ["IT"]));
        Assert.Empty(deny.Superseded);
        Assert.Equal(ConsentState.Permitted, (await _registry.ResolveAsync("DK-0101", PurposeOfUse.Treatment, Fixtures.ES, Fixtures.Now)).State);
        Assert.Equal(ConsentState.Denied, (await _registry.ResolveAsync("DK-0101", PurposeOfUse.Emergency, Fixtures.IT, Fixtures.Now)).State);
    }

    [Fact]
    public async Task A_deny_covering_a_permit_supersedes_it()
    {
        var permit = await _registry.GrantAsync(Fixtures.Grant(purposes: ["TREATMENT"], countries: ["ES"]));
        var deny = await _registry.GrantAsync(Fixtures.Grant(ConsentEffect.Deny, purposes: [], countries: []));
        Assert.Equal([permit.Consent!.Id!], deny.Superseded);
        Assert.Empty(ConsentResolver.FindConflicts(await _registry.ListAsync("DK-0101")));
    }

    [Fact]
    public async Task Cached_consents_are_refreshed_when_the_store_is_written_by_someone_else()
    {
        await _registry.GrantAsync(Fixtures.Grant());
        Assert.Equal(ConsentState.Permitted, (await _registry.ResolveAsync("DK-0101", PurposeOfUse.Treatment, Fixtures.ES, Fixtures.Now)).State);
        await _registry.Store.SaveAsync(ConsentDocument.Create(Fixtures.Terms("external-deny", ConsentEffect.Deny)));
        Assert.Equal(ConsentState.Denied, (await _registry.ResolveAsync("DK-0101", PurposeOfUse.Treatment, Fixtures.ES, Fixtures.Now)).State);
    }
}
