using Konfido.Core;

namespace Konfido.Policy.Consent;

/// <summary>Whether a consent permits or denies cross-border sharing.</summary>
public enum ConsentEffect
{
    /// <summary>FHIR <c>provision.type = permit</c>.</summary>
    Permit,

    /// <summary>FHIR <c>provision.type = deny</c>.</summary>
    Deny,
}

/// <summary>
/// What a patient writes when granting or refusing cross-border sharing: the plain record the
/// <see cref="ConsentRegistry"/> validates once.
/// </summary>
/// <param name="PatientId">The patient's national identifier in the home country.</param>
/// <param name="Effect">Permit or deny.</param>
/// <param name="Purposes">Purposes (<c>TREATMENT</c>/<c>TREAT</c>, <c>EMERGENCY</c>/<c>ETREAT</c>); empty means every purpose.</param>
/// <param name="Countries">Requesting countries the consent covers; empty means every country.</param>
/// <param name="ValidFrom">Start of validity (inclusive).</param>
/// <param name="ValidUntil">End of validity (exclusive), or null for open-ended.</param>
public sealed record ConsentGrant(
    string PatientId,
    ConsentEffect Effect,
    IReadOnlyList<string> Purposes,
    IReadOnlyList<string> Countries,
    DateTimeOffset ValidFrom,
    DateTimeOffset? ValidUntil);

/// <summary>
/// The decision-relevant content of one FHIR Consent, read by <see cref="ConsentDocument.Read"/>.
/// </summary>
public sealed record ConsentTerms
{
    /// <summary>The Consent resource id.</summary>
    public required string Id { get; init; }

    /// <summary>The patient's national identifier.</summary>
    public required string PatientId { get; init; }

    /// <summary>True for <c>status = active</c>.</summary>
    public required bool Active { get; init; }

    /// <summary>Permit or deny.</summary>
    public required ConsentEffect Effect { get; init; }

    /// <summary>The purposes covered, or null for every purpose.</summary>
    public IReadOnlySet<PurposeOfUse>? Purposes { get; init; }

    /// <summary>The requesting countries covered, or null for every country.</summary>
    public IReadOnlySet<CountryCode>? Countries { get; init; }

    /// <summary>Start of validity (inclusive), or null for unbounded.</summary>
    public DateTimeOffset? ValidFrom { get; init; }

    /// <summary>End of validity (exclusive), or null for open-ended.</summary>
    public DateTimeOffset? ValidUntil { get; init; }

    /// <summary>When the consent was recorded (<c>Consent.dateTime</c>).</summary>
    public DateTimeOffset? Recorded { get; init; }

    /// <summary>
    /// Why the consent cannot be applied as written (unknown purpose code, unreadable actor or
    /// period, unsupported status). A permit with any problem is ignored; a deny still applies to
    /// what could be read: unknown content never widens access.
    /// </summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>
    /// True if the consent speaks about <paramref name="purpose"/>. Emergency treatment (ETREAT)
    /// specialises treatment (TREAT) in the ActReason hierarchy, so a TREAT consent also covers
    /// emergencies; an ETREAT-only consent does not cover planned treatment.
    /// </summary>
    public bool CoversPurpose(PurposeOfUse purpose) =>
        Purposes is null
        || Purposes.Contains(purpose)
        || (purpose == PurposeOfUse.Emergency && Purposes.Contains(PurposeOfUse.Treatment));

    /// <summary>True if the consent covers requests from <paramref name="country"/>.</summary>
    public bool CoversCountry(CountryCode country) => Countries is null || Countries.Contains(country);

    /// <summary>True if <paramref name="instant"/> lies in [ValidFrom, ValidUntil).</summary>
    public bool IsValidAt(DateTimeOffset instant) =>
        (ValidFrom is null || ValidFrom <= instant) && (ValidUntil is null || instant < ValidUntil);

    /// <summary>True if the two consents' periods intersect.</summary>
    public bool PeriodOverlaps(ConsentTerms other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var startA = ValidFrom ?? DateTimeOffset.MinValue;
        var startB = other.ValidFrom ?? DateTimeOffset.MinValue;
        var endA = ValidUntil ?? DateTimeOffset.MaxValue;
        var endB = other.ValidUntil ?? DateTimeOffset.MaxValue;
        return startA < endB && startB < endA;
    }
}
