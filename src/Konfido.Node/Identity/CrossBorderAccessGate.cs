using System.Net;
using Konfido.Core;
using Konfido.Eid.CrossBorder;
using Konfido.Eid.Saml;
using Konfido.Exchange;

namespace Konfido.Node;

/// <summary>
/// Country A's gate: releases nothing unless the HCP identity assertion and the TRC sent with the
/// request verify (signed by the requesting country's assertion key from the trust list, in time,
/// x-border audience, the TRC for this patient and this HCP assertion), the professional holds the
/// permission the transaction needs, and the login's level of assurance meets this node's level for it.
/// Then, where the node has a policy, the policy decision point decides with the patient's consent;
/// an emergency access without consent that the policy allows is permitted, flagged and queued for review.
/// </summary>
internal sealed class CrossBorderAccessGate(CrossBorderAssertionVerifier verifier, AccessLevels levels, NodePolicy? policy, string country) : IAccessGate
{
    public async ValueTask<AccessDecision> DecideAsync(FederationCall call, ExchangeTransaction transaction, string? patientId, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(patientId))
        {
            return AccessDecision.Deny("a cross-border request must name the patient's national identifier (the treatment-relationship confirmation is for one patient)",
                HttpStatusCode.BadRequest, "required");
        }

        if (!CountryCode.TryParse(call.Caller.Country, out var source))
        {
            return AccessDecision.Deny($"the calling country '{call.Caller.Country}' is not a country code");
        }

        var request = new CrossBorderRequest(source, patientId, Permission(transaction)) { MinimumLevel = levels.For(transaction) };
        var result = await verifier.VerifyAsync(call.HcpAssertion, call.TrcAssertion, request, call.SourceIp, cancellationToken).ConfigureAwait(false);
        var professional = result.Professional;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (result.HcpAssertionId is { } hcpId)
        {
            attributes["hcp.assertion"] = hcpId;
        }

        if (result.TrcAssertionId is { } trcId)
        {
            attributes["trc.assertion"] = trcId;
        }

        if (professional is not null)
        {
            attributes["eidas.loa"] = professional.Level.ToShortName();
        }

        var decision = new AccessDecision
        {
            Permitted = result.IsValid,
            Reason = result.IsValid ? null : "cross-border assertions refused: " + string.Join("; ", result.Reasons),
            Actor = professional?.SubjectId,
            ActorRole = professional?.Role.IscoCode(),
            Organisation = professional?.Organisation,
            PurposeOfUse = result.PurposeOfUse?.Code(),
            Attributes = attributes,
        };
        if (!result.IsValid || policy is null || professional is null)
        {
            return decision;
        }

        var purpose = result.PurposeOfUse ?? PurposeOfUse.Treatment;
        var verdict = await policy.DecisionPoint.DecideAsync(new Konfido.Policy.AccessRequestAttributes(
            professional.SubjectId, professional.Role.IscoCode(), professional.Organisation, purpose.Code(), professional.Level.ToUri(),
            PolicyTransaction(transaction), source.Value, country, patientId, patientId, purpose.Code(), DateTimeOffset.UtcNow), cancellationToken).ConfigureAwait(false);
        attributes["policy.rule"] = verdict.RuleId;
        attributes["policy.effect"] = verdict.Effect.ToString();
        if (!verdict.IsPermitted)
        {
            return decision with { Permitted = false, Reason = $"denied by {country} policy (rule {verdict.RuleId}): {string.Join("; ", verdict.Reasons)}" };
        }

        return verdict.IsBreakTheGlass
            ? decision with { Reason = $"break-the-glass (rule {verdict.RuleId}): {string.Join("; ", verdict.Reasons)}" }
            : decision;
    }

    private static string PolicyTransaction(ExchangeTransaction transaction) => transaction switch
    {
        ExchangeTransaction.PatientDiscovery => "discovery",
        ExchangeTransaction.PatientSummary => "patient-summary",
        ExchangeTransaction.Prescriptions => "eprescription",
        ExchangeTransaction.Dispensation => "dispensation",
        _ => throw new ArgumentOutOfRangeException(nameof(transaction)),
    };

    /// <summary>The assertion permission a transaction needs.</summary>
    public static CrossBorderPermission Permission(ExchangeTransaction transaction) => transaction switch
    {
        ExchangeTransaction.PatientDiscovery => CrossBorderPermission.PatientDiscovery,
        ExchangeTransaction.PatientSummary => CrossBorderPermission.PatientSummary,
        ExchangeTransaction.Prescriptions => CrossBorderPermission.EPrescription,
        ExchangeTransaction.Dispensation => CrossBorderPermission.Dispensation,
        _ => throw new ArgumentOutOfRangeException(nameof(transaction)),
    };
}
