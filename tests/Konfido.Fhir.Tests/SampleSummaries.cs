using Konfido.Fhir;

namespace Konfido.Fhir.Tests;

/// <summary>Inputs for the builder: a Danish COPD patient with full records, and one with nothing recorded.</summary>
internal static class SampleSummaries
{
    public static readonly DateTimeOffset Timestamp = new(2026, 3, 14, 9, 30, 0, TimeSpan.FromHours(1));
    public static readonly Guid DocumentId = Guid.Parse("6f0c6a4e-2b7d-4a0e-9d55-3c1a8f2b9e01");

    public static PatientSummaryInput Copd() => new(
        new PatientRecord("120356-1237", "urn:oid:1.2.208.176.1.2", "Jensen", ["Lars"], new DateOnly(1956, 3, 12), "male", "DK",
            City: "Aarhus", AddressLine: "Vestergade 12", PostalCode: "8000"),
        [
            new ConditionRecord("Chronic obstructive pulmonary disease", "13645005", "J44.9", new DateOnly(2014, 5, 1)),
            new ConditionRecord("Essential hypertension", "59621000", "I10"),
        ],
        [new AllergyRecord("Penicillin", "764146007", "medication", "high", "Urticaria")],
        [
            new MedicationRecord("R03AK06", "salmeterol and fluticasone", "1 inhalation twice daily", new DateOnly(2014, 6, 1)),
            new MedicationRecord("C09AA05", "ramipril", "5 mg once daily"),
        ],
        new AuthorRecord("Sundhedsdatastyrelsen <Danish Health Data Authority>", "DK", "Hansen", "Mette"));

    public static PatientSummaryInput NothingKnown() => new(
        new PatientRecord("12345678Z", "urn:oid:2.16.724.4.40", "García", ["Lucía", "María"], new DateOnly(1990, 1, 2), "female", "ES"),
        [], [], [],
        new AuthorRecord("Ministerio de Sanidad", "ES"));
}
