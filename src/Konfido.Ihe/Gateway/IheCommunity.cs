using System.Net;
using Konfido.Ihe.Cda;
using Konfido.Records;

namespace Konfido.Ihe.Gateway;

/// <summary>The SOAP endpoint paths a Konfido node serves on its federation listener.</summary>
public static class IheEndpoints
{
    /// <summary>ITI-55 responding gateway.</summary>
    public const string Xcpd = "ihe/xcpd";

    /// <summary>ITI-38 responding gateway.</summary>
    public const string XcaQuery = "ihe/xca/query";

    /// <summary>ITI-39 responding gateway.</summary>
    public const string XcaRetrieve = "ihe/xca/retrieve";

    /// <summary>ITI-41 document recipient (XDR).</summary>
    public const string Xdr = "ihe/xdr";

    /// <summary>The OpenNCP server's ITI-55 service (relative to the member's endpoint base).</summary>
    public const string OpenNcpXcpd = "openncp-ws-server/services/XCPD_Service";

    /// <summary>The OpenNCP server's ITI-38/39 service (one service for query and retrieve, told apart by the action).</summary>
    public const string OpenNcpXca = "openncp-ws-server/services/XCA_Service";

    /// <summary>The OpenNCP server's ITI-41 service.</summary>
    public const string OpenNcpXdr = "openncp-ws-server/services/XDR_Service";

    /// <summary>The trust-list protocol value of a Konfido node in OpenNCP mode (Konfido's <c>ihe/...</c> paths).</summary>
    public const string Protocol = "ihe";

    /// <summary>The trust-list protocol value of an OpenNCP node (its <c>openncp-ws-server/services/...</c> paths).</summary>
    public const string OpenNcpProtocol = "openncp";

    /// <summary>True if <paramref name="protocol"/> names an IHE-speaking node (<c>ihe</c> or <c>openncp</c>).</summary>
    /// <param name="protocol">The trust-list protocol value, or null.</param>
    public static bool IsIhe(string? protocol) =>
        string.Equals(protocol, Protocol, StringComparison.OrdinalIgnoreCase) || string.Equals(protocol, OpenNcpProtocol, StringComparison.OrdinalIgnoreCase);

    /// <summary>The path of the service for <paramref name="action"/> at a node speaking <paramref name="protocol"/>.</summary>
    /// <param name="protocol">The member's trust-list protocol.</param>
    /// <param name="action">The request's SOAP action.</param>
    public static string PathFor(string? protocol, string action)
    {
        var openNcp = string.Equals(protocol, OpenNcpProtocol, StringComparison.OrdinalIgnoreCase);
        return action switch
        {
            IheNames.XcpdAction => openNcp ? OpenNcpXcpd + "/" : Xcpd,
            IheNames.XcaQueryAction => openNcp ? OpenNcpXca + "/" : XcaQuery,
            IheNames.XcaRetrieveAction => openNcp ? OpenNcpXca + "/" : XcaRetrieve,
            IheNames.XdrAction => openNcp ? OpenNcpXdr + "/" : Xdr,
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, "not an IHE request action"),
        };
    }
}

/// <summary>
/// A country's identifiers in the IHE profiles: its home community id and repository id (UUID-derived
/// 2.25 OIDs, ITU-T X.667, so that nobody's arc is claimed) and the OID of its national patient
/// identifier (from the identifier systems Konfido's back ends use).
/// </summary>
public static class IheCommunity
{
    /// <summary>The home community OID of <paramref name="country"/>'s node.</summary>
    /// <param name="country">The ISO 3166-1 alpha-2 code.</param>
    public static string CommunityOid(string country) => Hl7Data.DerivedOid("konfido:home-community:" + country.ToUpperInvariant());

    /// <summary>The home community id (<c>urn:oid:</c>) of <paramref name="country"/>'s node.</summary>
    /// <param name="country">The ISO 3166-1 alpha-2 code.</param>
    public static string HomeCommunityId(string country) => "urn:oid:" + CommunityOid(country);

    /// <summary>The repository unique id of <paramref name="country"/>'s node.</summary>
    /// <param name="country">The ISO 3166-1 alpha-2 code.</param>
    public static string RepositoryId(string country) => Hl7Data.DerivedOid("konfido:repository:" + country.ToUpperInvariant());

    /// <summary>The OID of a FHIR identifier system, or of <paramref name="country"/>'s national identifier when the system is null.</summary>
    /// <param name="system">The identifier system, or null.</param>
    /// <param name="country">The patient's home country.</param>
    /// <exception cref="Exchange.ExchangeException">No OID can be found (400).</exception>
    public static string PatientOid(string? system, string country)
    {
        system ??= country.ToUpperInvariant() switch
        {
            "DK" => DanishCpr.System,
            "ES" => SpanishDni.System,
            "IT" => ItalianCodiceFiscale.System,
            _ => null,
        };
        return system is not null && CodeMaps.Default.SystemOid(system) is { } oid
            ? oid
            : throw new Exchange.ExchangeException(HttpStatusCode.BadRequest, "value",
                $"the patient identifier system '{system ?? "(none)"}' has no OID; IHE peers need an OID-based identifier (urn:oid:...)");
    }

    /// <summary>The deterministic document unique id of a patient's document.</summary>
    /// <param name="country">The home country.</param>
    /// <param name="documentClass">The class.</param>
    /// <param name="patientId">The patient's national identifier.</param>
    /// <param name="item">The item within the class (prescription id), or null for the Patient Summary.</param>
    public static string DocumentId(string country, IheDocumentClass documentClass, string patientId, string? item = null) =>
        Hl7Data.DerivedOid($"konfido:document:{country.ToUpperInvariant()}:{documentClass}:{patientId}:{item}");
}

/// <summary>
/// The error codes carried in registry responses and XCPD detected issues, and the HTTP statuses of
/// the FHIR path they stand for (IHE ITI TF-3 Table 4.2.4.1-2 codes; the access-denied code follows
/// the eHDSI/XUA naming). Both directions, so that a FHIR client sees the same status either way.
/// </summary>
public static class IheErrors
{
    /// <summary>The request was refused by country A's access gate.</summary>
    public const string InsufficientRights = "InsufficientRights";

    /// <summary>The IHE error code for a FHIR-path status.</summary>
    /// <param name="status">The status.</param>
    public static string FromStatus(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => "XDSRegistryMetadataError",
        HttpStatusCode.Forbidden => InsufficientRights,
        HttpStatusCode.NotFound => "XDSUnknownPatientId",
        HttpStatusCode.Conflict => "XDSDuplicateUniqueIdInRegistry",
        _ => "XDSRegistryError",
    };

    /// <summary>The FHIR-path status of an IHE error code.</summary>
    /// <param name="code">The code.</param>
    public static HttpStatusCode ToStatus(string? code) => code switch
    {
        "XDSRegistryMetadataError" or "XDSStoredQueryParamNumber" or "XDSMissingDocument" => HttpStatusCode.BadRequest,
        InsufficientRights or "wsse:InvalidSecurity" or "wsse:FailedAuthentication" => HttpStatusCode.Forbidden,
        "XDSUnknownPatientId" or "XDSDocumentUniqueIdError" => HttpStatusCode.NotFound,
        "XDSDuplicateUniqueIdInRegistry" => HttpStatusCode.Conflict,
        _ => HttpStatusCode.BadGateway,
    };

    /// <summary>The FHIR issue type for a status.</summary>
    /// <param name="status">The status.</param>
    public static string IssueType(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => "invalid",
        HttpStatusCode.Forbidden => "forbidden",
        HttpStatusCode.NotFound => "not-found",
        HttpStatusCode.Conflict => "conflict",
        _ => "exception",
    };
}
