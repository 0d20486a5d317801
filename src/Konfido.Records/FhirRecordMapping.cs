using System.Globalization;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Konfido.Fhir;

namespace Konfido.Records;

/// <summary>Maps stored records to the FHIR resources the node serves.</summary>
internal static class FhirRecordMapping
{
    /// <summary>The identifier system of prescription ids (MedicationRequest.identifier) for a country.</summary>
    public static string PrescriptionIdentifierSystem(string country) => $"urn:konfido:{country.ToLowerInvariant()}:eprescription";

    public static Patient ToPatient(PatientRecord p)
    {
        var patient = new Patient
        {
            Id = p.ResourceId,
            Identifier = [new Identifier(p.IdentifierSystem, p.NationalId)],
            Active = true,
            Name = [new HumanName { Use = HumanName.NameUse.Official, Family = p.FamilyName, Given = p.GivenNames }],
            Gender = EnumUtility.ParseLiteral<AdministrativeGender>(p.Gender),
            BirthDate = p.BirthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
        var address = new Address { Country = p.Country, City = p.City, PostalCode = p.PostalCode };
        if (p.AddressLine is not null)
        {
            address.Line = [p.AddressLine];
        }

        patient.Address.Add(address);
        return patient;
    }

    public static MedicationRequest ToMedicationRequest(PrescriptionRecord rx, PatientRecord patient, string country) => new()
    {
        Id = rx.Id,
        Identifier = [new Identifier(PrescriptionIdentifierSystem(country), rx.Id)],
        Status = rx.Status == PrescriptionRecord.Completed ? MedicationRequest.MedicationrequestStatus.Completed : MedicationRequest.MedicationrequestStatus.Active,
        Intent = MedicationRequest.MedicationRequestIntent.Order,
        Medication = new CodeableConcept(FhirSystems.Atc, rx.AtcCode, rx.Display, rx.Display),
        Subject = new ResourceReference("Patient/" + patient.ResourceId, string.Join(' ', patient.GivenNames) + " " + patient.FamilyName)
        {
            Identifier = new Identifier(patient.IdentifierSystem, patient.NationalId),
        },
        AuthoredOn = rx.AuthoredOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        Requester = new ResourceReference { Display = rx.Prescriber },
        DosageInstruction = [new Dosage { Text = rx.DoseText }],
        DispenseRequest = new MedicationRequest.DispenseRequestComponent
        {
            Quantity = new Quantity { Value = rx.Quantity, Unit = rx.QuantityUnit },
        },
    };
}
