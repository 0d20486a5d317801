using Hl7.Fhir.Serialization;
using Konfido.Fhir;
using Konfido.Records;
using Konfido.Testing;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Records.Tests;

public sealed class InMemoryAndFactoryTests
{
    [Fact]
    public async Task In_memory_sqlite_serves_a_valid_ips_and_dispenses_once_under_concurrency()
    {
        await using var backend = await NationalBackendFactory.OpenAsync(NationalBackendFactory.Sqlite, ":memory:", "dk");
        Assert.IsType<SqliteNationalBackend>(backend);
        Assert.Equal(SyntheticPatients.PatientsPerCountry, await backend.CountPatientsAsync());
        Assert.True(IpsValidator.Validate((await backend.GetPatientSummaryAsync(SyntheticPatients.DemoDanishCopdPatient))!.ToJson()).IsValid);

        var dispense = EDispensation.Create(SyntheticPatients.DemoDanishCopdPrescription, SyntheticPatients.DemoDanishCopdPatient, null, "ES", "Farmacia", DateTimeOffset.UtcNow);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => backend.DispenseAsync(dispense))));
        Assert.Single(results, r => r.Status == DispenseStatus.Dispensed);
        Assert.Equal(7, results.Count(r => r.Status == DispenseStatus.AlreadyDispensed));
    }

    [Fact]
    public async Task A_damaged_dispense_from_a_failed_parse_is_invalid_not_an_exception()
    {
        await using var backend = await NationalBackendFactory.OpenAsync(NationalBackendFactory.Sqlite, ":memory:", "DK");
        var json = EDispensation.Create(SyntheticPatients.DemoDanishCopdPrescription, SyntheticPatients.DemoDanishCopdPatient, null, "ES", "Farmacia", DateTimeOffset.UtcNow)
            .ToJson().Replace("\"completed\"", "\"handed-over-twice\"", StringComparison.Ordinal);
        var parsed = FhirResourceParser.Parse(json);
        Assert.False(parsed.IsValid);
        var result = await backend.DispenseAsync((Hl7.Fhir.Model.MedicationDispense)parsed.Resource!);
        Assert.Equal(DispenseStatus.Invalid, result.Status);
        Assert.Equal(DispenseStatus.Dispensed, (await backend.DispenseAsync(EDispensation.Create(SyntheticPatients.DemoDanishCopdPrescription, SyntheticPatients.DemoDanishCopdPatient, null, "ES", "Farmacia", DateTimeOffset.UtcNow))).Status);
    }

    [Fact]
    public async Task Two_in_memory_stores_are_separate()
    {
        await using var a = await NationalBackendFactory.OpenAsync("SQLite", "", "DK");
        await using var b = await NationalBackendFactory.OpenAsync("sqlite", ":memory:", "DK", seedSyntheticPatients: false);
        Assert.Equal(SyntheticPatients.PatientsPerCountry, await a.CountPatientsAsync());
        Assert.Equal(0, await b.CountPatientsAsync());
    }

    [Fact]
    public async Task Factory_opens_sqlite_files_and_postgres_and_seeds_once()
    {
        using var dir = new TemporaryDirectory("konfido-factory");
        await using (var file = await NationalBackendFactory.OpenAsync("sqlite", dir.File("it.db"), "IT"))
        {
            Assert.Equal("IT", file.Country);
            Assert.Equal(SyntheticPatients.PatientsPerCountry, await file.CountPatientsAsync());
        }

        await using (var reopened = await NationalBackendFactory.OpenAsync("sqlite", dir.File("it.db"), "IT"))
        {
            Assert.Equal(SyntheticPatients.PatientsPerCountry, await reopened.CountPatientsAsync());
        }

        await using var database = await PostgresDatabase.CreateAsync("konfido_factory");
        await using var postgres = await NationalBackendFactory.OpenAsync("postgresql", database.ConnectionString, "ES");
        Assert.IsType<PostgresNationalBackend>(postgres);
        Assert.Equal(SyntheticPatients.PatientsPerCountry, await postgres.CountPatientsAsync());
    }

    [Fact]
    public async Task Factory_explains_bad_kinds_and_countries()
    {
        var kind = await Assert.ThrowsAsync<ArgumentException>(() => NationalBackendFactory.OpenAsync("oracle", "x", "DK"));
        Assert.Contains("oracle", kind.Message, StringComparison.Ordinal);
        var country = await Assert.ThrowsAsync<ArgumentException>(() => NationalBackendFactory.OpenAsync("sqlite", ":memory:", "FR"));
        Assert.Contains("FR", country.Message, StringComparison.Ordinal);
    }
}
