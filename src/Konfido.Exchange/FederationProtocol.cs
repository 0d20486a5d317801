namespace Konfido.Exchange;

/// <summary>
/// The wire protocol between national contact points (country B calls country A), FHIR R4 REST
/// over HTTPS with mutual TLS:
/// <list type="bullet">
/// <item><c>GET /fhir/Patient?identifier=system|value&amp;family=&amp;given=&amp;birthdate=</c>: discovery (PDQm-style), a searchset Bundle.</item>
/// <item><c>GET /fhir/Patient/$summary?identifier=system|value</c>: the International Patient Summary document Bundle.</item>
/// <item><c>GET /fhir/MedicationRequest?patient.identifier=system|value</c>: the patient's ePrescriptions, a searchset Bundle.</item>
/// <item><c>POST /fhir/MedicationDispense</c>: an eDispensation; 201 once, 409 for every later submission.</item>
/// </list>
/// Every response, errors included, carries <see cref="SignatureHeader"/>: a detached ES256 JWS of
/// the body by the answering country's signing key from the trust list. A successful clinical answer to a
/// member with a <see cref="FederationMember.PayloadKey"/> is sealed for that key (<see cref="SealedPayloads"/>:
/// an <c>application/jose</c> body holding the answer's compact JWS), and an eDispensation to such a member is
/// sealed for it likewise; only the recipient's custody boundary opens them (<see cref="PayloadGateway"/>).
/// </summary>
public static class FederationProtocol
{
    /// <summary>The response header holding the detached JWS over the body.</summary>
    public const string SignatureHeader = "X-Konfido-Signature";

    /// <summary>The header naming the country the local API should route to.</summary>
    public const string TargetCountryHeader = "X-Konfido-Target-Country";

    /// <summary>The request header carrying the HCP identity assertion (base64 of the signed SAML assertion).</summary>
    public const string HcpAssertionHeader = "X-Konfido-HCP-Assertion";

    /// <summary>The request header carrying the treatment-relationship confirmation (base64 of the signed SAML assertion).</summary>
    public const string TrcAssertionHeader = "X-Konfido-TRC-Assertion";

    /// <summary>The largest request or response body accepted (bytes).</summary>
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>The discovery path.</summary>
    public const string PatientPath = "fhir/Patient";

    /// <summary>The patient summary path.</summary>
    public const string SummaryPath = "fhir/Patient/$summary";

    /// <summary>The ePrescription search path.</summary>
    public const string PrescriptionsPath = "fhir/MedicationRequest";

    /// <summary>The eDispensation path.</summary>
    public const string DispensePath = "fhir/MedicationDispense";

    /// <summary>Splits a FHIR token parameter <c>system|value</c> (or a bare value) into its parts.</summary>
    public static (string? System, string Value) SplitToken(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var bar = token.IndexOf('|', StringComparison.Ordinal);
        return bar < 0 ? (null, token) : (bar == 0 ? null : token[..bar], token[(bar + 1)..]);
    }

    /// <summary>Joins a system and value into a FHIR token parameter.</summary>
    public static string JoinToken(string? system, string value) => system is null ? value : $"{system}|{value}";
}
