namespace Konfido.Fhir;

/// <summary>A patient's demographics as a national back end holds them.</summary>
/// <param name="NationalId">The national identifier value (e.g. a CPR number).</param>
/// <param name="IdentifierSystem">The identifier system URI (e.g. <c>urn:oid:1.2.208.176.1.2</c>).</param>
/// <param name="FamilyName">The family name.</param>
/// <param name="GivenNames">The given names, in order (at least one).</param>
/// <param name="BirthDate">The date of birth.</param>
/// <param name="Gender">The FHIR administrative gender code: <c>male</c>, <c>female</c>, <c>other</c> or <c>unknown</c>.</param>
/// <param name="Country">The ISO 3166-1 alpha-2 country of residence.</param>
/// <param name="City">The city, if known.</param>
/// <param name="AddressLine">The street address, if known.</param>
/// <param name="PostalCode">The postal code, if known.</param>
/// <param name="ResourceId">A stable resource id (a UUID) for the Patient resource, or null to derive one.</param>
public sealed record PatientRecord(
    string NationalId,
    string IdentifierSystem,
    string FamilyName,
    IReadOnlyList<string> GivenNames,
    DateOnly BirthDate,
    string Gender,
    string Country,
    string? City = null,
    string? AddressLine = null,
    string? PostalCode = null,
    string? ResourceId = null);

/// <summary>A problem (diagnosis) on the patient's problem list.</summary>
/// <param name="Display">The human name of the problem.</param>
/// <param name="SnomedCode">The SNOMED CT concept id, if coded.</param>
/// <param name="Icd10Code">The ICD-10 code, if coded.</param>
/// <param name="Onset">When it began, if known.</param>
/// <param name="ClinicalStatus">The condition-clinical code (<c>active</c>, <c>resolved</c>, ...).</param>
public sealed record ConditionRecord(
    string Display,
    string? SnomedCode,
    string? Icd10Code,
    DateOnly? Onset = null,
    string ClinicalStatus = "active");

/// <summary>An allergy or intolerance.</summary>
/// <param name="Display">The human name of the substance or allergy.</param>
/// <param name="SnomedCode">The SNOMED CT code of the substance, if coded.</param>
/// <param name="Category">The FHIR category: <c>food</c>, <c>medication</c>, <c>environment</c> or <c>biologic</c>.</param>
/// <param name="Criticality">The FHIR criticality: <c>low</c>, <c>high</c> or <c>unable-to-assess</c>.</param>
/// <param name="Reaction">The typical reaction, if recorded.</param>
public sealed record AllergyRecord(
    string Display,
    string? SnomedCode,
    string Category,
    string Criticality,
    string? Reaction = null);

/// <summary>A medication the patient currently takes (a medication statement).</summary>
/// <param name="AtcCode">The WHO ATC code (e.g. <c>R03AK06</c>).</param>
/// <param name="Display">The medicinal product's human name (e.g. <c>salmeterol and fluticasone</c>).</param>
/// <param name="DoseText">The dosage as free text (e.g. <c>1 inhalation twice daily</c>).</param>
/// <param name="Start">When the patient started it, if known.</param>
/// <param name="Status">The MedicationStatement status code (<c>active</c>, <c>completed</c>, ...).</param>
public sealed record MedicationRecord(
    string AtcCode,
    string Display,
    string DoseText,
    DateOnly? Start = null,
    string Status = "active");

/// <summary>Who authors the summary: the responsible organisation and, optionally, a practitioner.</summary>
/// <param name="OrganizationName">The organisation (e.g. the national health data authority).</param>
/// <param name="Country">The ISO 3166-1 alpha-2 country of the organisation.</param>
/// <param name="PractitionerFamily">The practitioner's family name, if a practitioner authors it.</param>
/// <param name="PractitionerGiven">The practitioner's given name.</param>
public sealed record AuthorRecord(
    string OrganizationName,
    string Country,
    string? PractitionerFamily = null,
    string? PractitionerGiven = null);

/// <summary>Everything the <see cref="PatientSummaryBuilder"/> turns into an IPS document.</summary>
/// <param name="Patient">The patient.</param>
/// <param name="Conditions">The problem list (empty: "no known problems").</param>
/// <param name="Allergies">The allergies (empty: "no known allergies").</param>
/// <param name="Medications">The current medication (empty: "no known medication").</param>
/// <param name="Author">The author and custodian.</param>
public sealed record PatientSummaryInput(
    PatientRecord Patient,
    IReadOnlyList<ConditionRecord> Conditions,
    IReadOnlyList<AllergyRecord> Allergies,
    IReadOnlyList<MedicationRecord> Medications,
    AuthorRecord Author);
