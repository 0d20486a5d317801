using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Konfido.Fhir;
using Konfido.Records;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Records.Tests;

/// <summary>
/// The contract every <see cref="INationalBackend"/> must meet, run over each implementation (subclasses below).
/// Each test gets a fresh store seeded with the Danish synthetic patients.
/// </summary>
public abstract class NationalBackendContractTests : IAsyncLifetime
{
    private RelationalNationalBackend? _backend;

    protected RelationalNationalBackend Backend => _backend ?? throw new InvalidOperationException("not initialised");

    /// <summary>Opens (creating if needed) the test's store for <paramref name="profile"/>; repeated calls reach the same database.</summary>
    protected abstract Task<RelationalNationalBackend> OpenAsync(CountryProfile profile);

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _backend = await OpenAsync(CountryProfile.Denmark);
        Assert.Equal(SyntheticPatients.PatientsPerCountry, await SyntheticPatients.SeedAsync(_backend));
    }

    public async Task DisposeAsync()
    {
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }

        await DisposeStoreAsync();
    }

    private static MedicationDispense Dispense(string prescriptionId = SyntheticPatients.DemoDanishCopdPrescription, string nationalId = SyntheticPatients.DemoDanishCopdPatient) =>
        EDispensation.Create(prescriptionId, nationalId, DanishCpr.System, "IT", "Farmacia Centrale, Roma", new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.FromHours(1)), 1, "inhaler");

    // ---- discovery ----------------------------------------------------------------------------

    [Fact]
    public void Serves_its_country() => Assert.Equal("DK", Backend.Country);

    [Fact]
    public async Task Finds_a_patient_by_national_identifier()
    {
        var patient = Assert.Single(await Backend.FindPatientsAsync(new PatientQuery(IdentifierValue: SyntheticPatients.DemoDanishCopdPatient)));
        Assert.Equal("Jensen", patient.Name.Single().Family);
        Assert.Equal(["Lars"], patient.Name.Single().Given);
        Assert.Equal("1956-03-12", patient.BirthDate);
        Assert.Equal(AdministrativeGender.Male, patient.Gender);
        Assert.Equal(DanishCpr.System, patient.Identifier.Single().System);
        Assert.Equal(SyntheticPatients.PatientResourceId("DK", SyntheticPatients.DemoDanishCopdPatient), patient.Id);

        Assert.Single(await Backend.FindPatientsAsync(new PatientQuery(DanishCpr.System, SyntheticPatients.DemoDanishCopdPatient)));
        Assert.Empty(await Backend.FindPatientsAsync(new PatientQuery(SpanishDni.System, SyntheticPatients.DemoDanishCopdPatient)));
    }

    [Fact]
    public async Task Finds_a_patient_by_family_name_and_birth_date()
    {
        var found = await Backend.FindPatientsAsync(new PatientQuery(FamilyName: "Jensen", BirthDate: SyntheticPatients.DemoDanishCopdBirthDate));
        var patient = Assert.Single(found);
        Assert.Equal(SyntheticPatients.DemoDanishCopdPatient, patient.Identifier.Single().Value);

        Assert.Empty(await Backend.FindPatientsAsync(new PatientQuery(FamilyName: "Jensen", BirthDate: new DateOnly(1901, 1, 1))));
    }

    [Fact]
    public async Task Every_seeded_patient_is_found_by_each_criterion_alone_and_all_together()
    {
        foreach (var file in SyntheticPatients.For("DK"))
        {
            var p = file.Patient;
            var id = p.NationalId;
            bool Has(IReadOnlyList<Patient> list) => list.Any(x => x.Identifier.Single().Value == id);
            Assert.True(Has(await Backend.FindPatientsAsync(new PatientQuery(FamilyName: p.FamilyName))), id);
            Assert.True(Has(await Backend.FindPatientsAsync(new PatientQuery(GivenName: p.GivenNames[0]))), id);
            Assert.True(Has(await Backend.FindPatientsAsync(new PatientQuery(BirthDate: p.BirthDate))), id);
            var all = await Backend.FindPatientsAsync(new PatientQuery(DanishCpr.System, id, p.FamilyName, p.GivenNames[0], p.BirthDate));
            Assert.Equal(id, Assert.Single(all).Identifier.Single().Value);
        }
    }

    [Fact]
    public async Task Names_match_on_a_case_insensitive_prefix_of_any_given_name_including_non_ascii()
    {
        await Backend.AddPatientAsync(new PatientFile(
            new PatientRecord("240485-2464", DanishCpr.System, "Østergård", ["Anne", "Sofie"], new DateOnly(1985, 4, 24), "female", "DK",
                ResourceId: SyntheticPatients.PatientResourceId("DK", "240485-2464")),
            null, [], [], [], []));

        Assert.Single(await Backend.FindPatientsAsync(new PatientQuery(FamilyName: "østergå")));
        Assert.Single(await Backend.FindPatientsAsync(new PatientQuery(FamilyName: "ØSTER", GivenName: "sof")));
        Assert.Single(await Backend.FindPatientsAsync(new PatientQuery(GivenName: "SOFIE", BirthDate: new DateOnly(1985, 4, 24))));
        Assert.Empty(await Backend.FindPatientsAsync(new PatientQuery(FamilyName: "stergård")));
        Assert.Empty(await Backend.FindPatientsAsync(new PatientQuery(GivenName: "ofie")));
    }

    [Theory]
    [InlineData("%")]
    [InlineData("_ensen")]
    [InlineData("J%")]
    [InlineData("\\")]
    public async Task Like_wildcards_in_names_are_literal(string family) =>
        Assert.Empty(await Backend.FindPatientsAsync(new PatientQuery(FamilyName: family)));

    [Fact]
    public async Task Discovery_without_criteria_is_rejected() =>
        await Assert.ThrowsAsync<ArgumentException>(() => Backend.FindPatientsAsync(new PatientQuery(IdentifierSystem: DanishCpr.System)));

    [Fact]
    public async Task An_unknown_patient_is_not_found_anywhere()
    {
        const string unknown = "010101-0001";
        Assert.Empty(await Backend.FindPatientsAsync(new PatientQuery(IdentifierValue: unknown)));
        Assert.Null(await Backend.GetPatientSummaryAsync(unknown));
        Assert.Null(await Backend.GetPrescriptionsAsync(unknown));
        Assert.Null(await Backend.GetPatientFileAsync(unknown));
    }

    // ---- patient summary ----------------------------------------------------------------------

    [Fact]
    public async Task The_ips_of_every_seeded_patient_passes_the_validator_in_json_and_xml()
    {
        foreach (var file in SyntheticPatients.For("DK"))
        {
            var bundle = await Backend.GetPatientSummaryAsync(file.Patient.NationalId);
            Assert.NotNull(bundle);
            foreach (var text in new[] { bundle.ToJson(), bundle.ToXml() })
            {
                var result = IpsValidator.Validate(text);
                Assert.True(result.IsValid, file.Patient.NationalId + ": " + string.Join("; ", result.Issues));
                Assert.True(result.IsPatientSummary);
            }

            var patient = bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single();
            Assert.Equal(file.Patient.NationalId, patient.Identifier.Single().Value);
            Assert.Equal(file.Conditions.Count, bundle.Entry.Count(e => e.Resource is Condition));
            Assert.Equal(file.Medications.Count, bundle.Entry.Count(e => e.Resource is MedicationStatement));
        }
    }

    [Fact]
    public async Task The_demo_patients_ips_carries_copd_penicillin_and_the_inhaler()
    {
        var bundle = await Backend.GetPatientSummaryAsync(SyntheticPatients.DemoDanishCopdPatient);
        var resources = bundle!.Entry.Select(e => e.Resource).ToList();
        Assert.Contains(resources.OfType<Condition>(), c => c.Code.Coding.Any(x => x.System == FhirSystems.Snomed && x.Code == "13645005"));
        Assert.Contains(resources.OfType<Condition>(), c => c.Code.Coding.Any(x => x.System == FhirSystems.Icd10 && x.Code == "J44.9"));
        Assert.Contains(resources.OfType<AllergyIntolerance>(), a => a.Code.Text == "Penicillin");
        Assert.Contains(resources.OfType<Medication>(), m => m.Code.Coding.Any(x => x.System == FhirSystems.Atc && x.Code == "R03AK06"));
        Assert.Contains(resources.OfType<Organization>(), o => o.Name.StartsWith("Sundhedsdatastyrelsen", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_patient_with_no_known_allergies_gets_an_empty_reason()
    {
        var none = SyntheticPatients.For("DK").First(f => f.Allergies.Count == 0);
        var bundle = await Backend.GetPatientSummaryAsync(none.Patient.NationalId);
        var allergies = ((Composition)bundle!.Entry[0].Resource).Section.Single(s => s.Code.Coding[0].Code == IpsCodes.AllergiesSection);
        Assert.Empty(allergies.Entry);
        Assert.Equal("nilknown", allergies.EmptyReason.Coding.Single().Code);
    }

    // ---- prescriptions ------------------------------------------------------------------------

    [Fact]
    public async Task Lists_the_patients_prescriptions_as_medication_requests()
    {
        var requests = await Backend.GetPrescriptionsAsync(SyntheticPatients.DemoDanishCopdPatient);
        Assert.NotNull(requests);
        Assert.Equal(3, requests.Count);
        var inhaler = requests.Single(r => r.Id == SyntheticPatients.DemoDanishCopdPrescription);
        Assert.Equal(MedicationRequest.MedicationrequestStatus.Active, inhaler.Status);
        Assert.Equal(MedicationRequest.MedicationRequestIntent.Order, inhaler.Intent);
        Assert.Equal(SyntheticPatients.DemoDanishCopdPrescription, inhaler.Identifier.Single().Value);
        var medication = Assert.IsType<CodeableConcept>(inhaler.Medication);
        Assert.Equal(FhirSystems.Atc, medication.Coding.Single().System);
        Assert.Equal("R03AK06", medication.Coding.Single().Code);
        Assert.Equal("Patient/" + SyntheticPatients.PatientResourceId("DK", SyntheticPatients.DemoDanishCopdPatient), inhaler.Subject.Reference);
        Assert.Equal(SyntheticPatients.DemoDanishCopdPatient, inhaler.Subject.Identifier.Value);
        Assert.Equal(DanishCpr.System, inhaler.Subject.Identifier.System);
        Assert.False(string.IsNullOrWhiteSpace(inhaler.DosageInstruction.Single().Text));
        Assert.Equal(1m, inhaler.DispenseRequest.Quantity.Value);
        Assert.False(string.IsNullOrWhiteSpace(inhaler.Requester.Display));
        Assert.NotNull(inhaler.AuthoredOn);

        // Every seeded patient has one to three active prescriptions, all valid FHIR.
        foreach (var file in SyntheticPatients.For("DK"))
        {
            var list = await Backend.GetPrescriptionsAsync(file.Patient.NationalId);
            Assert.InRange(list!.Count, 1, 3);
            Assert.All(list, r => Assert.True(FhirResourceParser.Parse(r.ToJson()).IsValid));
        }
    }

    // ---- dispensation -------------------------------------------------------------------------

    [Fact]
    public async Task A_prescription_is_dispensed_exactly_once()
    {
        var first = await Backend.DispenseAsync(Dispense());
        Assert.Equal(DispenseStatus.Dispensed, first.Status);
        Assert.NotNull(first.Stored);
        Assert.False(string.IsNullOrEmpty(first.Stored.Id));
        Assert.Equal("MedicationRequest/" + SyntheticPatients.DemoDanishCopdPrescription, first.Stored.AuthorizingPrescription.Single().Reference);
        Assert.Equal(MedicationDispense.MedicationDispenseStatusCodes.Completed, first.Stored.Status);
        Assert.Equal(SyntheticPatients.DemoDanishCopdPatient, first.Stored.Subject.Identifier.Value);
        Assert.True(FhirResourceParser.Parse(first.Stored.ToJson()).IsValid);

        var second = await Backend.DispenseAsync(Dispense());
        Assert.Equal(DispenseStatus.AlreadyDispensed, second.Status);
        Assert.Null(second.Stored);
        Assert.False(string.IsNullOrWhiteSpace(second.Reason));

        var requests = await Backend.GetPrescriptionsAsync(SyntheticPatients.DemoDanishCopdPatient);
        Assert.Equal(MedicationRequest.MedicationrequestStatus.Completed, requests!.Single(r => r.Id == SyntheticPatients.DemoDanishCopdPrescription).Status);
        Assert.Equal(2, requests.Count(r => r.Status == MedicationRequest.MedicationrequestStatus.Active));
    }

    [Fact]
    public async Task Concurrent_submissions_dispense_exactly_once()
    {
        using var start = new ManualResetEventSlim(false);
        var submissions = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await Backend.DispenseAsync(Dispense());
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(submissions);
        Assert.Single(results, r => r.Status == DispenseStatus.Dispensed);
        Assert.Equal(7, results.Count(r => r.Status == DispenseStatus.AlreadyDispensed));
    }

    [Fact]
    public async Task Unknown_prescriptions_and_patients_are_reported_as_such()
    {
        Assert.Equal(DispenseStatus.UnknownPrescription, (await Backend.DispenseAsync(Dispense("dk-rx-999-9"))).Status);

        // A real prescription, but of another patient.
        var other = SyntheticPatients.For("DK")[1];
        Assert.Equal(DispenseStatus.UnknownPrescription, (await Backend.DispenseAsync(Dispense(other.Prescriptions[0].Id))).Status);
        Assert.Equal(DispenseStatus.UnknownPrescription, (await Backend.DispenseAsync(Dispense(nationalId: other.Patient.NationalId))).Status);

        Assert.Equal(DispenseStatus.UnknownPrescription, (await Backend.DispenseAsync(Dispense(nationalId: "010101-0001"))).Status);

        var wrongSystem = Dispense();
        wrongSystem.Subject.Identifier.System = SpanishDni.System;
        Assert.Equal(DispenseStatus.UnknownPrescription, (await Backend.DispenseAsync(wrongSystem)).Status);

        // Nothing of that was recorded.
        Assert.Equal(DispenseStatus.Dispensed, (await Backend.DispenseAsync(Dispense())).Status);
    }

    public static TheoryData<string> Malformations => new()
    {
        "no authorizingPrescription", "authorizingPrescription to a Patient", "no subject identifier", "no location",
        "location without country", "status in-progress", "zero quantity", "fractional quantity",
    };

    [Theory]
    [MemberData(nameof(Malformations))]
    public async Task Malformed_dispensations_are_invalid_and_change_nothing(string malformation)
    {
        var d = Dispense();
        switch (malformation)
        {
            case "no authorizingPrescription": d.AuthorizingPrescription.Clear(); break;
            case "authorizingPrescription to a Patient": d.AuthorizingPrescription[0].Reference = "Patient/" + SyntheticPatients.DemoDanishCopdPrescription; break;
            case "no subject identifier": d.Subject = new ResourceReference("Patient/x"); break;
            case "no location": d.Location = null; break;
            case "location without country": ((Location)d.Contained[0]).Address.Country = null; break;
            case "status in-progress": d.Status = MedicationDispense.MedicationDispenseStatusCodes.InProgress; break;
            case "zero quantity": d.Quantity.Value = 0; break;
            case "fractional quantity": d.Quantity.Value = 1.5m; break;
        }

        var result = await Backend.DispenseAsync(d);
        Assert.Equal(DispenseStatus.Invalid, result.Status);
        Assert.False(string.IsNullOrWhiteSpace(result.Reason));
        Assert.Equal(DispenseStatus.Dispensed, (await Backend.DispenseAsync(Dispense())).Status);
    }

    [Fact]
    public async Task A_null_dispense_is_misuse() =>
        await Assert.ThrowsAsync<ArgumentNullException>(() => Backend.DispenseAsync(null!));

    // ---- store ---------------------------------------------------------------------------------

    [Fact]
    public async Task Seeding_again_adds_nothing()
    {
        Assert.Equal(0, await SyntheticPatients.SeedAsync(Backend));
        Assert.Equal(SyntheticPatients.PatientsPerCountry, await Backend.CountPatientsAsync());
    }

    [Fact]
    public async Task Countries_sharing_a_database_see_only_their_own_patients()
    {
        await using var spain = await OpenAsync(CountryProfile.Spain);
        Assert.Equal(SyntheticPatients.PatientsPerCountry, await SyntheticPatients.SeedAsync(spain));
        var spaniard = SyntheticPatients.For("ES")[0].Patient;

        Assert.Single(await spain.FindPatientsAsync(new PatientQuery(IdentifierValue: spaniard.NationalId)));
        Assert.Empty(await Backend.FindPatientsAsync(new PatientQuery(IdentifierValue: spaniard.NationalId)));
        Assert.Empty(await spain.FindPatientsAsync(new PatientQuery(IdentifierValue: SyntheticPatients.DemoDanishCopdPatient)));
        Assert.Null(await Backend.GetPatientSummaryAsync(spaniard.NationalId));
        Assert.True(IpsValidator.Validate((await spain.GetPatientSummaryAsync(spaniard.NationalId))!.ToJson()).IsValid);
    }

    [Fact]
    public async Task A_patient_of_another_country_or_system_is_refused()
    {
        var spaniard = SyntheticPatients.For("ES")[0];
        await Assert.ThrowsAsync<ArgumentException>(() => Backend.AddPatientAsync(spaniard));
        var wrongSystem = spaniard with { Patient = spaniard.Patient with { Country = "DK" } };
        await Assert.ThrowsAsync<ArgumentException>(() => Backend.AddPatientAsync(wrongSystem));

        var dane = SyntheticPatients.For("DK")[0];
        var fresh = dane.Patient with { NationalId = "240485-2464", ResourceId = Guid.NewGuid().ToString() };
        await Assert.ThrowsAsync<ArgumentException>(() => Backend.AddPatientAsync(dane with { Patient = fresh with { Gender = "M" } }));
        await Assert.ThrowsAsync<ArgumentException>(() => Backend.AddPatientAsync(dane with { Patient = fresh with { GivenNames = [] } }));
        Assert.Empty(await Backend.FindPatientsAsync(new PatientQuery(IdentifierValue: "240485-2464")));
    }

    [Fact]
    public async Task A_store_reopened_keeps_its_data_and_dispensations()
    {
        Assert.Equal(DispenseStatus.Dispensed, (await Backend.DispenseAsync(Dispense())).Status);
        await using var again = await OpenAsync(CountryProfile.Denmark);
        Assert.Equal(SyntheticPatients.PatientsPerCountry, await again.CountPatientsAsync());
        Assert.Equal(DispenseStatus.AlreadyDispensed, (await again.DispenseAsync(Dispense())).Status);
    }
}

public sealed class SqliteNationalBackendTests : NationalBackendContractTests
{
    private readonly Konfido.Testing.TemporaryDirectory _dir = new("konfido-records");

    protected override async Task<RelationalNationalBackend> OpenAsync(CountryProfile profile) =>
        await SqliteNationalBackend.OpenFileAsync(_dir.File("national.db"), profile);

    protected override Task DisposeStoreAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_probe_answers_and_fails_once_the_file_cannot_be_opened()
    {
        await Backend.ProbeAsync();
        await using var gone = await SqliteNationalBackend.OpenFileAsync(_dir.File("gone.db"), CountryProfile.Denmark);
        await gone.ProbeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(_dir.File("gone.db"));
        Directory.CreateDirectory(_dir.File("gone.db")); // a folder where the file was: no connection opens
        var error = await Assert.ThrowsAnyAsync<Exception>(() => gone.ProbeAsync());
        Assert.IsAssignableFrom<System.Data.Common.DbException>(error);
    }

    [Fact]
    public async Task The_file_uses_the_wal_journal()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + _dir.File("national.db"));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }
}

public sealed class PostgresNationalBackendTests : NationalBackendContractTests
{
    private Konfido.Testing.PostgresDatabase? _database;

    protected override async Task<RelationalNationalBackend> OpenAsync(CountryProfile profile)
    {
        _database ??= await Konfido.Testing.PostgresDatabase.CreateAsync("konfido_records");
        return await PostgresNationalBackend.OpenAsync(_database.ConnectionString, profile);
    }

    [Fact]
    public async Task The_probe_answers_while_the_database_exists_and_throws_a_database_error_once_it_is_gone()
    {
        await Backend.ProbeAsync();
        await _database!.DisposeAsync(); // dropped WITH (FORCE): open connections are cut as well
        var error = await Assert.ThrowsAnyAsync<Exception>(() => Backend.ProbeAsync());
        Assert.IsAssignableFrom<System.Data.Common.DbException>(error);
    }

    protected override async Task DisposeStoreAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
