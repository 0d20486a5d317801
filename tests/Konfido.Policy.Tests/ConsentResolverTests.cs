using Hl7.Fhir.Model;
using Konfido.Core;
using Konfido.Policy.Consent;

namespace Konfido.Policy.Tests;

public sealed class ConsentResolverTests
{
    private static ConsentResolution Resolve(PurposeOfUse purpose, string country, params ConsentTerms[] consents) =>
        ConsentResolver.Resolve(consents, purpose, CountryCode.Parse(country), Fixtures.Now);

    [Fact]
    public void Conflicting_permit_and_deny_resolve_deny_overrides_and_are_reported()
    {
        var permit = Fixtures.Terms("permit-1", ConsentEffect.Permit, [PurposeOfUse.Treatment], ["ES"]);
        var deny = Fixtures.Terms("deny-1", ConsentEffect.Deny, null, ["ES", "IT"]);
        var result = Resolve(PurposeOfUse.Treatment, "ES", permit, deny);

        Assert.Equal(ConsentState.Denied, result.State);
        Assert.Equal(["deny-1"], result.ApplicableIds);
        var conflict = Assert.Single(result.Conflicts);
        Assert.Equal(("permit-1", "deny-1"), (conflict.PermitId, conflict.DenyId));
        Assert.Contains("deny overrides", conflict.Description, StringComparison.Ordinal);

        var standing = ConsentResolver.FindConflicts([permit, deny]);
        Assert.Single(standing);
        Assert.Contains("ES", standing[0].Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Permit_and_deny_for_different_countries_do_not_conflict()
    {
        var permit = Fixtures.Terms("p", ConsentEffect.Permit, null, ["ES"]);
        var deny = Fixtures.Terms("d", ConsentEffect.Deny, null, ["IT"]);
        Assert.Equal(ConsentState.Permitted, Resolve(PurposeOfUse.Treatment, "ES", permit, deny).State);
        Assert.Equal(ConsentState.Denied, Resolve(PurposeOfUse.Treatment, "IT", permit, deny).State);
        Assert.Empty(ConsentResolver.FindConflicts([permit, deny]));
    }

    [Fact]
    public void Permit_and_deny_in_disjoint_periods_do_not_conflict()
    {
        var permit = Fixtures.Terms("p", ConsentEffect.Permit, from: Fixtures.Now.AddYears(-2), until: Fixtures.Now.AddYears(-1));
        var deny = Fixtures.Terms("d", ConsentEffect.Deny, from: Fixtures.Now.AddYears(-1));
        Assert.Empty(ConsentResolver.FindConflicts([permit, deny]));
    }

    [Fact]
    public void Expired_consent_is_ignored_with_a_reason()
    {
        var expired = Fixtures.Terms("old", ConsentEffect.Permit, until: Fixtures.Now.AddDays(-1));
        var result = Resolve(PurposeOfUse.Treatment, "ES", expired);
        Assert.Equal(ConsentState.None, result.State);
        var ignored = Assert.Single(result.Ignored);
        Assert.Equal("old", ignored.ConsentId);
        Assert.StartsWith("expired at 2026-11-22", ignored.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validity_end_is_exclusive_and_start_inclusive()
    {
        var consent = Fixtures.Terms("c", ConsentEffect.Permit, from: Fixtures.Now, until: Fixtures.Now.AddHours(1));
        Assert.Equal(ConsentState.Permitted, ConsentResolver.Resolve([consent], PurposeOfUse.Treatment, Fixtures.ES, Fixtures.Now).State);
        Assert.Equal(ConsentState.None, ConsentResolver.Resolve([consent], PurposeOfUse.Treatment, Fixtures.ES, Fixtures.Now.AddHours(1)).State);
        var early = ConsentResolver.Resolve([consent], PurposeOfUse.Treatment, Fixtures.ES, Fixtures.Now.AddTicks(-1));
        Assert.Equal(ConsentState.None, early.State);
        Assert.StartsWith("not valid before", Assert.Single(early.Ignored).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Inactive_consent_is_history_not_a_decision()
    {
        var withdrawn = Fixtures.Terms("w", ConsentEffect.Permit, active: false);
        var result = Resolve(PurposeOfUse.Treatment, "ES", withdrawn);
        Assert.Equal(ConsentState.None, result.State);
        Assert.Empty(result.Ignored);
    }

    [Fact]
    public void Treat_covers_emergency_but_etreat_does_not_cover_treatment()
    {
        var treat = Fixtures.Terms("t", ConsentEffect.Permit, [PurposeOfUse.Treatment]);
        var etreat = Fixtures.Terms("e", ConsentEffect.Permit, [PurposeOfUse.Emergency]);
        Assert.Equal(ConsentState.Permitted, Resolve(PurposeOfUse.Emergency, "ES", treat).State);
        Assert.Equal(ConsentState.Permitted, Resolve(PurposeOfUse.Emergency, "ES", etreat).State);
        Assert.Equal(ConsentState.None, Resolve(PurposeOfUse.Treatment, "ES", etreat).State);
    }

    [Fact]
    public void Unknown_purpose_code_makes_a_permit_inapplicable_with_the_reason()
    {
        var consent = ConsentDocument.Create(Fixtures.Terms("c", ConsentEffect.Permit, [PurposeOfUse.Treatment]));
        consent.Provision!.Purpose.Add(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HRESCH"));
        var terms = ConsentDocument.Read(consent);
        Assert.Contains(terms.Problems, p => p.Contains("unknown purpose", StringComparison.Ordinal) && p.Contains("HRESCH", StringComparison.Ordinal));

        var result = Resolve(PurposeOfUse.Treatment, "ES", terms);
        Assert.Equal(ConsentState.None, result.State);
        Assert.Contains("HRESCH", Assert.Single(result.Ignored).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_purpose_code_in_a_deny_widens_the_deny_to_every_purpose()
    {
        var consent = ConsentDocument.Create(Fixtures.Terms("d", ConsentEffect.Deny, [PurposeOfUse.Emergency]));
        consent.Provision!.Purpose.Add(new Coding("urn:example", "MARKETING"));
        var terms = ConsentDocument.Read(consent);
        Assert.Null(terms.Purposes);
        Assert.Equal(ConsentState.Denied, Resolve(PurposeOfUse.Treatment, "ES", terms).State);
    }

    [Fact]
    public void Country_restriction_is_read_from_provision_actor()
    {
        var consent = ConsentDocument.Create(Fixtures.Terms("c", ConsentEffect.Permit, null, ["ES"]));
        var actor = Assert.Single(consent.Provision!.Actor);
        Assert.Equal("IRCP", actor.Role!.Coding[0].Code);
        Assert.Equal(ConsentDocument.CountrySystem, actor.Reference!.Identifier!.System);
        var terms = ConsentDocument.Read(consent);
        Assert.Equal(ConsentState.Permitted, Resolve(PurposeOfUse.Treatment, "ES", terms).State);
        Assert.Equal(ConsentState.None, Resolve(PurposeOfUse.Treatment, "IT", terms).State);
    }

    [Fact]
    public void Unsupported_status_makes_a_permit_inapplicable()
    {
        var consent = ConsentDocument.Create(Fixtures.Terms("c", ConsentEffect.Permit));
        consent.Status = Hl7.Fhir.Model.Consent.ConsentState.Proposed;
        var terms = ConsentDocument.Read(consent);
        Assert.NotEmpty(terms.Problems);
        Assert.Equal(ConsentState.None, Resolve(PurposeOfUse.Treatment, "ES", terms).State);
    }

    /// <summary>Property: the resolver agrees with a naive reading of deny-overrides on random consent sets.</summary>
    [Fact]
    public void Resolver_agrees_with_a_naive_reference_on_random_consents()
    {
        var random = new Random(20261123);
        string[] countries = ["DK", "ES", "IT"];
        for (var trial = 0; trial < 2000; trial++)
        {
            var consents = new List<ConsentTerms>();
            for (var i = random.Next(0, 5); i > 0; i--)
            {
                var purposes = random.Next(4) switch { 0 => null, 1 => new[] { PurposeOfUse.Treatment }, 2 => new[] { PurposeOfUse.Emergency }, _ => new[] { PurposeOfUse.Treatment, PurposeOfUse.Emergency } };
                var scope = random.Next(3) == 0 ? null : countries.Where(_ => random.Next(2) == 0).ToArray();
                var from = Fixtures.Now.AddDays(random.Next(-30, 10));
                DateTimeOffset? until = random.Next(2) == 0 ? null : from.AddDays(random.Next(1, 40));
                consents.Add(Fixtures.Terms($"c{i}", random.Next(2) == 0 ? ConsentEffect.Permit : ConsentEffect.Deny, purposes, scope, from, until, active: random.Next(5) != 0));
            }

            var purpose = random.Next(2) == 0 ? PurposeOfUse.Treatment : PurposeOfUse.Emergency;
            var country = countries[random.Next(3)];
            var result = ConsentResolver.Resolve(consents, purpose, CountryCode.Parse(country), Fixtures.Now);

            bool Applies(ConsentTerms c) =>
                c.Active
                && c.ValidFrom <= Fixtures.Now && (c.ValidUntil is null || Fixtures.Now < c.ValidUntil)
                && (c.Countries is null || c.Countries.Any(x => x.Value == country))
                && (c.Purposes is null || c.Purposes.Contains(purpose) || c.Purposes.Contains(PurposeOfUse.Treatment));
            var anyDeny = consents.Any(c => Applies(c) && c.Effect == ConsentEffect.Deny);
            var anyPermit = consents.Any(c => Applies(c) && c.Effect == ConsentEffect.Permit);
            var expected = anyDeny ? ConsentState.Denied : anyPermit ? ConsentState.Permitted : ConsentState.None;
            Assert.Equal(expected, result.State);
            Assert.Equal(anyDeny && anyPermit, result.Conflicts.Count > 0);
        }
    }
}
