namespace Konfido.Eid.CrossBorder;

/// <summary>The professional roles of the cross-border assertions, coded in ISCO-08 (ILO, 2012).</summary>
public enum HcpRole
{
    /// <summary>Medical doctors, ISCO-08 <c>221</c>.</summary>
    Doctor,

    /// <summary>Nursing professionals, ISCO-08 <c>222</c>.</summary>
    Nurse,

    /// <summary>Pharmacists, ISCO-08 <c>2262</c>.</summary>
    Pharmacist,
}

/// <summary>Why the data is requested (XSPA purpose of use, as eHDSI restricts it).</summary>
public enum PurposeOfUse
{
    /// <summary><c>TREATMENT</c>: planned or ongoing care.</summary>
    Treatment,

    /// <summary><c>EMERGENCY</c>: emergency care (break-the-glass).</summary>
    Emergency,
}

/// <summary>The kind of healthcare facility the professional works in (eHDSI value set).</summary>
public enum HealthcareFacilityType
{
    /// <summary><c>Hospital</c>.</summary>
    Hospital,

    /// <summary><c>Resident Physician</c>.</summary>
    ResidentPhysician,

    /// <summary><c>Pharmacy</c>.</summary>
    Pharmacy,

    /// <summary><c>Other</c>.</summary>
    Other,
}

/// <summary>A permission a cross-border transaction needs, carried as an HL7/XSPA permission in the HCP assertion.</summary>
public enum CrossBorderPermission
{
    /// <summary>Identify the patient (patient discovery).</summary>
    PatientDiscovery,

    /// <summary>Retrieve the Patient Summary.</summary>
    PatientSummary,

    /// <summary>Retrieve ePrescriptions.</summary>
    EPrescription,

    /// <summary>Submit an eDispensation.</summary>
    Dispensation,
}

/// <summary>Attribute names and codes of the eHDSI (OpenNCP) HCP identity and TRC assertions.</summary>
public static class CrossBorderNames
{
    /// <summary>The audience of both assertions.</summary>
    public const string Audience = "urn:ehdsi:assertions.audience:x-border";

    /// <summary>XSPA subject id (the professional's name).</summary>
    public const string SubjectId = "urn:oasis:names:tc:xspa:1.0:subject:subject-id";

    /// <summary>XACML subject role (ISCO-08 code).</summary>
    public const string Role = "urn:oasis:names:tc:xacml:2.0:subject:role";

    /// <summary>XSPA organisation name.</summary>
    public const string Organisation = "urn:oasis:names:tc:xspa:1.0:subject:organization";

    /// <summary>XSPA organisation id.</summary>
    public const string OrganisationId = "urn:oasis:names:tc:xspa:1.0:subject:organization-id";

    /// <summary>eHDSI healthcare facility type.</summary>
    public const string FacilityType = "urn:ehdsi:names:subject:healthcare-facility-type";

    /// <summary>XSPA purpose of use.</summary>
    public const string PurposeOfUse = "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse";

    /// <summary>XSPA environment locality.</summary>
    public const string Locality = "urn:oasis:names:tc:xspa:1.0:environment:locality";

    /// <summary>XSPA HL7 permission (one value per permission).</summary>
    public const string Permission = "urn:oasis:names:tc:xspa:1.0:subject:hl7:permission";

    /// <summary>XACML resource id (the patient identifier, in the TRC).</summary>
    public const string ResourceId = "urn:oasis:names:tc:xacml:2.0:resource:resource-id";

    /// <summary>The ISCO-08 code of <paramref name="role"/>.</summary>
    /// <param name="role">A defined role.</param>
    public static string IscoCode(this HcpRole role) => role switch
    {
        HcpRole.Doctor => "221",
        HcpRole.Nurse => "222",
        HcpRole.Pharmacist => "2262",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>The role coded <paramref name="code"/>, or null.</summary>
    /// <param name="code">An ISCO-08 code.</param>
    public static HcpRole? RoleFromIscoCode(string? code) => code switch
    {
        "221" => HcpRole.Doctor,
        "222" => HcpRole.Nurse,
        "2262" => HcpRole.Pharmacist,
        _ => null,
    };

    /// <summary>The XSPA code of <paramref name="purpose"/>.</summary>
    /// <param name="purpose">A defined purpose.</param>
    public static string Code(this PurposeOfUse purpose) => purpose == CrossBorder.PurposeOfUse.Emergency ? "EMERGENCY" : "TREATMENT";

    /// <summary>The purpose coded <paramref name="code"/>, or null.</summary>
    /// <param name="code"><c>TREATMENT</c> or <c>EMERGENCY</c>.</param>
    public static PurposeOfUse? PurposeFromCode(string? code) => code switch
    {
        "TREATMENT" => CrossBorder.PurposeOfUse.Treatment,
        "EMERGENCY" => CrossBorder.PurposeOfUse.Emergency,
        _ => null,
    };

    /// <summary>The eHDSI name of <paramref name="type"/>.</summary>
    /// <param name="type">A defined facility type.</param>
    public static string Name(this HealthcareFacilityType type) => type switch
    {
        HealthcareFacilityType.Hospital => "Hospital",
        HealthcareFacilityType.ResidentPhysician => "Resident Physician",
        HealthcareFacilityType.Pharmacy => "Pharmacy",
        _ => "Other",
    };

    /// <summary>The facility type named <paramref name="name"/>, or null.</summary>
    /// <param name="name">An eHDSI facility-type name.</param>
    public static HealthcareFacilityType? FacilityFromName(string? name) => name switch
    {
        "Hospital" => HealthcareFacilityType.Hospital,
        "Resident Physician" => HealthcareFacilityType.ResidentPhysician,
        "Pharmacy" => HealthcareFacilityType.Pharmacy,
        "Other" => HealthcareFacilityType.Other,
        _ => null,
    };

    /// <summary>
    /// The XSPA HL7 permission URN that grants <paramref name="permission"/>
    /// (<c>urn:oasis:names:tc:xspa:1.0:subject:hl7:permission:</c> followed by the HL7 code:
    /// PRD-006 review patient identity, PRD-004 review patient summary, PRD-010 review
    /// medications, PPD-046 record dispensation).
    /// </summary>
    /// <param name="permission">A defined permission.</param>
    public static string Urn(this CrossBorderPermission permission) => Permission + ":" + permission switch
    {
        CrossBorderPermission.PatientDiscovery => "PRD-006",
        CrossBorderPermission.PatientSummary => "PRD-004",
        CrossBorderPermission.EPrescription => "PRD-010",
        CrossBorderPermission.Dispensation => "PPD-046",
        _ => throw new ArgumentOutOfRangeException(nameof(permission)),
    };

    /// <summary>The permission granted by <paramref name="urn"/>, or null if it grants none Konfido knows.</summary>
    /// <param name="urn">A permission attribute value.</param>
    public static CrossBorderPermission? PermissionFromUrn(string? urn)
    {
        foreach (var p in Enum.GetValues<CrossBorderPermission>())
        {
            if (p.Urn() == urn)
            {
                return p;
            }
        }

        return null;
    }

    /// <summary>The permissions a role holds by default (doctor: discovery, summary, ePrescription; nurse: discovery, summary; pharmacist: discovery, ePrescription, dispensation).</summary>
    /// <param name="role">A defined role.</param>
    public static IReadOnlyList<CrossBorderPermission> DefaultPermissions(this HcpRole role) => role switch
    {
        HcpRole.Doctor => [CrossBorderPermission.PatientDiscovery, CrossBorderPermission.PatientSummary, CrossBorderPermission.EPrescription],
        HcpRole.Nurse => [CrossBorderPermission.PatientDiscovery, CrossBorderPermission.PatientSummary],
        HcpRole.Pharmacist => [CrossBorderPermission.PatientDiscovery, CrossBorderPermission.EPrescription, CrossBorderPermission.Dispensation],
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };
}
