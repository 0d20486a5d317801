using System.Globalization;

namespace Konfido.Eid.Saml;

/// <summary>
/// The natural-person attributes of an eIDAS identity (eIDAS SAML Attribute Profile v1.2,
/// section 2.2): the minimum data set and the optional attributes Konfido uses.
/// </summary>
/// <param name="PersonIdentifier">The unique identifier, <c>CC/CC/identifier</c> (e.g. <c>ES/DK/12345678Z</c>).</param>
/// <param name="CurrentFamilyName">The current family name.</param>
/// <param name="CurrentGivenName">The current given name.</param>
/// <param name="DateOfBirth">The date of birth.</param>
public sealed record EidasPerson(string PersonIdentifier, string CurrentFamilyName, string CurrentGivenName, DateOnly DateOfBirth)
{
    /// <summary>The birth name, if released.</summary>
    public string? BirthName { get; init; }

    /// <summary>The place of birth, if released.</summary>
    public string? PlaceOfBirth { get; init; }

    /// <summary>The gender (<c>Male</c>, <c>Female</c>, <c>Unspecified</c>), if released.</summary>
    public string? Gender { get; init; }

    /// <summary>The country that issued the identifier (the first part of <see cref="PersonIdentifier"/>).</summary>
    public string IssuingCountry => PersonIdentifier.Length >= 2 ? PersonIdentifier[..2] : string.Empty;

    /// <summary>The date of birth in the eIDAS form <c>YYYY-MM-DD</c>.</summary>
    public string DateOfBirthText => DateOfBirth.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// True if <paramref name="value"/> has the eIDAS PersonIdentifier form: two upper-case
    /// country letters, a slash, two more, a slash and a non-empty identifier of printable
    /// characters without white space, at most 256 characters in all.
    /// </summary>
    /// <param name="value">The candidate identifier.</param>
    public static bool IsValidPersonIdentifier(string? value)
    {
        if (value is null || value.Length < 7 || value.Length > 256 || value[2] != '/' || value[5] != '/')
        {
            return false;
        }

        if (!char.IsAsciiLetterUpper(value[0]) || !char.IsAsciiLetterUpper(value[1]) || !char.IsAsciiLetterUpper(value[3]) || !char.IsAsciiLetterUpper(value[4]))
        {
            return false;
        }

        foreach (var c in value.AsSpan(6))
        {
            if (c <= ' ' || c == '\u007f')
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>An attribute requested in an eIDAS AuthnRequest.</summary>
/// <param name="Name">The attribute URI, e.g. <see cref="SamlNames.PersonIdentifier"/>.</param>
/// <param name="IsRequired">Whether the service cannot work without it.</param>
public sealed record RequestedAttribute(string Name, bool IsRequired)
{
    /// <summary>The four mandatory natural-person attributes, all required.</summary>
    public static IReadOnlyList<RequestedAttribute> MinimumDataSet { get; } =
        [.. SamlNames.MandatoryNaturalPersonAttributes.Select(n => new RequestedAttribute(n, true))];
}
