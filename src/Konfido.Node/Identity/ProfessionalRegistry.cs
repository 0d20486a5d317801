using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Konfido.Eid.CrossBorder;
using Konfido.Eid.Saml;

namespace Konfido.Node;

/// <summary>One registered health professional: who the eID says they are, and what the national registry says they do.</summary>
/// <param name="PersonIdentifier">The eIDAS PersonIdentifier (<c>ES/ES/12345678Z</c>).</param>
/// <param name="FamilyName">Current family name (the test eIDAS node asserts it).</param>
/// <param name="GivenName">Current given name.</param>
/// <param name="DateOfBirth">Date of birth.</param>
/// <param name="DisplayName">The name shown in assertions and audit trails.</param>
/// <param name="Role">The role.</param>
/// <param name="Organisation">The organisation's name.</param>
/// <param name="OrganisationId">The organisation's identifier (an OID URN).</param>
/// <param name="FacilityType">The facility type.</param>
/// <param name="Locality">Where they work.</param>
public sealed record RegisteredProfessional(string PersonIdentifier, string FamilyName, string GivenName, DateOnly DateOfBirth, string DisplayName,
    HcpRole Role, string Organisation, string OrganisationId, HealthcareFacilityType FacilityType, string Locality)
{
    /// <summary>The natural person the eIDAS node asserts.</summary>
    public EidasPerson Person => new(PersonIdentifier, FamilyName, GivenName, DateOfBirth);
}

/// <summary>
/// The country's registry of health professionals: eIDAS identifies a natural person; only the
/// registry says that this person is a doctor at a hospital. Loaded from a JSON file
/// (<c>{"professionals":[{"personIdentifier", "familyName", "givenName", "dateOfBirth", "displayName",
/// "role": doctor|nurse|pharmacist, "organisation", "organisationId", "facilityType": Hospital|ResidentPhysician|Pharmacy|Other,
/// "locality"}], "staff":[{"personIdentifier", "familyName", "givenName", "dateOfBirth", "displayName", "role": operator|auditor}]}</c>;
/// <c>staff</c>, the node's own operators and auditors who use the web console, is optional).
/// </summary>
public sealed class ProfessionalRegistry
{
    private readonly Dictionary<string, RegisteredProfessional> _byIdentifier;
    private readonly Dictionary<string, NodeStaffMember> _staff;

    /// <summary>Creates the registry. Requires distinct person identifiers.</summary>
    /// <param name="professionals">The health professionals.</param>
    /// <param name="staff">The node's operators and auditors (web console), if any.</param>
    public ProfessionalRegistry(IEnumerable<RegisteredProfessional> professionals, IEnumerable<NodeStaffMember>? staff = null)
    {
        ArgumentNullException.ThrowIfNull(professionals);
        _byIdentifier = professionals.ToDictionary(p => p.PersonIdentifier, StringComparer.Ordinal);
        _staff = (staff ?? []).ToDictionary(p => p.PersonIdentifier, StringComparer.Ordinal);
    }

    /// <summary>The node's operators and auditors.</summary>
    public IReadOnlyCollection<NodeStaffMember> Staff => _staff.Values;

    /// <summary>The operator or auditor with <paramref name="personIdentifier"/>, or null.</summary>
    public NodeStaffMember? FindStaff(string? personIdentifier) =>
        personIdentifier is not null && _staff.TryGetValue(personIdentifier, out var s) ? s : null;

    /// <summary>Everyone registered.</summary>
    public IReadOnlyCollection<RegisteredProfessional> All => _byIdentifier.Values;

    /// <summary>The professional with <paramref name="personIdentifier"/>, or null.</summary>
    public RegisteredProfessional? Find(string? personIdentifier) =>
        personIdentifier is not null && _byIdentifier.TryGetValue(personIdentifier, out var p) ? p : null;

    /// <summary>Checks the identifier and date of birth every registered person has; returns the date.</summary>
    private static DateOnly PersonFields(string? personIdentifier, string? dateOfBirth, Func<string, string> where)
    {
        if (!EidasPerson.IsValidPersonIdentifier(personIdentifier))
        {
            throw new NodeConfigurationException($"{where("personIdentifier")}: '{personIdentifier}' is not an eIDAS identifier (XX/YY/id)");
        }

        return DateOnly.TryParseExact(dateOfBirth, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var birth)
            ? birth
            : throw new NodeConfigurationException($"{where("dateOfBirth")}: '{dateOfBirth}' is not yyyy-MM-dd");
    }

    /// <summary>Loads <paramref name="path"/>.</summary>
    /// <exception cref="NodeConfigurationException">Unreadable file or an invalid entry (named by position and field).</exception>
    public static ProfessionalRegistry Load(string path)
    {
        RegistryFile? file;
        try
        {
            file = JsonSerializer.Deserialize<RegistryFile>(File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new NodeConfigurationException($"eid.professionals {path}: {ex.Message}", ex);
        }

        var entries = file?.Professionals ?? throw new NodeConfigurationException($"eid.professionals {path}: no 'professionals' array");
        var result = new List<RegisteredProfessional>();
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            string Where(string field) => $"eid.professionals {path}: professionals[{i}].{field}";
            var birth = PersonFields(e.PersonIdentifier, e.DateOfBirth, Where);

            var role = e.Role?.ToLowerInvariant() switch
            {
                "doctor" => HcpRole.Doctor,
                "nurse" => HcpRole.Nurse,
                "pharmacist" => HcpRole.Pharmacist,
                _ => throw new NodeConfigurationException($"{Where("role")}: '{e.Role}' is not doctor, nurse or pharmacist"),
            };
            if (!Enum.TryParse<HealthcareFacilityType>(e.FacilityType, ignoreCase: true, out var facility))
            {
                throw new NodeConfigurationException($"{Where("facilityType")}: '{e.FacilityType}' is not one of {string.Join(", ", Enum.GetNames<HealthcareFacilityType>())}");
            }

            foreach (var (value, field) in new[] { (e.FamilyName, "familyName"), (e.GivenName, "givenName"), (e.DisplayName, "displayName"), (e.Organisation, "organisation"), (e.OrganisationId, "organisationId"), (e.Locality, "locality") })
            {
                if (string.IsNullOrWhiteSpace(value))
                {
                    throw new NodeConfigurationException($"{Where(field)}: is required");
                }
            }

            if (result.Any(p => p.PersonIdentifier == e.PersonIdentifier))
            {
                throw new NodeConfigurationException($"{Where("personIdentifier")}: '{e.PersonIdentifier}' is registered twice");
            }

            result.Add(new RegisteredProfessional(e.PersonIdentifier!, e.FamilyName!, e.GivenName!, birth, e.DisplayName!, role, e.Organisation!, e.OrganisationId!, facility, e.Locality!));
        }

        var staff = new List<NodeStaffMember>();
        for (var i = 0; i < (file.Staff?.Count ?? 0); i++)
        {
            var e = file.Staff![i];
            string Where(string field) => $"eid.professionals {path}: staff[{i}].{field}";
            var birth = PersonFields(e.PersonIdentifier, e.DateOfBirth, Where);

            var role = e.Role?.ToLowerInvariant() switch
            {
                "operator" => ConsoleRole.Operator,
                "auditor" => ConsoleRole.Auditor,
                _ => throw new NodeConfigurationException($"{Where("role")}: '{e.Role}' is not operator or auditor"),
            };
            if (string.IsNullOrWhiteSpace(e.FamilyName) || string.IsNullOrWhiteSpace(e.GivenName) || string.IsNullOrWhiteSpace(e.DisplayName))
            {
                throw new NodeConfigurationException($"{Where("familyName/givenName/displayName")}: are required");
            }

            if (result.Any(p => p.PersonIdentifier == e.PersonIdentifier) || staff.Any(p => p.PersonIdentifier == e.PersonIdentifier))
            {
                throw new NodeConfigurationException($"{Where("personIdentifier")}: '{e.PersonIdentifier}' is registered twice");
            }

            staff.Add(new NodeStaffMember(e.PersonIdentifier!, e.FamilyName!, e.GivenName!, birth, e.DisplayName!, role));
        }

        return new ProfessionalRegistry(result, staff);
    }

    /// <summary>Writes <paramref name="professionals"/> in the file format <see cref="Load"/> reads.</summary>
    public static void Save(string path, IEnumerable<RegisteredProfessional> professionals, IEnumerable<NodeStaffMember>? staff = null)
    {
        ArgumentNullException.ThrowIfNull(professionals);
        var file = new RegistryFile
        {
            Professionals = [.. professionals.Select(p => new RegistryEntry
            {
                PersonIdentifier = p.PersonIdentifier,
                FamilyName = p.FamilyName,
                GivenName = p.GivenName,
                DateOfBirth = p.DateOfBirth.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                DisplayName = p.DisplayName,
                Role = p.Role.ToString().ToLowerInvariant(),
                Organisation = p.Organisation,
                OrganisationId = p.OrganisationId,
                FacilityType = p.FacilityType.ToString(),
                Locality = p.Locality,
            })],
            Staff = staff is null ? null : [.. staff.Select(p => new RegistryEntry
            {
                PersonIdentifier = p.PersonIdentifier,
                FamilyName = p.FamilyName,
                GivenName = p.GivenName,
                DateOfBirth = p.DateOfBirth.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                DisplayName = p.DisplayName,
                Role = p.Role.ToString().ToLowerInvariant(),
            })],
        };
        File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(file, new JsonSerializerOptions { WriteIndented = true }));
    }

    private sealed class RegistryFile
    {
        [JsonPropertyName("professionals")] public List<RegistryEntry>? Professionals { get; set; }
        [JsonPropertyName("staff")] public List<RegistryEntry>? Staff { get; set; }
    }

    private sealed class RegistryEntry
    {
        [JsonPropertyName("personIdentifier")] public string? PersonIdentifier { get; set; }
        [JsonPropertyName("familyName")] public string? FamilyName { get; set; }
        [JsonPropertyName("givenName")] public string? GivenName { get; set; }
        [JsonPropertyName("dateOfBirth")] public string? DateOfBirth { get; set; }
        [JsonPropertyName("displayName")] public string? DisplayName { get; set; }
        [JsonPropertyName("role")] public string? Role { get; set; }
        [JsonPropertyName("organisation")] public string? Organisation { get; set; }
        [JsonPropertyName("organisationId")] public string? OrganisationId { get; set; }
        [JsonPropertyName("facilityType")] public string? FacilityType { get; set; }
        [JsonPropertyName("locality")] public string? Locality { get; set; }
    }
}
