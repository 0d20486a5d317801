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
/// </summary>
internal sealed class CrossBorderAccessGate(CrossBorderAssertionVerifier verifier, AccessLevels levels) : IAccessGate
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

        return new AccessDecision
        {
            Permitted = result.IsValid,
            Reason = result.IsValid ? null : "cross-border assertions refused: " + string.Join("; ", result.Reasons),
            Actor = professional?.SubjectId,
            ActorRole = professional?.Role.IscoCode(),
            Organisation = professional?.Organisation,
            PurposeOfUse = result.PurposeOfUse?.Code(),
            Attributes = attributes,
        };
    }

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
