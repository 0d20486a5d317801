using Konfido.Fhir;

namespace Konfido.Records;

/// <summary>An ePrescription as the national back end stores it (FHIR MedicationRequest data).</summary>
/// <param name="Id">The prescription id (the MedicationRequest id), unique in the back end; letters, digits, '-' and '.' (FHIR id).</param>
/// <param name="AtcCode">The WHO ATC code of the prescribed medicine.</param>
/// <param name="Display">The medicine's name.</param>
/// <param name="DoseText">The dosage instruction as text.</param>
/// <param name="Quantity">The quantity to dispense (whole units).</param>
/// <param name="QuantityUnit">The unit of <paramref name="Quantity"/> (e.g. <c>tablet</c>, <c>inhaler</c>).</param>
/// <param name="Prescriber">The prescriber's name (MedicationRequest.requester display).</param>
/// <param name="AuthoredOn">When it was written.</param>
/// <param name="Status"><c>active</c> (dispensable) or <c>completed</c> (dispensed).</param>
public sealed record PrescriptionRecord(
    string Id,
    string AtcCode,
    string Display,
    string DoseText,
    int Quantity,
    string QuantityUnit,
    string Prescriber,
    DateOnly AuthoredOn,
    string Status = PrescriptionRecord.Active)
{
    /// <summary>The status of a prescription that can still be dispensed.</summary>
    public const string Active = "active";

    /// <summary>The status of a dispensed prescription.</summary>
    public const string Completed = "completed";
}

/// <summary>Everything a national back end holds about one patient.</summary>
/// <param name="Patient">Demographics and national identifier (its ResourceId is the stable patient id).</param>
/// <param name="GeneralPractitioner">The patient's GP as (family, given), the author of the summary; or null.</param>
/// <param name="Conditions">The problem list.</param>
/// <param name="Allergies">The allergies (empty: none known).</param>
/// <param name="Medications">The current medication.</param>
/// <param name="Prescriptions">The ePrescriptions.</param>
public sealed record PatientFile(
    PatientRecord Patient,
    (string Family, string Given)? GeneralPractitioner,
    IReadOnlyList<ConditionRecord> Conditions,
    IReadOnlyList<AllergyRecord> Allergies,
    IReadOnlyList<MedicationRecord> Medications,
    IReadOnlyList<PrescriptionRecord> Prescriptions);

/// <summary>What a back end needs to know about its country: code, national identifier system, authority.</summary>
/// <param name="Country">The ISO 3166-1 alpha-2 code, upper case.</param>
/// <param name="IdentifierSystem">The system URI of the national patient identifier.</param>
/// <param name="AuthorityName">The organisation that authors and keeps the patient summaries.</param>
public sealed record CountryProfile(string Country, string IdentifierSystem, string AuthorityName)
{
    /// <summary>Denmark: CPR number, Sundhedsdatastyrelsen.</summary>
    public static CountryProfile Denmark { get; } = new("DK", DanishCpr.System, "Sundhedsdatastyrelsen (Danish Health Data Authority)");

    /// <summary>Spain: DNI/NIE, Ministerio de Sanidad.</summary>
    public static CountryProfile Spain { get; } = new("ES", SpanishDni.System, "Ministerio de Sanidad");

    /// <summary>Italy: codice fiscale, Ministero della Salute.</summary>
    public static CountryProfile Italy { get; } = new("IT", ItalianCodiceFiscale.System, "Ministero della Salute");

    /// <summary>The profile of DK, ES or IT (case-insensitive). Throws <see cref="ArgumentException"/> for any other code.</summary>
    /// <param name="country">The country code.</param>
    public static CountryProfile For(string country)
    {
        ArgumentNullException.ThrowIfNull(country);
        return country.ToUpperInvariant() switch
        {
            "DK" => Denmark,
            "ES" => Spain,
            "IT" => Italy,
            _ => throw new ArgumentException($"No built-in profile for country '{country}' (known: DK, ES, IT); pass a CountryProfile.", nameof(country)),
        };
    }
}
