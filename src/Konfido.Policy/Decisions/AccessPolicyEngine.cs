using Konfido.Policy.Consent;
using Konfido.Policy.Rules;

namespace Konfido.Policy.Decisions;

/// <summary>
/// The attribute-based decision function: a pure, allocation-light evaluation of one request
/// against the home country's compiled policy and the patient's resolved consent.
/// </summary>
/// <remarks>
/// Order of checks (the first that fails decides, and its rule id is reported):
/// <list type="number">
/// <item>the policy is the home country's;</item>
/// <item>the requesting country is accepted;</item>
/// <item>the purpose of use is accepted;</item>
/// <item>if the policy requires it, a TRC names the same patient and purpose (all transactions but discovery);</item>
/// <item>a rule lets the role perform the transaction for the purpose (none: default deny);</item>
/// <item>the level of assurance reaches the rule's minimum;</item>
/// <item>consent, as the rule's consent model says: a refusal denies (unless break-the-glass
/// overrides refusals); a permit permits; no consent permits under opt-out, and under opt-in
/// denies except for an EMERGENCY that the break-the-glass rule allows for this role,
/// transaction and level of assurance.</item>
/// </list>
/// </remarks>
public static class AccessPolicyEngine
{
    /// <summary>Decides <paramref name="request"/>. Requires non-null arguments.</summary>
    /// <param name="policy">The home country's policy.</param>
    /// <param name="request">The validated request.</param>
    /// <param name="consent">The patient's consents resolved for the request's purpose, requesting country and time.</param>
    public static AccessDecision Evaluate(CountryPolicy policy, AccessRequest request, ConsentResolution consent)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(consent);

        if (policy.Country != request.HomeCountry)
        {
            return Deny(BuiltInRules.NoPolicy, $"the policy of {policy.Country} cannot decide a request for {request.HomeCountry}");
        }

        if (!policy.AcceptsRequestingCountry(request.RequestingCountry))
        {
            return Deny(BuiltInRules.RequestingCountry, $"{policy.Country} does not accept requests from {request.RequestingCountry}");
        }

        if (!policy.AcceptsPurpose(request.Purpose))
        {
            return Deny(BuiltInRules.Purpose, $"{policy.Country} does not accept purpose of use {PolicyVocabulary.Format(request.Purpose)}");
        }

        if (policy.RequireTrc && request.Transaction != TransactionType.Discovery)
        {
            if (request.Trc is not { } trc)
            {
                return Deny(BuiltInRules.Trc, "no treatment-relationship confirmation was presented");
            }

            if (!string.Equals(trc.PatientId, request.PatientId, StringComparison.Ordinal))
            {
                return Deny(BuiltInRules.Trc, "the treatment-relationship confirmation names another patient");
            }

            if (trc.Purpose != request.Purpose)
            {
                return Deny(BuiltInRules.Trc, $"the treatment-relationship confirmation is for {PolicyVocabulary.Format(trc.Purpose)}, not {PolicyVocabulary.Format(request.Purpose)}");
            }
        }

        var rule = policy.FindRule(request.Transaction, request.Role, request.Purpose);
        if (rule is null)
        {
            return Deny(BuiltInRules.DefaultDeny,
                $"no rule of {policy.Country} lets a {PolicyVocabulary.Format(request.Role)} perform {PolicyVocabulary.Format(request.Transaction)} for {PolicyVocabulary.Format(request.Purpose)}");
        }

        if (request.Loa < rule.MinimumLoa)
        {
            return Deny(rule.Id, $"level of assurance {PolicyVocabulary.Format(request.Loa)} is below the minimum {PolicyVocabulary.Format(rule.MinimumLoa)} of rule {rule.Id}");
        }

        if (rule.Consent == ConsentModel.NotRequired)
        {
            return Decide(DecisionEffect.Permit, rule.Id, $"rule {rule.Id} allows {PolicyVocabulary.Format(request.Transaction)} without consent");
        }

        switch (consent.State)
        {
            case ConsentState.Denied:
                if (policy.BreakTheGlass.OverridesRefusal && CanBreakTheGlass(policy, request))
                {
                    return Decide(DecisionEffect.PermitWithBreakTheGlass, policy.BreakTheGlass.Id,
                        $"EMERGENCY access overriding the patient's refusal ({string.Join(",", consent.ApplicableIds)}) under break-the-glass rule {policy.BreakTheGlass.Id}");
                }

                return Decide(DecisionEffect.Deny, rule.Id, $"the patient refused cross-border access (consent {string.Join(",", consent.ApplicableIds)})");

            case ConsentState.Permitted:
                return Decide(DecisionEffect.Permit, rule.Id, $"rule {rule.Id} and the patient's consent ({string.Join(",", consent.ApplicableIds)}) permit access");

            default:
                if (rule.Consent == ConsentModel.OptOut)
                {
                    return Decide(DecisionEffect.Permit, rule.Id, $"rule {rule.Id} permits access: {policy.Country} is opt-out and the patient has not refused");
                }

                if (CanBreakTheGlass(policy, request))
                {
                    return Decide(DecisionEffect.PermitWithBreakTheGlass, policy.BreakTheGlass.Id,
                        $"EMERGENCY access without consent under break-the-glass rule {policy.BreakTheGlass.Id}; flagged for review");
                }

                return Decide(DecisionEffect.Deny, rule.Id, request.Purpose == PurposeOfUse.Emergency
                    ? $"no consent on record ({policy.Country} is opt-in) and break-the-glass is not allowed for a {PolicyVocabulary.Format(request.Role)} at level {PolicyVocabulary.Format(request.Loa)} performing {PolicyVocabulary.Format(request.Transaction)}"
                    : $"no consent on record and {policy.Country} is opt-in");
        }

        AccessDecision Deny(string ruleId, string reason) => new(DecisionEffect.Deny, ruleId, [reason], policy.Version, consent);

        AccessDecision Decide(DecisionEffect effect, string ruleId, string reason)
        {
            if (consent.Conflicts.Count == 0 && consent.Ignored.Count == 0)
            {
                return new AccessDecision(effect, ruleId, [reason], policy.Version, consent);
            }

            var reasons = new List<string>(1 + consent.Conflicts.Count + consent.Ignored.Count) { reason };
            foreach (var conflict in consent.Conflicts)
            {
                reasons.Add($"consent conflict: {conflict.Description}");
            }

            foreach (var ignored in consent.Ignored)
            {
                reasons.Add($"consent {ignored.ConsentId} ignored: {ignored.Reason}");
            }

            return new AccessDecision(effect, ruleId, reasons, policy.Version, consent);
        }
    }

    private static bool CanBreakTheGlass(CountryPolicy policy, AccessRequest request) =>
        request.Purpose == PurposeOfUse.Emergency
        && policy.AllowsBreakTheGlass(request.Transaction, request.Role)
        && request.Loa >= policy.BreakTheGlass.MinimumLoa;
}
