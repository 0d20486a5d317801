using System.Xml.Linq;

namespace Konfido.Ihe;

/// <summary>
/// The XML namespaces, SOAP actions and codes of the IHE profiles OpenNCP speaks: ITI TF-2b
/// (ITI-38/39 XCA, ITI-55 XCPD), ITI TF-2b 3.41 (ITI-41 provide and register, used by XDR), SOAP 1.2,
/// WS-Addressing 1.0, WS-Security 1.1 with the SAML token profile, and the eHDSI document classes.
/// </summary>
public static class IheNames
{
    /// <summary>SOAP 1.2 envelope.</summary>
    public static readonly XNamespace Soap = "http://www.w3.org/2003/05/soap-envelope";

    /// <summary>WS-Addressing 1.0.</summary>
    public static readonly XNamespace Addressing = "http://www.w3.org/2005/08/addressing";

    /// <summary>WS-Security 1.0 secext.</summary>
    public static readonly XNamespace Wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";

    /// <summary>SAML 2.0 assertion.</summary>
    public static readonly XNamespace Saml2 = "urn:oasis:names:tc:SAML:2.0:assertion";

    /// <summary>HL7 V3 (XCPD messages and CDA documents).</summary>
    public static readonly XNamespace Hl7 = "urn:hl7-org:v3";

    /// <summary>The eHDSI/epSOS pharmacy extension namespace used inside CDA medication entries.</summary>
    public static readonly XNamespace Pharm = "urn:hl7-org:pharm";

    /// <summary>The older epSOS medication extension namespace (epSOS-era pivot documents).</summary>
    public static readonly XNamespace EpsosMedication = "urn:epsos-org:ep:medication";

    /// <summary>XML Schema instance.</summary>
    public static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    /// <summary>ebXML RegRep 3.0 information model.</summary>
    public static readonly XNamespace Rim = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";

    /// <summary>ebXML RegRep 3.0 query.</summary>
    public static readonly XNamespace Query = "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0";

    /// <summary>ebXML RegRep 3.0 registry services.</summary>
    public static readonly XNamespace Rs = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0";

    /// <summary>ebXML RegRep 3.0 life-cycle management.</summary>
    public static readonly XNamespace Lcm = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0";

    /// <summary>IHE XDS.b.</summary>
    public static readonly XNamespace Xdsb = "urn:ihe:iti:xds-b:2007";

    /// <summary>XML-binary Optimized Packaging.</summary>
    public static readonly XNamespace Xop = "http://www.w3.org/2004/08/xop/include";

    /// <summary>ITI-55 request action.</summary>
    public const string XcpdAction = "urn:hl7-org:v3:PRPA_IN201305UV02:CrossGatewayPatientDiscovery";

    /// <summary>ITI-55 response action.</summary>
    public const string XcpdResponseAction = "urn:hl7-org:v3:PRPA_IN201306UV02:CrossGatewayPatientDiscovery";

    /// <summary>ITI-38 request action.</summary>
    public const string XcaQueryAction = "urn:ihe:iti:2007:CrossGatewayQuery";

    /// <summary>ITI-38 response action.</summary>
    public const string XcaQueryResponseAction = "urn:ihe:iti:2007:CrossGatewayQueryResponse";

    /// <summary>ITI-39 request action.</summary>
    public const string XcaRetrieveAction = "urn:ihe:iti:2007:CrossGatewayRetrieve";

    /// <summary>ITI-39 response action.</summary>
    public const string XcaRetrieveResponseAction = "urn:ihe:iti:2007:CrossGatewayRetrieveResponse";

    /// <summary>ITI-41 request action.</summary>
    public const string XdrAction = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b";

    /// <summary>ITI-41 response action.</summary>
    public const string XdrResponseAction = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse";

    /// <summary>The FindDocuments stored query (ITI TF-2a 3.18.4.1.2.3.7.1).</summary>
    public const string FindDocumentsQuery = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d";

    /// <summary>RegistryResponse success status.</summary>
    public const string StatusSuccess = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";

    /// <summary>RegistryResponse failure status.</summary>
    public const string StatusFailure = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure";

    /// <summary>Error severity.</summary>
    public const string SeverityError = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error";

    /// <summary>The LOINC OID.</summary>
    public const string LoincOid = "2.16.840.1.113883.6.1";
}

/// <summary>The eHDSI document classes Konfido exchanges over IHE (LOINC document codes).</summary>
public enum IheDocumentClass
{
    /// <summary>Patient Summary, LOINC 60591-5.</summary>
    PatientSummary,

    /// <summary>ePrescription, LOINC 57833-6.</summary>
    EPrescription,

    /// <summary>eDispensation, LOINC 60593-1.</summary>
    EDispensation,
}

/// <summary>Codes of <see cref="IheDocumentClass"/>.</summary>
public static class IheDocumentClasses
{
    /// <summary>The LOINC code of <paramref name="documentClass"/>.</summary>
    public static string Code(this IheDocumentClass documentClass) => documentClass switch
    {
        IheDocumentClass.PatientSummary => "60591-5",
        IheDocumentClass.EPrescription => "57833-6",
        IheDocumentClass.EDispensation => "60593-1",
        _ => throw new ArgumentOutOfRangeException(nameof(documentClass)),
    };

    /// <summary>The class whose LOINC code is <paramref name="code"/>, or null.</summary>
    public static IheDocumentClass? FromCode(string? code) => code switch
    {
        "60591-5" => IheDocumentClass.PatientSummary,
        "57833-6" => IheDocumentClass.EPrescription,
        "60593-1" or "60590-7" => IheDocumentClass.EDispensation,
        _ => null,
    };
}
