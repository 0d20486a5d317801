using Konfido.Core;

namespace Konfido.Policy;

/// <summary>
/// A cross-border request as the node receives it, in the plain strings of the verified HCP
/// identity assertion and TRC. Validate it once with <see cref="AccessRequest.Create"/>.
/// </summary>
/// <param name="SubjectId">The professional's identifier from the HCP assertion.</param>
/// <param name="Role">The ISCO-08 code (<c>221</c>, <c>222</c>, <c>2262</c>) or role name.</param>
/// <param name="Organisation">The professional's organisation.</param>
/// <param name="PurposeOfUse"><c>TREATMENT</c> or <c>EMERGENCY</c>.</param>
/// <param name="LevelOfAssurance">eIDAS LoA name or URI.</param>
/// <param name="Transaction">The transaction (<c>discovery</c>, <c>patient-summary</c>, <c>eprescription</c>, <c>dispensation</c>).</param>
/// <param name="RequestingCountry">Country B, where the professional works.</param>
/// <param name="HomeCountry">Country A, the patient's home country whose policy applies.</param>
/// <param name="PatientId">The patient's national identifier in country A (empty for discovery by demographics).</param>
/// <param name="TrcPatientId">The patient named by the treatment-relationship confirmation, or null if there is no TRC.</param>
/// <param name="TrcPurposeOfUse">The purpose of use stated in the TRC, or null.</param>
/// <param name="Time">When the request is made (decisions and consents are evaluated at this instant).</param>
public sealed record AccessRequestAttributes(
    string SubjectId,
    string Role,
    string? Organisation,
    string PurposeOfUse,
    string LevelOfAssurance,
    string Transaction,
    string RequestingCountry,
    string HomeCountry,
    string? PatientId,
    string? TrcPatientId,
    string? TrcPurposeOfUse,
    DateTimeOffset Time);

/// <summary>A validated cross-border request: every attribute the policy engine decides on.</summary>
public sealed record AccessRequest
{
    /// <summary>The professional's identifier.</summary>
    public required string SubjectId { get; init; }

    /// <summary>The professional's role.</summary>
    public required HcpRole Role { get; init; }

    /// <summary>The professional's organisation, if stated.</summary>
    public string? Organisation { get; init; }

    /// <summary>The purpose of use.</summary>
    public required PurposeOfUse Purpose { get; init; }

    /// <summary>The eIDAS level of assurance of the professional's authentication.</summary>
    public required LevelOfAssurance Loa { get; init; }

    /// <summary>The transaction.</summary>
    public required TransactionType Transaction { get; init; }

    /// <summary>Country B.</summary>
    public required CountryCode RequestingCountry { get; init; }

    /// <summary>Country A.</summary>
    public required CountryCode HomeCountry { get; init; }

    /// <summary>The patient's national identifier in country A; empty for discovery by demographics.</summary>
    public string PatientId { get; init; } = string.Empty;

    /// <summary>The treatment-relationship confirmation, or null if none was presented.</summary>
    public TreatmentRelationship? Trc { get; init; }

    /// <summary>When the request is made.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>
    /// Validates <paramref name="attributes"/>: every rejection is listed (unknown role, purpose,
    /// LoA, transaction or country; missing subject or patient).
    /// </summary>
    /// <param name="attributes">The raw request attributes.</param>
    public static AccessRequestValidation Create(AccessRequestAttributes attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(attributes.SubjectId))
        {
            errors.Add("the HCP subject identifier is missing");
        }

        if (!PolicyVocabulary.TryParseRole(attributes.Role, out var role))
        {
            errors.Add($"unknown role '{attributes.Role}' (expected {PolicyVocabulary.RoleSpellings})");
        }

        if (!PolicyVocabulary.TryParsePurpose(attributes.PurposeOfUse, out var purpose))
        {
            errors.Add($"unknown purpose of use '{attributes.PurposeOfUse}' (expected {PolicyVocabulary.PurposeSpellings})");
        }

        if (!PolicyVocabulary.TryParseLoa(attributes.LevelOfAssurance, out var loa))
        {
            errors.Add($"unknown level of assurance '{attributes.LevelOfAssurance}' (expected {PolicyVocabulary.LoaSpellings})");
        }

        if (!PolicyVocabulary.TryParseTransaction(attributes.Transaction, out var transaction))
        {
            errors.Add($"unknown transaction '{attributes.Transaction}' (expected {PolicyVocabulary.TransactionSpellings})");
        }

        if (!CountryCode.TryParse(attributes.RequestingCountry, out var requesting))
        {
            errors.Add($"requesting country '{attributes.RequestingCountry}' is not a two-letter country code");
        }

        if (!CountryCode.TryParse(attributes.HomeCountry, out var home))
        {
            errors.Add($"home country '{attributes.HomeCountry}' is not a two-letter country code");
        }

        if (transaction != TransactionType.Discovery && string.IsNullOrWhiteSpace(attributes.PatientId))
        {
            errors.Add("the patient identifier is missing");
        }

        TreatmentRelationship? trc = null;
        if (attributes.TrcPatientId is not null || attributes.TrcPurposeOfUse is not null)
        {
            if (string.IsNullOrWhiteSpace(attributes.TrcPatientId))
            {
                errors.Add("the TRC names no patient");
            }

            if (!PolicyVocabulary.TryParsePurpose(attributes.TrcPurposeOfUse, out var trcPurpose))
            {
                errors.Add($"unknown TRC purpose of use '{attributes.TrcPurposeOfUse}' (expected {PolicyVocabulary.PurposeSpellings})");
            }
            else
            {
                trc = new TreatmentRelationship(attributes.TrcPatientId ?? string.Empty, trcPurpose);
            }
        }

        if (errors.Count > 0)
        {
            return new AccessRequestValidation(null, errors);
        }

        return new AccessRequestValidation(new AccessRequest
        {
            SubjectId = attributes.SubjectId,
            Role = role,
            Organisation = attributes.Organisation,
            Purpose = purpose,
            Loa = loa,
            Transaction = transaction,
            RequestingCountry = requesting,
            HomeCountry = home,
            PatientId = attributes.PatientId ?? string.Empty,
            Trc = trc,
            Time = attributes.Time,
        }, []);
    }
}

/// <summary>A treatment-relationship confirmation: the professional treats this patient for this purpose.</summary>
/// <param name="PatientId">The patient the TRC names.</param>
/// <param name="Purpose">The purpose of use the TRC states.</param>
public sealed record TreatmentRelationship(string PatientId, PurposeOfUse Purpose);

/// <summary>The result of <see cref="AccessRequest.Create"/>: a request, or the reasons it was rejected.</summary>
/// <param name="Request">The validated request, or null.</param>
/// <param name="Errors">Every rejection; empty when <paramref name="Request"/> is set.</param>
public sealed record AccessRequestValidation(AccessRequest? Request, IReadOnlyList<string> Errors)
{
    /// <summary>True if the attributes were valid.</summary>
    public bool IsValid => Request is not null;
}
