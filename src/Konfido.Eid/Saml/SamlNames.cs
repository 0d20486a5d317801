namespace Konfido.Eid.Saml;

/// <summary>Namespaces and identifiers of SAML 2.0 (OASIS saml-core-2.0-os) and the eIDAS SAML profile (v1.2).</summary>
public static class SamlNames
{
    /// <summary>The SAML 2.0 assertion namespace.</summary>
    public const string Assertion = "urn:oasis:names:tc:SAML:2.0:assertion";

    /// <summary>The SAML 2.0 protocol namespace.</summary>
    public const string Protocol = "urn:oasis:names:tc:SAML:2.0:protocol";

    /// <summary>The eIDAS SAML extensions namespace (SPType, RequestedAttributes).</summary>
    public const string Eidas = "http://eidas.europa.eu/saml-extensions";

    /// <summary>The eIDAS natural-person attribute namespace and name prefix.</summary>
    public const string NaturalPerson = "http://eidas.europa.eu/attributes/naturalperson/";

    /// <summary>The SAML status code for success.</summary>
    public const string StatusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success";

    /// <summary>The bearer subject-confirmation method.</summary>
    public const string Bearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

    /// <summary>The sender-vouches subject-confirmation method (cross-border assertions).</summary>
    public const string SenderVouches = "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches";

    /// <summary>The URI attribute name format.</summary>
    public const string UriNameFormat = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";

    /// <summary>The entity name-identifier format.</summary>
    public const string EntityFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

    /// <summary>The persistent name-identifier format.</summary>
    public const string PersistentFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

    /// <summary>The HTTP-POST binding.</summary>
    public const string HttpPostBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

    /// <summary><c>PersonIdentifier</c>: <c>CC/CC/identifier</c> (issuing country / destination country / id).</summary>
    public const string PersonIdentifier = NaturalPerson + "PersonIdentifier";

    /// <summary><c>CurrentFamilyName</c>.</summary>
    public const string CurrentFamilyName = NaturalPerson + "CurrentFamilyName";

    /// <summary><c>CurrentGivenName</c>.</summary>
    public const string CurrentGivenName = NaturalPerson + "CurrentGivenName";

    /// <summary><c>DateOfBirth</c> (<c>YYYY-MM-DD</c>).</summary>
    public const string DateOfBirth = NaturalPerson + "DateOfBirth";

    /// <summary><c>BirthName</c> (optional).</summary>
    public const string BirthName = NaturalPerson + "BirthName";

    /// <summary><c>PlaceOfBirth</c> (optional).</summary>
    public const string PlaceOfBirth = NaturalPerson + "PlaceOfBirth";

    /// <summary><c>CurrentAddress</c> (optional).</summary>
    public const string CurrentAddress = NaturalPerson + "CurrentAddress";

    /// <summary><c>Gender</c> (optional).</summary>
    public const string Gender = NaturalPerson + "Gender";

    /// <summary>The four attributes of the eIDAS minimum data set for natural persons.</summary>
    public static IReadOnlyList<string> MandatoryNaturalPersonAttributes { get; } = [PersonIdentifier, CurrentFamilyName, CurrentGivenName, DateOfBirth];
}
