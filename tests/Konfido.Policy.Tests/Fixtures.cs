using Konfido.Core;
using Konfido.Policy.Consent;

namespace Konfido.Policy.Tests;

internal static class Fixtures
{
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    public static readonly CountryCode DK = CountryCode.Parse("DK");
    public static readonly CountryCode ES = CountryCode.Parse("ES");
    public static readonly CountryCode IT = CountryCode.Parse("IT");

    public static AccessRequestAttributes Attributes(
        string role = "221", string purpose = "TREATMENT", string loa = "substantial", string transaction = "patient-summary",
        string from = "ES", string home = "DK", string patient = "DK-0101", bool trc = true, string? trcPatient = null, string? trcPurpose = null) =>
        new("hcp-1", role, "Hospital Clinic Barcelona", purpose, loa, transaction, from, home, patient,
            trc ? trcPatient ?? patient : null, trc ? trcPurpose ?? purpose : null, Now);

    public static AccessRequest Request(
        string role = "221", string purpose = "TREATMENT", string loa = "substantial", string transaction = "patient-summary",
        string from = "ES", string home = "DK", string patient = "DK-0101") =>
        AccessRequest.Create(Attributes(role, purpose, loa, transaction, from, home, patient)).Request!;

    public static ConsentTerms Terms(string id, ConsentEffect effect, PurposeOfUse[]? purposes = null, string[]? countries = null,
        DateTimeOffset? from = null, DateTimeOffset? until = null, bool active = true, string patient = "DK-0101") => new()
    {
        Id = id,
        PatientId = patient,
        Active = active,
        Effect = effect,
        Purposes = purposes?.ToHashSet(),
        Countries = countries?.Select(CountryCode.Parse).ToHashSet(),
        ValidFrom = from ?? Now.AddYears(-1),
        ValidUntil = until,
        Recorded = from ?? Now.AddYears(-1),
    };

    public static ConsentGrant Grant(ConsentEffect effect = ConsentEffect.Permit, string[]? purposes = null, string[]? countries = null,
        string patient = "DK-0101", DateTimeOffset? from = null, DateTimeOffset? until = null) =>
        new(patient, effect, purposes ?? ["TREATMENT"], countries ?? [], from ?? Now.AddDays(-10), until);
}

/// <summary>A clock the test moves.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
