namespace Konfido.Fhir;

/// <summary>Code-system and profile URIs used by the International Patient Summary and ePrescription.</summary>
public static class FhirSystems
{
    /// <summary>LOINC.</summary>
    public const string Loinc = "http://loinc.org";

    /// <summary>SNOMED CT.</summary>
    public const string Snomed = "http://snomed.info/sct";

    /// <summary>ICD-10 (WHO).</summary>
    public const string Icd10 = "http://hl7.org/fhir/sid/icd-10";

    /// <summary>WHO Anatomical Therapeutic Chemical classification.</summary>
    public const string Atc = "http://www.whocc.no/atc";

    /// <summary>The list-empty-reason code system (section.emptyReason).</summary>
    public const string ListEmptyReason = "http://terminology.hl7.org/CodeSystem/list-empty-reason";

    /// <summary>Condition clinical status codes.</summary>
    public const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";

    /// <summary>Condition verification status codes.</summary>
    public const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";

    /// <summary>AllergyIntolerance clinical status codes.</summary>
    public const string AllergyClinical = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";

    /// <summary>AllergyIntolerance verification status codes.</summary>
    public const string AllergyVerification = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";

    /// <summary>ISO 3166-1 country codes as an identifier/code system.</summary>
    public const string Iso3166 = "urn:iso:std:iso:3166";

    /// <summary>UCUM units.</summary>
    public const string Ucum = "http://unitsofmeasure.org";

    /// <summary>The canonical URL of the IPS Bundle profile (HL7 IPS IG, hl7.fhir.uv.ips).</summary>
    public const string IpsBundleProfile = "http://hl7.org/fhir/uv/ips/StructureDefinition/Bundle-uv-ips";
}

/// <summary>The LOINC codes of the IPS document and its required sections.</summary>
public static class IpsCodes
{
    /// <summary>Patient summary Document (Composition.type).</summary>
    public const string PatientSummaryDocument = "60591-5";

    /// <summary>Problem list Reported (the Problems section).</summary>
    public const string ProblemsSection = "11450-4";

    /// <summary>Allergies and adverse reactions Document (the Allergies section).</summary>
    public const string AllergiesSection = "48765-2";

    /// <summary>History of Medication use Narrative (the Medication Summary section).</summary>
    public const string MedicationsSection = "10160-0";

    /// <summary>The three sections every IPS must carry, with a human name for messages.</summary>
    public static IReadOnlyList<(string Code, string Name)> RequiredSections { get; } =
    [
        (ProblemsSection, "Problems"),
        (AllergiesSection, "Allergies and Intolerances"),
        (MedicationsSection, "Medication Summary"),
    ];
}
