namespace Konfido.Policy;

/// <summary>
/// The health-professional roles the federation distinguishes, coded with ISCO-08 (ILO,
/// International Standard Classification of Occupations 2008) as the eHealth DSI HCP assertion does.
/// </summary>
public enum HcpRole
{
    /// <summary>Medical doctors, ISCO-08 221 (2211 generalist, 2212 specialist).</summary>
    Doctor,

    /// <summary>Nursing and midwifery professionals, ISCO-08 222 (2221 nursing, 2222 midwifery).</summary>
    Nurse,

    /// <summary>Pharmacists, ISCO-08 2262.</summary>
    Pharmacist,
}

/// <summary>The purpose of use carried by the HCP assertion and the TRC.</summary>
public enum PurposeOfUse
{
    /// <summary>Planned treatment (HL7 v3 ActReason <c>TREAT</c>).</summary>
    Treatment,

    /// <summary>Emergency treatment (HL7 v3 ActReason <c>ETREAT</c>, a specialisation of <c>TREAT</c>).</summary>
    Emergency,
}

/// <summary>eIDAS levels of assurance (Regulation (EU) 2015/1502), ordered from weakest to strongest.</summary>
public enum LevelOfAssurance
{
    /// <summary><c>http://eidas.europa.eu/LoA/low</c>.</summary>
    Low,

    /// <summary><c>http://eidas.europa.eu/LoA/substantial</c>.</summary>
    Substantial,

    /// <summary><c>http://eidas.europa.eu/LoA/high</c>.</summary>
    High,
}

/// <summary>The cross-border transactions a policy decides.</summary>
public enum TransactionType
{
    /// <summary>Patient identification and discovery.</summary>
    Discovery,

    /// <summary>Retrieval of the patient summary (IPS).</summary>
    PatientSummary,

    /// <summary>Retrieval of ePrescriptions.</summary>
    EPrescription,

    /// <summary>Submission of an eDispensation.</summary>
    Dispensation,
}

/// <summary>
/// Parses and formats the policy vocabulary. Accepts the spellings found in assertions and policy
/// files: ISCO-08 codes or role names, <c>TREATMENT</c>/<c>EMERGENCY</c> or the ActReason codes,
/// eIDAS LoA names or URIs, transaction names in kebab case or Pascal case. All case-insensitive.
/// </summary>
public static class PolicyVocabulary
{
    /// <summary>The eIDAS LoA URI prefix.</summary>
    public const string EidasLoaPrefix = "http://eidas.europa.eu/LoA/";

    /// <summary>HL7 v3 ActReason code system.</summary>
    public const string ActReasonSystem = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

    /// <summary>The accepted role spellings, for error messages.</summary>
    public const string RoleSpellings = "doctor (ISCO-08 221, 2211, 2212), nurse (222, 2221, 2222), pharmacist (2262)";

    /// <summary>The accepted purpose spellings, for error messages.</summary>
    public const string PurposeSpellings = "TREATMENT (TREAT) or EMERGENCY (ETREAT)";

    /// <summary>The accepted LoA spellings, for error messages.</summary>
    public const string LoaSpellings = "low, substantial or high (or the eIDAS LoA URI)";

    /// <summary>The accepted transaction spellings, for error messages.</summary>
    public const string TransactionSpellings = "discovery, patient-summary, eprescription, dispensation";

    /// <summary>Parses a role name or ISCO-08 code; false if unknown.</summary>
    public static bool TryParseRole(string? text, out HcpRole role)
    {
        role = default;
        switch (text?.Trim().ToUpperInvariant())
        {
            case "DOCTOR" or "PHYSICIAN" or "221" or "2211" or "2212":
                role = HcpRole.Doctor;
                return true;
            case "NURSE" or "222" or "2221" or "2222":
                role = HcpRole.Nurse;
                return true;
            case "PHARMACIST" or "2262":
                role = HcpRole.Pharmacist;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Parses a purpose of use; false if unknown.</summary>
    public static bool TryParsePurpose(string? text, out PurposeOfUse purpose)
    {
        purpose = default;
        switch (text?.Trim().ToUpperInvariant())
        {
            case "TREATMENT" or "TREAT":
                purpose = PurposeOfUse.Treatment;
                return true;
            case "EMERGENCY" or "ETREAT":
                purpose = PurposeOfUse.Emergency;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Parses an eIDAS level of assurance name or URI; false if unknown.</summary>
    public static bool TryParseLoa(string? text, out LevelOfAssurance loa)
    {
        loa = default;
        var value = text?.Trim();
        if (value is null)
        {
            return false;
        }

        if (value.StartsWith(EidasLoaPrefix, StringComparison.OrdinalIgnoreCase))
        {
            value = value[EidasLoaPrefix.Length..];
        }

        switch (value.ToUpperInvariant())
        {
            case "LOW":
                loa = LevelOfAssurance.Low;
                return true;
            case "SUBSTANTIAL":
                loa = LevelOfAssurance.Substantial;
                return true;
            case "HIGH":
                loa = LevelOfAssurance.High;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Parses a transaction name; false if unknown.</summary>
    public static bool TryParseTransaction(string? text, out TransactionType transaction)
    {
        transaction = default;
        switch (text?.Trim().Replace("-", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal).ToUpperInvariant())
        {
            case "DISCOVERY" or "PATIENTDISCOVERY":
                transaction = TransactionType.Discovery;
                return true;
            case "PATIENTSUMMARY" or "IPS":
                transaction = TransactionType.PatientSummary;
                return true;
            case "EPRESCRIPTION":
                transaction = TransactionType.EPrescription;
                return true;
            case "DISPENSATION" or "EDISPENSATION":
                transaction = TransactionType.Dispensation;
                return true;
            default:
                return false;
        }
    }

    /// <summary>The canonical policy-file spelling of a role (<c>doctor</c>).</summary>
    public static string Format(HcpRole role) => role switch
    {
        HcpRole.Doctor => "doctor",
        HcpRole.Nurse => "nurse",
        HcpRole.Pharmacist => "pharmacist",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>The ISCO-08 code of a role (<c>221</c>, <c>222</c>, <c>2262</c>).</summary>
    public static string IscoCode(HcpRole role) => role switch
    {
        HcpRole.Doctor => "221",
        HcpRole.Nurse => "222",
        HcpRole.Pharmacist => "2262",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>The assertion spelling of a purpose (<c>TREATMENT</c>, <c>EMERGENCY</c>).</summary>
    public static string Format(PurposeOfUse purpose) => purpose switch
    {
        PurposeOfUse.Treatment => "TREATMENT",
        PurposeOfUse.Emergency => "EMERGENCY",
        _ => throw new ArgumentOutOfRangeException(nameof(purpose)),
    };

    /// <summary>The HL7 v3 ActReason code of a purpose (<c>TREAT</c>, <c>ETREAT</c>).</summary>
    public static string ActReason(PurposeOfUse purpose) => purpose switch
    {
        PurposeOfUse.Treatment => "TREAT",
        PurposeOfUse.Emergency => "ETREAT",
        _ => throw new ArgumentOutOfRangeException(nameof(purpose)),
    };

    /// <summary>The policy-file spelling of a level of assurance (<c>substantial</c>).</summary>
    public static string Format(LevelOfAssurance loa) => loa switch
    {
        LevelOfAssurance.Low => "low",
        LevelOfAssurance.Substantial => "substantial",
        LevelOfAssurance.High => "high",
        _ => throw new ArgumentOutOfRangeException(nameof(loa)),
    };

    /// <summary>The policy-file spelling of a transaction (<c>patient-summary</c>).</summary>
    public static string Format(TransactionType transaction) => transaction switch
    {
        TransactionType.Discovery => "discovery",
        TransactionType.PatientSummary => "patient-summary",
        TransactionType.EPrescription => "eprescription",
        TransactionType.Dispensation => "dispensation",
        _ => throw new ArgumentOutOfRangeException(nameof(transaction)),
    };
}
