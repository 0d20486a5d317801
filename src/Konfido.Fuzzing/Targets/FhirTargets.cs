using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Konfido.Exchange;
using Konfido.Fhir;
using Konfido.Records;

namespace Konfido.Fuzzing.Targets;

/// <summary>The sample clinical data the FHIR seeds are built from (the COPD patient of the reference story).</summary>
internal static class FhirSamples
{
    public static readonly DateTimeOffset Timestamp = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);

    public static readonly PatientRecord Patient = new("120356-1237", "urn:oid:1.2.208.176.1.2", "Jensen", ["Lars", "Ole"], new DateOnly(1956, 3, 12), "male", "DK", "København", "Nørregade 1", "1165");

    public static Bundle PatientSummary(bool full) => PatientSummaryBuilder.Build(
        new PatientSummaryInput(
            Patient,
            full ? [new ConditionRecord("Chronic obstructive pulmonary disease", "13645005", "J44.9", new DateOnly(2015, 5, 1)), new ConditionRecord("Hypertension", "38341003", "I10")] : [],
            full ? [new AllergyRecord("Penicillin", "764146007", "medication", "high", "Urticaria")] : [],
            [new MedicationRecord("R03AK06", "salmeterol and fluticasone", "1 inhalation twice daily", new DateOnly(2020, 1, 15))],
            new AuthorRecord("Sundhedsdatastyrelsen", "DK", "Hansen", "Mette")),
        Timestamp,
        new Guid("8d0f8b2e-5d1c-4b8e-9a51-0c2f7e3d4b61"));
}

/// <summary>FHIR R4 JSON/XML parse and IPS validation (<see cref="IpsValidator.Validate(string)"/>: never throws for bad input).</summary>
public sealed class FhirIpsTarget : TextFuzzTarget
{
    /// <inheritdoc />
    public override string Name => "fhir-ips";

    /// <inheritdoc />
    public override string Description => "FHIR R4 JSON/XML parsing and IPS Bundle validation (IpsValidator.Validate); invariant: a valid resource re-serialises to JSON that parses back valid";

    /// <inheritdoc />
    public override InputShape Shape => InputShape.Json;

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary =>
        ["\"resourceType\"", "\"Bundle\"", "\"Composition\"", "\"Patient\"", "\"reference\"", "\"urn:uuid:", "\"fullUrl\"", "\"entry\"", "\"section\"",
         "\"div\"", "<div xmlns=\"http://www.w3.org/1999/xhtml\">", "\"contained\"", "\"#", "\"extension\"", "\"valueString\"", "\"_birthDate\"", "60591-5", "11450-4", "48765-2", "10160-0"];

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds()
    {
        yield return FhirSamples.PatientSummary(full: true).ToJson();
        yield return FhirSamples.PatientSummary(full: false).ToJson();
        yield return FhirSamples.PatientSummary(full: true).ToXml();
        yield return "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"birthDate\":\"1956-03-12\",\"name\":[{\"family\":\"Jensen\"}]}";
        yield return "{\"resourceType\":\"Bundle\",\"type\":\"document\",\"entry\":[]}";
        yield return "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"p1\"/></Patient>";
    }

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        var result = IpsValidator.Validate(text);
        if (!result.IsValid)
        {
            return FuzzResult.Reject(result.Issues.FirstOrDefault(i => i.IsError)?.Message);
        }

        // A resource accepted without errors must survive a write and a re-read.
        var resource = result.Resource!;
        var written = resource.ToJson();
        var again = FhirResourceParser.Parse(written);
        if (!again.IsWellFormed)
        {
            throw new FuzzInvariantException("fhir-roundtrip", $"an accepted {resource.TypeName} re-serialises to JSON that does not parse: {again.Issues.FirstOrDefault()}");
        }

        return FuzzResult.Accept;
    }
}

/// <summary>
/// The wire parser of ePrescription and eDispensation bodies (<see cref="FhirJson.Parse{T}"/>: documented failure
/// <see cref="FhirFormatException"/>), for MedicationRequest and MedicationDispense.
/// </summary>
public sealed class FhirMedicationTarget : FuzzTarget
{
    /// <inheritdoc />
    public override string Name => "fhir-medication";

    /// <inheritdoc />
    public override string Description => "FHIR JSON wire parsing of MedicationRequest/MedicationDispense (Exchange FhirJson.Parse); invariant: an accepted resource serialises and parses back";

    /// <inheritdoc />
    public override InputShape Shape => InputShape.Json;

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary =>
        ["\"resourceType\"", "\"MedicationRequest\"", "\"MedicationDispense\"", "\"contained\"", "\"quantity\"", "\"value\"", "\"whenHandedOver\"", "\"dosageInstruction\"", "\"authorizingPrescription\""];

    /// <inheritdoc />
    public override FuzzResult Run(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Resource resource;
        try
        {
            resource = input.Length > 0 && input[0] == (byte)'D' ? FhirJson.Parse<MedicationDispense>(input.AsSpan(1)) : FhirJson.Parse<MedicationRequest>(input);
        }
        catch (FhirFormatException ex)
        {
            return FuzzResult.Reject(ex.Message);
        }

        var bytes = FhirJson.Serialize(resource);
        try
        {
            _ = FhirJson.Parse<Resource>(bytes);
        }
        catch (FhirFormatException ex)
        {
            throw new FuzzInvariantException("fhir-wire-roundtrip", $"an accepted {resource.TypeName} serialises to JSON that does not parse: {ex.Message}");
        }

        return FuzzResult.Accept;
    }

    /// <inheritdoc />
    protected override IEnumerable<byte[]> CreateSeeds()
    {
        var request = new MedicationRequest
        {
            Id = "rx-1",
            Status = MedicationRequest.MedicationrequestStatus.Active,
            Intent = MedicationRequest.MedicationRequestIntent.Order,
            Identifier = [new Identifier("urn:konfido:dk:eprescription", "rx-1")],
            Medication = new CodeableConcept("http://www.whocc.no/atc", "R03AK06", "salmeterol and fluticasone"),
            Subject = new ResourceReference { Identifier = new Identifier(FhirSamples.Patient.IdentifierSystem, FhirSamples.Patient.NationalId) },
            AuthoredOn = "2026-02-20",
            Requester = new ResourceReference { Display = "Dr. Hansen" },
            DosageInstruction = [new Dosage { Text = "1 inhalation twice daily" }],
            DispenseRequest = new MedicationRequest.DispenseRequestComponent { Quantity = new Quantity(1, "inhaler") },
        };
        yield return FhirJson.Serialize(request);
        var dispense = EDispensation.Create("rx-1", FhirSamples.Patient.NationalId, FhirSamples.Patient.IdentifierSystem, "ES", "Farmacia Central, Barcelona", FhirSamples.Timestamp, 1, "inhaler");
        yield return [(byte)'D', .. FhirJson.Serialize(dispense)];
        yield return Encoding.UTF8.GetBytes("{\"resourceType\":\"MedicationRequest\",\"status\":\"active\",\"intent\":\"order\",\"subject\":{\"reference\":\"Patient/1\"}}");
    }
}
