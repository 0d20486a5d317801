using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Konfido.Records;

namespace Konfido.Node.Tests;

/// <summary>
/// A small national back end for node tests: one patient, one prescription, an optional delay to
/// simulate a slow back end. The real SQLite/PostgreSQL back ends have their own contract tests.
/// </summary>
internal sealed class ScriptedBackend(string country) : INationalBackend
{
    public const string PatientId = "010170-1234";
    public const string PrescriptionId = "rx-1";
    private int _dispensed;

    public string Country { get; } = country;

    public TimeSpan Delay { get; set; } = TimeSpan.Zero;

    public async Task<IReadOnlyList<Patient>> FindPatientsAsync(PatientQuery query, CancellationToken cancellationToken = default)
    {
        await Task.Delay(Delay, cancellationToken);
        return query.IdentifierValue == PatientId || query.FamilyName == "Jensen" ? [MakePatient()] : [];
    }

    /// <summary>How many times a Patient Summary was read (access checks must precede any read).</summary>
    public int SummaryReads => Volatile.Read(ref _summaryReads);

    private int _summaryReads;

    /// <summary>When set, summary reads throw it (a database outage, or a query's own error).</summary>
    public Exception? Failure { get; set; }

    public async Task<Bundle?> GetPatientSummaryAsync(string nationalId, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _summaryReads);
        if (Failure is { } failure)
        {
            throw failure;
        }

        await Task.Delay(Delay, cancellationToken);
        if (nationalId != PatientId)
        {
            return null;
        }

        return new Bundle
        {
            Type = Bundle.BundleType.Document,
            Identifier = new Identifier("urn:ietf:rfc:3986", "urn:uuid:" + Guid.NewGuid()),
            Timestamp = DateTimeOffset.UtcNow,
            Entry = [new Bundle.EntryComponent { FullUrl = "urn:uuid:" + Guid.NewGuid(), Resource = MakePatient() }],
        };
    }

    public async Task<IReadOnlyList<MedicationRequest>?> GetPrescriptionsAsync(string nationalId, CancellationToken cancellationToken = default)
    {
        await Task.Delay(Delay, cancellationToken);
        return nationalId != PatientId ? null :
        [
            new MedicationRequest
            {
                Id = PrescriptionId,
                Status = Interlocked.CompareExchange(ref _dispensed, 0, 0) == 0 ? MedicationRequest.MedicationrequestStatus.Active : MedicationRequest.MedicationrequestStatus.Completed,
                Intent = MedicationRequest.MedicationRequestIntent.Order,
                Medication = new CodeableConcept("http://www.whocc.no/atc", "R03AK06", "salmeterol and fluticasone"),
                Subject = new ResourceReference { Identifier = new Identifier("urn:oid:1.2.208.176.1.2", PatientId) },
            },
        ];
    }

    public Task<DispenseResult> DispenseAsync(MedicationDispense dispense, CancellationToken cancellationToken = default)
    {
        var reference = dispense.AuthorizingPrescription.FirstOrDefault()?.Reference;
        if (reference != $"MedicationRequest/{PrescriptionId}")
        {
            return Task.FromResult(new DispenseResult(DispenseStatus.UnknownPrescription, "no such prescription"));
        }

        if (Interlocked.Exchange(ref _dispensed, 1) == 1)
        {
            return Task.FromResult(new DispenseResult(DispenseStatus.AlreadyDispensed, "already dispensed"));
        }

        dispense.Id = "md-1";
        return Task.FromResult(new DispenseResult(DispenseStatus.Dispensed, null, dispense));
    }

    private static Patient MakePatient() => new()
    {
        Id = "dk-1",
        Identifier = [new Identifier("urn:oid:1.2.208.176.1.2", PatientId)],
        Name = [new HumanName { Family = "Jensen", Given = ["Lars"] }],
        BirthDate = "1970-01-01",
    };
}
