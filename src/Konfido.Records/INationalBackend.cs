using Hl7.Fhir.Model;

namespace Konfido.Records;

/// <summary>
/// A country's national back end as the exchange node sees it (country A, the patient's home):
/// patient discovery, the Patient Summary, ePrescriptions and eDispensation. The embedded default is
/// <c>SqliteNationalBackend</c>; <c>PostgresNationalBackend</c> serves real deployments; a ministry
/// plugs in its own system by implementing this interface.
/// </summary>
/// <remarks>Every implementation must pass the same contract test suite (tests/Konfido.Records.Tests).</remarks>
public interface INationalBackend
{
    /// <summary>The ISO 3166-1 alpha-2 code of the country this back end serves.</summary>
    string Country { get; }

    /// <summary>
    /// Finds patients by national identifier and/or demographics. Requires at least one criterion.
    /// An identifier match is exact; names match case-insensitively on their prefix; a birth date exactly.
    /// </summary>
    /// <param name="query">The criteria; all given criteria must hold.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The matching patients as FHIR Patient resources (possibly none).</returns>
    Task<IReadOnlyList<Patient>> FindPatientsAsync(PatientQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Builds the patient's International Patient Summary as a FHIR document Bundle.
    /// Requires a non-empty <paramref name="nationalId"/>.
    /// </summary>
    /// <param name="nationalId">The patient's national identifier (the value, without system).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The IPS Bundle, or null if no such patient exists.</returns>
    Task<Bundle?> GetPatientSummaryAsync(string nationalId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists the patient's ePrescriptions (active and dispensed) as FHIR MedicationRequests.
    /// Requires a non-empty <paramref name="nationalId"/>.
    /// </summary>
    /// <param name="nationalId">The patient's national identifier.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The prescriptions, or null if no such patient exists.</returns>
    Task<IReadOnlyList<MedicationRequest>?> GetPrescriptionsAsync(string nationalId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records an eDispensation against a prescription, exactly once: the first valid dispensation
    /// of a prescription succeeds and marks it completed; every later one returns
    /// <see cref="DispenseStatus.AlreadyDispensed"/>, also under concurrent submissions.
    /// Requires a non-null <paramref name="dispense"/>.
    /// </summary>
    /// <param name="dispense">The dispensation; its <c>authorizingPrescription</c> names the MedicationRequest id.</param>
    /// <param name="cancellationToken">Cancels the submission.</param>
    /// <returns>What happened, with the stored dispense on success.</returns>
    Task<DispenseResult> DispenseAsync(MedicationDispense dispense, CancellationToken cancellationToken = default);
}

/// <summary>Criteria for patient discovery; null means "not constrained".</summary>
/// <param name="IdentifierSystem">The identifier system URI, or null to match any system of this country.</param>
/// <param name="IdentifierValue">The national identifier value.</param>
/// <param name="FamilyName">The family name (prefix, case-insensitive).</param>
/// <param name="GivenName">A given name (prefix, case-insensitive).</param>
/// <param name="BirthDate">The exact date of birth.</param>
public sealed record PatientQuery(
    string? IdentifierSystem = null,
    string? IdentifierValue = null,
    string? FamilyName = null,
    string? GivenName = null,
    DateOnly? BirthDate = null)
{
    /// <summary>True if at least one criterion is set.</summary>
    public bool HasCriteria =>
        !string.IsNullOrWhiteSpace(IdentifierValue) || !string.IsNullOrWhiteSpace(FamilyName) ||
        !string.IsNullOrWhiteSpace(GivenName) || BirthDate is not null;
}

/// <summary>The outcome of <see cref="INationalBackend.DispenseAsync"/>.</summary>
public enum DispenseStatus
{
    /// <summary>The dispensation was recorded and the prescription is now completed.</summary>
    Dispensed,

    /// <summary>The prescription had already been dispensed; nothing was recorded.</summary>
    AlreadyDispensed,

    /// <summary>No prescription with that id exists for that patient.</summary>
    UnknownPrescription,

    /// <summary>The dispensation is malformed (see the reason).</summary>
    Invalid,
}

/// <summary>The result of a dispensation submission.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Reason">Why, for anything but <see cref="DispenseStatus.Dispensed"/>.</param>
/// <param name="Stored">The recorded dispense (with its server-assigned id) on success.</param>
public sealed record DispenseResult(DispenseStatus Status, string? Reason = null, MedicationDispense? Stored = null);
