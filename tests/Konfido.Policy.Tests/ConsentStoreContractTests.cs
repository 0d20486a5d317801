using Konfido.Policy.Consent;
using Konfido.Testing;

namespace Konfido.Policy.Tests;

/// <summary>Contract tests run over every <see cref="IConsentStore"/> implementation.</summary>
public sealed class ConsentStoreContractTests : IAsyncLifetime
{
    private readonly TemporaryDirectory _dir = new("konfido-consent");

    public static TheoryData<string> Stores => new() { "memory", "sqlite", "postgres" };

    private readonly List<IAsyncDisposable> _resources = [];

    private async Task<IConsentStore> CreateAsync(string kind)
    {
        switch (kind)
        {
            case "memory":
                return new InMemoryConsentStore(new ManualClock(Fixtures.Now));
            case "sqlite":
                return new SqliteConsentStore($"Data Source={_dir.File("consent.db")}", new ManualClock(Fixtures.Now));
            default:
                var database = await PostgresDatabase.CreateAsync("konfido_consent");
                var source = Npgsql.NpgsqlDataSource.Create(database.ConnectionString);
                _resources.Add(source);
                _resources.Add(database);
                return await PostgresConsentStore.OpenAsync(source, new ManualClock(Fixtures.Now));
        }
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Versions_are_numbered_and_history_is_kept(string kind)
    {
        var store = await CreateAsync(kind);
        var consent = ConsentDocument.Create(Fixtures.Terms("c1", ConsentEffect.Permit, [PurposeOfUse.Treatment], ["ES"]));
        var v1 = await store.SaveAsync(consent);
        consent.Status = Hl7.Fhir.Model.Consent.ConsentState.Inactive;
        var v2 = await store.SaveAsync(consent);
        await store.SaveAsync(ConsentDocument.Create(Fixtures.Terms("c2", ConsentEffect.Deny)));
        await store.SaveAsync(ConsentDocument.Create(Fixtures.Terms("other", ConsentEffect.Deny, patient: "IT-9")));

        Assert.Equal("1", v1.Meta!.VersionId);
        Assert.Equal("2", v2.Meta!.VersionId);
        var current = await store.ListAsync("DK-0101");
        Assert.Equal(["c1", "c2"], current.Select(c => c.Id));
        Assert.Equal(Hl7.Fhir.Model.Consent.ConsentState.Inactive, current[0].Status);
        var history = await store.HistoryAsync("DK-0101");
        Assert.Equal(["c1", "c1", "c2"], history.Select(c => c.Id));
        Assert.Equal(Hl7.Fhir.Model.Consent.ConsentState.Active, history[0].Status);
        Assert.Equal("2", (await store.GetAsync("c1"))!.Meta!.VersionId);
        Assert.Null(await store.GetAsync("missing"));
        Assert.Empty(await store.ListAsync("nobody"));
        Assert.Equal(0, await store.RevisionAsync("nobody"));
        var before = await store.RevisionAsync("DK-0101");
        Assert.True(before > 0);
        await store.SaveAsync(ConsentDocument.Create(Fixtures.Terms("other-2", ConsentEffect.Deny, patient: "IT-9")));
        Assert.Equal(before, await store.RevisionAsync("DK-0101"));
        await store.SaveAsync(ConsentDocument.Create(Fixtures.Terms("c3", ConsentEffect.Deny)));
        Assert.True(await store.RevisionAsync("DK-0101") > before);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Stored_consent_round_trips_through_FHIR_JSON(string kind)
    {
        var store = await CreateAsync(kind);
        var terms = Fixtures.Terms("c1", ConsentEffect.Permit, [PurposeOfUse.Treatment, PurposeOfUse.Emergency], ["ES", "IT"], until: Fixtures.Now.AddYears(1));
        await store.SaveAsync(ConsentDocument.Create(terms));
        var read = ConsentDocument.Read((await store.GetAsync("c1"))!);
        Assert.Empty(read.Problems);
        Assert.Equal(terms.Purposes, read.Purposes);
        Assert.Equal(terms.Countries, read.Countries);
        Assert.Equal(terms.ValidFrom, read.ValidFrom);
        Assert.Equal(terms.ValidUntil, read.ValidUntil);
        Assert.Equal(ConsentEffect.Permit, read.Effect);
        Assert.True(read.Active);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_consent_without_id_or_patient_is_refused(string kind)
    {
        var store = await CreateAsync(kind);
        var noPatient = ConsentDocument.Create(Fixtures.Terms("c1", ConsentEffect.Permit));
        noPatient.Patient = null;
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.SaveAsync(noPatient));
        var noId = ConsentDocument.Create(Fixtures.Terms("c1", ConsentEffect.Permit));
        noId.Id = null;
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.SaveAsync(noId));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var resource in _resources)
        {
            await resource.DisposeAsync();
        }

        _dir.Dispose();
    }
}
