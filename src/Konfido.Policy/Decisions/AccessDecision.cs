using Konfido.Policy.Consent;

namespace Konfido.Policy.Decisions;

/// <summary>The effect of a policy decision.</summary>
public enum DecisionEffect
{
    /// <summary>Access is denied.</summary>
    Deny,

    /// <summary>Access is permitted.</summary>
    Permit,

    /// <summary>Emergency access without consent, permitted by the home country's break-the-glass rule: flagged, reported, reviewed afterwards.</summary>
    PermitWithBreakTheGlass,
}

/// <summary>A policy decision with its explanation.</summary>
/// <param name="Effect">Permit, deny or break-the-glass.</param>
/// <param name="RuleId">The id of the rule that fired (a policy-file rule id, or one of <see cref="BuiltInRules"/>).</param>
/// <param name="Reasons">Why, in order; conflicts and ignored consents are included.</param>
/// <param name="PolicyVersion">The version of the home country's policy, or empty if none applied.</param>
/// <param name="Consent">What the patient's consents said.</param>
public sealed record AccessDecision(
    DecisionEffect Effect,
    string RuleId,
    IReadOnlyList<string> Reasons,
    string PolicyVersion,
    ConsentResolution Consent)
{
    /// <summary>True for <see cref="DecisionEffect.Permit"/> and <see cref="DecisionEffect.PermitWithBreakTheGlass"/>.</summary>
    public bool IsPermitted => Effect != DecisionEffect.Deny;

    /// <summary>True if the decision is a flagged break-the-glass access.</summary>
    public bool IsBreakTheGlass => Effect == DecisionEffect.PermitWithBreakTheGlass;
}

/// <summary>Rule ids of the checks the engine makes before and around the policy file's rules.</summary>
public static class BuiltInRules
{
    /// <summary>The request attributes did not validate (unknown role, purpose, LoA, transaction, country).</summary>
    public const string InvalidRequest = "builtin:invalid-request";

    /// <summary>No policy is in force for the home country.</summary>
    public const string NoPolicy = "builtin:no-policy";

    /// <summary>The requesting country is not accepted by the home country's policy.</summary>
    public const string RequestingCountry = "builtin:requesting-country";

    /// <summary>The purpose of use is not accepted by the home country's policy.</summary>
    public const string Purpose = "builtin:purpose";

    /// <summary>The treatment-relationship confirmation is missing or does not match.</summary>
    public const string Trc = "builtin:trc";

    /// <summary>No rule of the policy lets this role perform this transaction for this purpose.</summary>
    public const string DefaultDeny = "builtin:default-deny";
}
