#nullable disable warnings
using Hl7.Fhir.Model;
using Konfido.Core;
using Konfido.Eid.CrossBorder;
using Konfido.Exchange;
using Konfido.Ihe.Gateway;
using Konfido.Node;
using Konfido.Policy.Consent;
using Konfido.Records;
using Konfido.Testing;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Ihe.Tests;

/// <summary>A national back end with one Danish patient (an IPS from the FHIR builder), one prescription, single dispensation.</summary>
internal sealed class IheTestBackend(string country) : INationalBackend
{
    public string Country { get; } = country;

    public const string PatientId = "0101701234";
    public const string PrescriptionId = "rx-1";
    private int _dispensed;

    public List<MedicationDispense> Dispensed { get; } = [];

    public Task<IReadOnlyList<Patient>> FindPatientsAsync(PatientQuery query, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<Patient>>(query.IdentifierValue == PatientId || query.FamilyName == "Hansen"
            ? [TransformationTests.KonfidoIps().Entry.Select(e => e.Resource).OfType<Patient>().Single()]
            : []);

    public Task<Bundle> GetPatientSummaryAsync(string nationalId, CancellationToken cancellationToken = default) =>
        Task.FromResult(nationalId == PatientId ? TransformationTests.KonfidoIps() : null);

    public Task<IReadOnlyList<MedicationRequest>> GetPrescriptionsAsync(string nationalId, CancellationToken cancellationToken = default)
    {
        if (nationalId != PatientId)
        {
            return Task.FromResult<IReadOnlyList<MedicationRequest>>(null);
        }

        var rx = TransformationTests.Prescription(PrescriptionId, "R03AC12", "Salmeterol", "2 inhalations twice daily", 1);
        rx.Status = Volatile.Read(ref _dispensed) == 0 ? MedicationRequest.MedicationrequestStatus.Active : MedicationRequest.MedicationrequestStatus.Completed;
        return Task.FromResult<IReadOnlyList<MedicationRequest>>([rx]);
    }

    public Task<DispenseResult> DispenseAsync(MedicationDispense dispense, CancellationToken cancellationToken = default)
    {
        if (dispense.AuthorizingPrescription.FirstOrDefault()?.Reference != "MedicationRequest/" + PrescriptionId || dispense.Subject?.Identifier?.Value != PatientId)
        {
            return Task.FromResult(new DispenseResult(DispenseStatus.UnknownPrescription, "no such prescription"));
        }

        if (dispense.Location?.Reference != "#dispensing-location" || dispense.Contained.OfType<Location>().SingleOrDefault()?.Address?.Country is not { Length: 2 })
        {
            return Task.FromResult(new DispenseResult(DispenseStatus.Invalid, "no dispensing country"));
        }

        if (Interlocked.Exchange(ref _dispensed, 1) == 1)
        {
            return Task.FromResult(new DispenseResult(DispenseStatus.AlreadyDispensed, "already dispensed"));
        }

        lock (Dispensed)
        {
            Dispensed.Add(dispense);
        }

        dispense.Id = "md-1";
        return Task.FromResult(new DispenseResult(DispenseStatus.Dispensed, null, dispense));
    }
}

/// <summary>
/// Three in-process Konfido nodes (DK, ES, IT) over real mutual TLS, with the countries in
/// <paramref name="iheCountries"/> flagged <c>protocol: ihe</c> in the trust list (OpenNCP mode).
/// </summary>
internal sealed class IheFederation : IAsyncDisposable
{
    private readonly TemporaryDirectory _directory = new("konfido-ihe-test");

    public InMemorySecurityEventSink Events { get; } = new();

    public Dictionary<string, IheTestBackend> Backends { get; } = new(StringComparer.OrdinalIgnoreCase);

    public LocalFederation Federation { get; private set; }

    public KonfidoNode this[string country] => Federation[country];

    public static Task<IheFederation> StartAsync(params string[] iheCountries) => StartAsync(IheEndpoints.Protocol, iheCountries);

    public static async Task<IheFederation> StartAsync(string protocol, string[] iheCountries)
    {
        var test = new IheFederation();
        test.Federation = await LocalFederation.StartAsync(test._directory.Path, [("DK", "DK NCP"), ("ES", "ES NCP"), ("IT", "IT NCP")],
            (_, country) => test.Backends[country] = new IheTestBackend(country),
            _ => test.Events,
            configure: c => c with { TrustList = Konfido.Node.Ihe.OpenNcpMode.ApplyProtocol(c.TrustList, protocol, iheCountries) });
        foreach (var node in test.Federation.Nodes.Values)
        {
            if (node.Policy is { } policy)
            {
                var granted = await policy.Consents.GrantAsync(new ConsentGrant(IheTestBackend.PatientId, ConsentEffect.Permit, [], [], DateTimeOffset.UtcNow.AddMinutes(-5), null));
                Assert.True(granted.Succeeded, string.Join("; ", granted.Errors));
            }
        }

        return test;
    }

    public Task<HttpClient> DoctorAsync(string country) => Federation.LoginAsync(country, DemoProfessionals.Identifier(country, HcpRole.Doctor));

    public Task<HttpClient> PharmacistAsync(string country) => Federation.LoginAsync(country, DemoProfessionals.Identifier(country, HcpRole.Pharmacist));

    public IReadOnlyList<SecurityEvent> EventsOf(string node, string action) => Events.Events.Where(e => e.Node == node && e.Action == action).ToList();

    public async ValueTask DisposeAsync()
    {
        await Federation.DisposeAsync();
        _directory.Dispose();
    }
}
