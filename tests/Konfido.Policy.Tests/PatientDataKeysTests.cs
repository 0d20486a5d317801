using System.Text;
using Konfido.Core;
using Konfido.Policy.Gdpr;
using Konfido.Policy.Rules;
using Konfido.Testing;

namespace Konfido.Policy.Tests;

/// <summary>Crypto-shredding, run over every <see cref="IWrappedKeyStore"/>.</summary>
public sealed class PatientDataKeysTests : IDisposable
{
    private readonly TemporaryDirectory _dir = new("konfido-keys");
    private readonly AesGcmMasterKey _master = AesGcmMasterKey.Generate("master-test");
    private readonly CountryPolicy _dk = ExamplePolicies.Load(Fixtures.DK);
    private static readonly byte[] Record = Encoding.UTF8.GetBytes("{\"resourceType\":\"MedicationRequest\",\"subject\":\"DK-0101\"}");
    private static readonly byte[] RecordId = Encoding.UTF8.GetBytes("MedicationRequest/42");

    public static TheoryData<string> Stores => new() { "memory", "sqlite" };

    private IWrappedKeyStore Store(string kind) => kind == "memory"
        ? new InMemoryWrappedKeyStore()
        : new SqliteWrappedKeyStore($"Data Source={_dir.File("keys.db")};Pooling=False");

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Data_round_trips_and_is_bound_to_patient_and_record(string kind)
    {
        var keys = new PatientDataKeys(_master, Store(kind));
        var envelope = await keys.EncryptAsync("DK-0101", Record, RecordId);
        Assert.Equal(Record, (await keys.DecryptAsync("DK-0101", envelope, RecordId)).Plaintext);
        Assert.False((await keys.DecryptAsync("DK-0101", envelope, Encoding.UTF8.GetBytes("MedicationRequest/43"))).Succeeded);
        Assert.False((await keys.DecryptAsync("DK-0202", envelope, RecordId)).Succeeded);
        envelope[^1] ^= 1;
        Assert.Contains("authentication failed", (await keys.DecryptAsync("DK-0101", envelope, RecordId)).Failure, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Erasure_destroys_the_key_and_makes_the_data_unrecoverable(string kind)
    {
        var events = new InMemorySecurityEventSink();
        var keys = new PatientDataKeys(_master, Store(kind), events, "DK");
        var envelope = await keys.EncryptAsync("DK-0101", Record, RecordId);
        var other = await keys.EncryptAsync("DK-0202", Record, RecordId);

        var result = await keys.EraseAsync("DK-0101", _dk, [], Fixtures.Now);
        Assert.True(result.Erased);
        Assert.False(await keys.HasKeyAsync("DK-0101"));
        var after = await keys.DecryptAsync("DK-0101", envelope, RecordId);
        Assert.Null(after.Plaintext);
        Assert.Contains("no data key", after.Failure, StringComparison.Ordinal);
        // Other patients are untouched; a new key for the erased patient does not bring the old data back.
        Assert.True((await keys.DecryptAsync("DK-0202", other, RecordId)).Succeeded);
        await keys.EncryptAsync("DK-0101", Record, RecordId);
        Assert.False((await keys.DecryptAsync("DK-0101", envelope, RecordId)).Succeeded);
        Assert.Equal(EventOutcome.Success, Assert.Single(events.Events, e => e.Action == "erasure").Outcome);
    }

    [Fact]
    public async Task Sqlite_erasure_overwrites_the_wrapped_key_in_the_database_file()
    {
        var store = Store("sqlite");
        var keys = new PatientDataKeys(_master, store);
        await keys.EncryptAsync("DK-0101", Record, RecordId);
        var wrapped = (await store.GetAsync("DK-0101"))!;
        Assert.True(Contains(await File.ReadAllBytesAsync(_dir.File("keys.db")), wrapped));

        await keys.EraseAsync("DK-0101", _dk, [], Fixtures.Now);
        Assert.False(Contains(await File.ReadAllBytesAsync(_dir.File("keys.db")), wrapped));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Erasure_is_refused_under_legal_hold_and_the_data_stays_readable(string kind)
    {
        var events = new InMemorySecurityEventSink();
        var keys = new PatientDataKeys(_master, Store(kind), events, "DK");
        var envelope = await keys.EncryptAsync("DK-0101", Record, RecordId);
        var result = await keys.EraseAsync("DK-0101", _dk, [new HeldData("prescriptions", Fixtures.Now.AddYears(-1))], Fixtures.Now);
        Assert.False(result.Erased);
        Assert.Contains(result.Reasons, r => r.StartsWith("prescriptions must be kept until 2030-11-", StringComparison.Ordinal) && r.Contains("Sundhedsloven", StringComparison.Ordinal));
        Assert.True((await keys.DecryptAsync("DK-0101", envelope, RecordId)).Succeeded);
        Assert.Equal(EventOutcome.Failure, Assert.Single(events.Events, e => e.Action == "erasure").Outcome);
    }

    [Fact]
    public void Legal_hold_ends_when_the_retention_period_has_passed()
    {
        Assert.False(LegalHold.Check(_dk, [new HeldData("prescriptions", Fixtures.Now.AddYears(-6))], Fixtures.Now).IsHeld);
        Assert.False(LegalHold.Check(_dk, [new HeldData("patient-summary", Fixtures.Now)], Fixtures.Now).IsHeld); // no DK retention rule
        var held = LegalHold.Check(_dk, [new HeldData("prescriptions", Fixtures.Now.AddYears(-1)), new HeldData("audit-trail", Fixtures.Now.AddYears(-2))], Fixtures.Now);
        Assert.Equal(2, held.Reasons.Count);
        Assert.Equal(Fixtures.Now.AddYears(-1) + TimeSpan.FromDays(365.25 * 5), held.HeldUntil);
    }

    [Fact]
    public void Master_key_refuses_a_key_wrapped_for_another_patient()
    {
        var key = new byte[32];
        var wrapped = _master.Wrap(new byte[32], "a"u8);
        Assert.True(_master.TryUnwrap(wrapped, "a"u8, key));
        Assert.False(_master.TryUnwrap(wrapped, "b"u8, key));
        using var other = AesGcmMasterKey.Generate("other");
        Assert.False(other.TryUnwrap(wrapped, "a"u8, key));
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    public void Dispose()
    {
        _master.Dispose();
        _dir.Dispose();
    }
}
