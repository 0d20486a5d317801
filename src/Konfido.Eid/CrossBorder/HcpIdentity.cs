using Konfido.Eid.Saml;

namespace Konfido.Eid.CrossBorder;

/// <summary>
/// Who a health professional is in a cross-border request: what the HCP identity assertion says.
/// Create through <see cref="Create"/>, which explains any rejection.
/// </summary>
public sealed record HcpIdentity
{
    private HcpIdentity(string subjectId, string subjectName, HcpRole role, string organisation, string organisationId,
        HealthcareFacilityType facilityType, string locality, PurposeOfUse purposeOfUse, IReadOnlyList<CrossBorderPermission> permissions, LevelOfAssurance level)
    {
        SubjectId = subjectId;
        SubjectName = subjectName;
        Role = role;
        Organisation = organisation;
        OrganisationId = organisationId;
        FacilityType = facilityType;
        Locality = locality;
        PurposeOfUse = purposeOfUse;
        Permissions = permissions;
        Level = level;
    }

    /// <summary>The professional's identifier (the subject NameID, e.g. the eIDAS PersonIdentifier).</summary>
    public string SubjectId { get; }

    /// <summary>The professional's name (XSPA subject-id).</summary>
    public string SubjectName { get; }

    /// <summary>The role.</summary>
    public HcpRole Role { get; }

    /// <summary>The organisation name.</summary>
    public string Organisation { get; }

    /// <summary>The organisation identifier.</summary>
    public string OrganisationId { get; }

    /// <summary>The facility type.</summary>
    public HealthcareFacilityType FacilityType { get; }

    /// <summary>Where the professional works (town or region).</summary>
    public string Locality { get; }

    /// <summary>The purpose of use.</summary>
    public PurposeOfUse PurposeOfUse { get; }

    /// <summary>The permissions held.</summary>
    public IReadOnlyList<CrossBorderPermission> Permissions { get; }

    /// <summary>The eIDAS level at which the professional logged in.</summary>
    public LevelOfAssurance Level { get; }

    /// <summary>
    /// Validates and creates an identity; without <paramref name="permissions"/> the role's
    /// defaults apply. Throws <see cref="ArgumentException"/> naming every problem.
    /// </summary>
    /// <param name="subjectId">The identifier.</param>
    /// <param name="subjectName">The name.</param>
    /// <param name="role">The role.</param>
    /// <param name="organisation">The organisation name.</param>
    /// <param name="organisationId">The organisation id.</param>
    /// <param name="facilityType">The facility type.</param>
    /// <param name="locality">The locality.</param>
    /// <param name="purposeOfUse">The purpose of use.</param>
    /// <param name="permissions">The permissions, or null for the role's defaults.</param>
    /// <param name="level">The level of assurance of the login.</param>
    public static HcpIdentity Create(string subjectId, string subjectName, HcpRole role, string organisation, string organisationId,
        HealthcareFacilityType facilityType, string locality, PurposeOfUse purposeOfUse, IReadOnlyList<CrossBorderPermission>? permissions = null,
        LevelOfAssurance level = LevelOfAssurance.Substantial)
    {
        var problems = new List<string>();
        Require(subjectId, nameof(subjectId), problems);
        Require(subjectName, nameof(subjectName), problems);
        Require(organisation, nameof(organisation), problems);
        Require(organisationId, nameof(organisationId), problems);
        Require(locality, nameof(locality), problems);
        if (!Enum.IsDefined(role))
        {
            problems.Add("role is not defined");
        }

        if (!Enum.IsDefined(purposeOfUse))
        {
            problems.Add("purposeOfUse is not defined");
        }

        if (!Enum.IsDefined(facilityType))
        {
            problems.Add("facilityType is not defined");
        }

        if (!Enum.IsDefined(level))
        {
            problems.Add("level is not defined");
        }

        if (permissions is not null && permissions.Any(p => !Enum.IsDefined(p)))
        {
            problems.Add("a permission is not defined");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid HCP identity: " + string.Join("; ", problems));
        }

        return new HcpIdentity(subjectId, subjectName, role, organisation, organisationId, facilityType, locality, purposeOfUse,
            [.. (permissions ?? role.DefaultPermissions()).Distinct()], level);
    }

    /// <summary>Value equality, comparing the permissions as a sequence.</summary>
    /// <param name="other">The other identity.</param>
    public bool Equals(HcpIdentity? other) =>
        other is not null && SubjectId == other.SubjectId && SubjectName == other.SubjectName && Role == other.Role
        && Organisation == other.Organisation && OrganisationId == other.OrganisationId && FacilityType == other.FacilityType
        && Locality == other.Locality && PurposeOfUse == other.PurposeOfUse && Level == other.Level
        && Permissions.SequenceEqual(other.Permissions);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(SubjectId, Role, OrganisationId, PurposeOfUse, Permissions.Count);

    private static void Require(string? value, string name, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add($"{name} is empty");
        }
    }
}
