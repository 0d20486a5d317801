using Konfido.Core;
using Konfido.Policy.Consent;
using Konfido.Policy.Decisions;
using Konfido.Policy.Rules;
using YamlDotNet.Serialization;

namespace Konfido.Policy.Tests;

/// <summary>
/// The decision table of the three bundled country policies: hand-written rows for the cases that
/// matter, and the full cross product (roles × transactions × purposes × consent × LoA × requesting
/// country) checked against a naive reference interpreter that reads the raw YAML and scans the
/// rules linearly.
/// </summary>
public sealed class DecisionTableTests
{
    private static readonly ConsentResolution NoConsent = ConsentResolution.Empty;
    private static readonly ConsentResolution Permitted = new(ConsentState.Permitted, ["c-permit"], [], []);
    private static readonly ConsentResolution Refused = new(ConsentState.Denied, ["c-deny"], [], []);

    private static ConsentResolution ConsentOf(string state) => state switch
    {
        "none" => NoConsent,
        "permit" => Permitted,
        "deny" => Refused,
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    [Theory]
    // Denmark: opt-in, break-the-glass for doctors and nurses on the patient summary at substantial+.
    [InlineData("DK", "ES", "doctor", "patient-summary", "TREATMENT", "substantial", "permit", DecisionEffect.Permit, "dk-ps-doctor")]
    [InlineData("DK", "ES", "doctor", "patient-summary", "TREATMENT", "substantial", "none", DecisionEffect.Deny, "dk-ps-doctor")]
    [InlineData("DK", "ES", "doctor", "patient-summary", "EMERGENCY", "substantial", "none", DecisionEffect.PermitWithBreakTheGlass, "dk-btg")]
    [InlineData("DK", "ES", "doctor", "patient-summary", "EMERGENCY", "substantial", "deny", DecisionEffect.Deny, "dk-ps-doctor")]
    [InlineData("DK", "ES", "doctor", "patient-summary", "EMERGENCY", "low", "none", DecisionEffect.Deny, "dk-ps-doctor")]
    [InlineData("DK", "ES", "doctor", "patient-summary", "TREATMENT", "low", "permit", DecisionEffect.Deny, "dk-ps-doctor")]
    [InlineData("DK", "IT", "nurse", "patient-summary", "TREATMENT", "high", "permit", DecisionEffect.Deny, BuiltInRules.DefaultDeny)]
    [InlineData("DK", "IT", "nurse", "patient-summary", "EMERGENCY", "substantial", "permit", DecisionEffect.Deny, "dk-ps-nurse")]
    [InlineData("DK", "IT", "nurse", "patient-summary", "EMERGENCY", "high", "none", DecisionEffect.PermitWithBreakTheGlass, "dk-btg")]
    [InlineData("DK", "ES", "pharmacist", "patient-summary", "EMERGENCY", "high", "none", DecisionEffect.Deny, BuiltInRules.DefaultDeny)]
    [InlineData("DK", "ES", "pharmacist", "eprescription", "TREATMENT", "substantial", "permit", DecisionEffect.Permit, "dk-ep-retrieve")]
    [InlineData("DK", "ES", "pharmacist", "dispensation", "TREATMENT", "substantial", "permit", DecisionEffect.Permit, "dk-dispense")]
    [InlineData("DK", "ES", "doctor", "dispensation", "TREATMENT", "high", "permit", DecisionEffect.Deny, BuiltInRules.DefaultDeny)]
    [InlineData("DK", "ES", "doctor", "eprescription", "EMERGENCY", "high", "permit", DecisionEffect.Deny, BuiltInRules.DefaultDeny)]
    [InlineData("DK", "ES", "pharmacist", "discovery", "TREATMENT", "substantial", "deny", DecisionEffect.Permit, "dk-discovery")]
    [InlineData("DK", "DE", "doctor", "patient-summary", "TREATMENT", "high", "permit", DecisionEffect.Deny, BuiltInRules.RequestingCountry)]
    [InlineData("DK", "DK", "doctor", "patient-summary", "TREATMENT", "high", "permit", DecisionEffect.Deny, BuiltInRules.RequestingCountry)]
    // Spain: opt-out; break-the-glass for doctors at high, overriding a refusal.
    [InlineData("ES", "DK", "doctor", "patient-summary", "TREATMENT", "substantial", "none", DecisionEffect.Permit, "es-ps-clinical")]
    [InlineData("ES", "DK", "nurse", "patient-summary", "TREATMENT", "substantial", "none", DecisionEffect.Permit, "es-ps-clinical")]
    [InlineData("ES", "DK", "doctor", "patient-summary", "TREATMENT", "substantial", "deny", DecisionEffect.Deny, "es-ps-clinical")]
    [InlineData("ES", "DK", "doctor", "patient-summary", "EMERGENCY", "high", "deny", DecisionEffect.PermitWithBreakTheGlass, "es-btg")]
    [InlineData("ES", "DK", "doctor", "patient-summary", "EMERGENCY", "substantial", "deny", DecisionEffect.Deny, "es-ps-clinical")]
    [InlineData("ES", "IT", "nurse", "patient-summary", "EMERGENCY", "high", "deny", DecisionEffect.Deny, "es-ps-clinical")]
    [InlineData("ES", "IT", "doctor", "patient-summary", "EMERGENCY", "high", "none", DecisionEffect.Permit, "es-ps-clinical")]
    [InlineData("ES", "IT", "nurse", "discovery", "EMERGENCY", "low", "deny", DecisionEffect.Permit, "es-discovery")]
    [InlineData("ES", "IT", "pharmacist", "eprescription", "EMERGENCY", "substantial", "none", DecisionEffect.Permit, "es-ep-retrieve")]
    [InlineData("ES", "IT", "pharmacist", "dispensation", "EMERGENCY", "high", "permit", DecisionEffect.Deny, BuiltInRules.DefaultDeny)]
    // Italy: opt-in, TREATMENT only, no break-the-glass.
    [InlineData("IT", "DK", "doctor", "patient-summary", "TREATMENT", "high", "permit", DecisionEffect.Permit, "it-ps-doctor")]
    [InlineData("IT", "DK", "doctor", "patient-summary", "TREATMENT", "substantial", "permit", DecisionEffect.Deny, "it-ps-doctor")]
    [InlineData("IT", "DK", "doctor", "patient-summary", "TREATMENT", "high", "none", DecisionEffect.Deny, "it-ps-doctor")]
    [InlineData("IT", "DK", "doctor", "patient-summary", "EMERGENCY", "high", "none", DecisionEffect.Deny, BuiltInRules.Purpose)]
    [InlineData("IT", "ES", "nurse", "discovery", "TREATMENT", "high", "none", DecisionEffect.Deny, BuiltInRules.DefaultDeny)]
    [InlineData("IT", "ES", "pharmacist", "dispensation", "TREATMENT", "substantial", "permit", DecisionEffect.Permit, "it-ep-pharmacist")]
    [InlineData("IT", "ES", "pharmacist", "eprescription", "TREATMENT", "low", "permit", DecisionEffect.Deny, "it-ep-pharmacist")]
    public void Hand_written_rows(string home, string from, string role, string transaction, string purpose, string loa, string consent, DecisionEffect effect, string ruleId)
    {
        var policy = ExamplePolicies.Load(CountryCode.Parse(home));
        var request = Fixtures.Request(role, purpose, loa, transaction, from, home);
        var decision = AccessPolicyEngine.Evaluate(policy, request, ConsentOf(consent));
        Assert.Equal((effect, ruleId), (decision.Effect, decision.RuleId));
        Assert.NotEmpty(decision.Reasons);
        Assert.Equal(policy.Version, decision.PolicyVersion);
    }

    [Theory]
    [InlineData("DK")]
    [InlineData("ES")]
    [InlineData("IT")]
    public void Every_combination_agrees_with_the_naive_reference(string home)
    {
        var policy = ExamplePolicies.Load(CountryCode.Parse(home));
        var reference = new ReferencePolicy(ExamplePolicies.Text(CountryCode.Parse(home)));
        var count = 0;
        foreach (var from in new[] { "DK", "ES", "IT", "FR" })
        foreach (var role in new[] { "doctor", "nurse", "pharmacist" })
        foreach (var transaction in new[] { "discovery", "patient-summary", "eprescription", "dispensation" })
        foreach (var purpose in new[] { "TREATMENT", "EMERGENCY" })
        foreach (var loa in new[] { "low", "substantial", "high" })
        foreach (var consent in new[] { "none", "permit", "deny" })
        {
            var decision = AccessPolicyEngine.Evaluate(policy, Fixtures.Request(role, purpose, loa, transaction, from, home), ConsentOf(consent));
            var expected = reference.Decide(from, role, transaction, purpose, loa, consent);
            Assert.True(expected == (decision.Effect, decision.RuleId),
                $"{home} {from} {role} {transaction} {purpose} {loa} {consent}: engine {decision.Effect}/{decision.RuleId}, reference {expected}");
            count++;
        }

        Assert.Equal(4 * 3 * 4 * 2 * 3 * 3, count);
    }

    [Fact]
    public void Trc_missing_for_another_patient_or_purpose_is_denied_but_discovery_needs_none()
    {
        var policy = ExamplePolicies.Load(Fixtures.DK);
        AccessDecision Decide(AccessRequestAttributes a) => AccessPolicyEngine.Evaluate(policy, AccessRequest.Create(a).Request!, Permitted);

        Assert.Equal(BuiltInRules.Trc, Decide(Fixtures.Attributes(trc: false)).RuleId);
        var other = Decide(Fixtures.Attributes(trcPatient: "DK-9999"));
        Assert.Equal((DecisionEffect.Deny, BuiltInRules.Trc), (other.Effect, other.RuleId));
        Assert.Contains("another patient", other.Reasons[0], StringComparison.Ordinal);
        var purpose = Decide(Fixtures.Attributes(purpose: "EMERGENCY", trcPurpose: "TREATMENT"));
        Assert.Equal(BuiltInRules.Trc, purpose.RuleId);
        Assert.Equal(DecisionEffect.Permit, Decide(Fixtures.Attributes(transaction: "discovery", trc: false)).Effect);
    }

    [Fact]
    public void A_policy_never_decides_for_another_home_country()
    {
        var decision = AccessPolicyEngine.Evaluate(ExamplePolicies.Load(Fixtures.ES), Fixtures.Request(home: "DK"), Permitted);
        Assert.Equal((DecisionEffect.Deny, BuiltInRules.NoPolicy), (decision.Effect, decision.RuleId));
    }

    [Fact]
    public void Consent_conflicts_and_ignored_consents_are_carried_into_the_reasons()
    {
        var consent = new ConsentResolution(ConsentState.Denied, ["d"], [new ConsentConflict("p", "d", "permit p and deny d overlap")], [new IgnoredConsent("old", "expired at X")]);
        var decision = AccessPolicyEngine.Evaluate(ExamplePolicies.Load(Fixtures.DK), Fixtures.Request(), consent);
        Assert.Equal(DecisionEffect.Deny, decision.Effect);
        Assert.Contains(decision.Reasons, r => r.StartsWith("consent conflict: permit p and deny d", StringComparison.Ordinal));
        Assert.Contains(decision.Reasons, r => r == "consent old ignored: expired at X");
    }

    /// <summary>A deliberately naive reading of a policy file: raw YAML dictionaries, linear scans.</summary>
    private sealed class ReferencePolicy
    {
        private readonly Dictionary<string, object> _raw;

        public ReferencePolicy(string yaml) => _raw = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(yaml);

        private static List<string> Strings(object? value) => value is List<object> list ? list.Select(o => o.ToString()!).ToList() : [];

        private static string Role(string text) => text switch { "221" or "doctor" => "doctor", "222" or "nurse" => "nurse", "2262" or "pharmacist" => "pharmacist", _ => "?" };

        private static int Loa(string text) => text switch { "low" => 0, "substantial" => 1, "high" => 2, _ => throw new ArgumentException(text) };

        public (DecisionEffect, string) Decide(string from, string role, string transaction, string purpose, string loa, string consent)
        {
            if (!Strings(_raw["accepted_requesting_countries"]).Contains(from))
            {
                return (DecisionEffect.Deny, BuiltInRules.RequestingCountry);
            }

            if (!Strings(_raw["accepted_purposes"]).Contains(purpose))
            {
                return (DecisionEffect.Deny, BuiltInRules.Purpose);
            }

            var rule = ((List<object>)_raw["rules"]).Cast<Dictionary<object, object>>().FirstOrDefault(r =>
                Strings(r["transactions"]).Contains(transaction)
                && Strings(r["roles"]).Select(Role).Contains(role)
                && Strings(r["purposes"]).Contains(purpose));
            if (rule is null)
            {
                return (DecisionEffect.Deny, BuiltInRules.DefaultDeny);
            }

            var id = (string)rule["id"];
            if (Loa(loa) < Loa((string)rule["min_loa"]))
            {
                return (DecisionEffect.Deny, id);
            }

            var mode = rule.TryGetValue("consent", out var m) ? (string)m : (string)_raw["consent_model"];
            if (mode == "not-required")
            {
                return (DecisionEffect.Permit, id);
            }

            var btg = _raw.TryGetValue("break_the_glass", out var b) ? (Dictionary<object, object>)b : [];
            var btgOk = purpose == "EMERGENCY"
                && btg.TryGetValue("allowed", out var allowed) && (string)allowed == "true"
                && Strings(btg.GetValueOrDefault("roles")).Select(Role).Contains(role)
                && Strings(btg.GetValueOrDefault("transactions")).Contains(transaction)
                && Loa(loa) >= Loa(btg.TryGetValue("min_loa", out var min) ? (string)min : "high");
            var btgId = btg.TryGetValue("id", out var bid) ? (string)bid : "?";
            var overrides = btg.TryGetValue("overrides_refusal", out var o) && (string)o == "true";
            return consent switch
            {
                "deny" => overrides && btgOk ? (DecisionEffect.PermitWithBreakTheGlass, btgId) : (DecisionEffect.Deny, id),
                "permit" => (DecisionEffect.Permit, id),
                _ when mode == "opt-out" => (DecisionEffect.Permit, id),
                _ when btgOk => (DecisionEffect.PermitWithBreakTheGlass, btgId),
                _ => (DecisionEffect.Deny, id),
            };
        }
    }
}
