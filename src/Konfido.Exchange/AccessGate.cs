using System.Net;

namespace Konfido.Exchange;

/// <summary>The transactions of the federation protocol, as country A authorises them.</summary>
public enum ExchangeTransaction
{
    /// <summary>Patient discovery (<c>GET /fhir/Patient</c>).</summary>
    PatientDiscovery,

    /// <summary>Patient Summary retrieval (<c>GET /fhir/Patient/$summary</c>).</summary>
    PatientSummary,

    /// <summary>ePrescription retrieval (<c>GET /fhir/MedicationRequest</c>).</summary>
    Prescriptions,

    /// <summary>eDispensation (<c>POST /fhir/MedicationDispense</c>).</summary>
    Dispensation,
}

/// <summary>One request from a peer node as country A receives it, before authorisation.</summary>
/// <param name="Caller">The member country whose pinned TLS certificate made the call.</param>
/// <param name="HcpAssertion">The HCP identity assertion header (<see cref="FederationProtocol.HcpAssertionHeader"/>), or null.</param>
/// <param name="TrcAssertion">The treatment-relationship confirmation header (<see cref="FederationProtocol.TrcAssertionHeader"/>), or null.</param>
/// <param name="SourceIp">The peer's address, for events, or null.</param>
public sealed record FederationCall(FederationMember Caller, string? HcpAssertion = null, string? TrcAssertion = null, string? SourceIp = null);

/// <summary>
/// Country A's decision on one transaction: who asks (for the audit trail) and whether the answer
/// may be released. A denial carries the HTTP status and a reason the requesting country can show.
/// </summary>
public sealed record AccessDecision
{
    /// <summary>True if the transaction may proceed.</summary>
    public required bool Permitted { get; init; }

    /// <summary>The status of a denial (403 by default, 400 for a request that cannot be authorised as asked).</summary>
    public HttpStatusCode Status { get; init; } = HttpStatusCode.Forbidden;

    /// <summary>The FHIR issue type of a denial.</summary>
    public string IssueType { get; init; } = "forbidden";

    /// <summary>Why it was denied (or, for a flagged permit, why it was flagged); null otherwise.</summary>
    public string? Reason { get; init; }

    /// <summary>The requesting professional's identifier, when known.</summary>
    public string? Actor { get; init; }

    /// <summary>The professional's role code (ISCO-08), when known.</summary>
    public string? ActorRole { get; init; }

    /// <summary>The professional's organisation, when known.</summary>
    public string? Organisation { get; init; }

    /// <summary>The purpose of use (TREATMENT, EMERGENCY), when known.</summary>
    public string? PurposeOfUse { get; init; }

    /// <summary>Extra facts for the audit event (rule that fired, break-the-glass flag, assertion ids).</summary>
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }

    /// <summary>A denial with <paramref name="reason"/>.</summary>
    /// <param name="reason">Why, for the requesting country.</param>
    /// <param name="status">The HTTP status (403 by default).</param>
    /// <param name="issueType">The FHIR issue type.</param>
    public static AccessDecision Deny(string reason, HttpStatusCode status = HttpStatusCode.Forbidden, string issueType = "forbidden") =>
        new() { Permitted = false, Reason = reason, Status = status, IssueType = issueType };
}

/// <summary>
/// Authorises every transaction at country A before the national back end is touched: in a node,
/// the cross-border assertions (HCP identity and TRC) and the access policy.
/// </summary>
public interface IAccessGate
{
    /// <summary>Decides <paramref name="transaction"/> for <paramref name="patientId"/>. Never throws for bad input.</summary>
    /// <param name="call">The peer's request.</param>
    /// <param name="transaction">What is asked.</param>
    /// <param name="patientId">The national identifier of the patient concerned, or null when the request names none.</param>
    /// <param name="cancellationToken">Cancels the decision.</param>
    ValueTask<AccessDecision> DecideAsync(FederationCall call, ExchangeTransaction transaction, string? patientId, CancellationToken cancellationToken = default);
}

/// <summary>
/// The professional on whose behalf country B sends a request: who they are (for country B's audit
/// trail) and the assertions that prove it to country A.
/// </summary>
public interface IRequester
{
    /// <summary>The professional's identifier.</summary>
    string Actor { get; }

    /// <summary>The role code (ISCO-08), or null.</summary>
    string? ActorRole { get; }

    /// <summary>The organisation, or null.</summary>
    string? Organisation { get; }

    /// <summary>The purpose of use of this request (TREATMENT, EMERGENCY), or null.</summary>
    string? PurposeOfUse { get; }

    /// <summary>The headers that carry the assertions for a request about <paramref name="patientId"/> to <paramref name="homeCountry"/>.</summary>
    /// <param name="homeCountry">The patient's country (A).</param>
    /// <param name="patientId">The patient's national identifier, or null when the request names none.</param>
    IReadOnlyList<KeyValuePair<string, string>> AssertionHeaders(string homeCountry, string? patientId);
}
