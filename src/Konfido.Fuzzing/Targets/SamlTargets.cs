using System.Security.Cryptography.X509Certificates;
using Konfido.Core;
using Konfido.Eid;
using Konfido.Eid.CrossBorder;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Fuzzing.Targets;

/// <summary>
/// The eIDAS SAML Response reader and verifier of the service provider (<see cref="SamlResponseValidator.Validate"/>:
/// never throws for bad input; XSW-hardened). Seeds are real signed (and encrypted) responses of the test identity
/// provider. Invariant: a response that verifies carries exactly the person the identity provider signed for, from
/// that provider: anything else is a signature accepted over content that was never signed.
/// </summary>
/// <remarks>The seeds embed a fresh key pair and fresh IDs per process, so the inputs repeat only within a process.</remarks>
public sealed class SamlResponseTarget : TextFuzzTarget
{
    private const string Audience = "https://ncp.es.konfido.invalid/saml/sp";
    private const string Recipient = "https://ncp.es.konfido.invalid/saml/acs";
    private static readonly DateTimeOffset IssuedAt = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly EidasPerson Person = new("DK/ES/120356-1237", "Jensen", "Lars", new DateOnly(1956, 3, 12)) { BirthName = "Jensen", Gender = "Male" };

    private readonly Lazy<Keys> _keys = new(() => new Keys());

    /// <inheritdoc />
    public override string Name => "saml-response";

    /// <inheritdoc />
    public override string Description => "eIDAS SAML Response parsing, decryption and signature verification (SamlResponseValidator.Validate); invariant: a verified response names only the signed person";

    /// <inheritdoc />
    public override InputShape Shape => InputShape.Xml;

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary =>
        ["<saml2:Assertion", "</saml2:Assertion>", "<ds:Signature", "<ds:Reference URI=\"#", "ID=\"", "xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\"",
         "<saml2:EncryptedAssertion>", "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>", "&x;", "<!--x-->", "Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"",
         "http://www.w3.org/2001/10/xml-exc-c14n#", "urn:oasis:names:tc:SAML:2.0:status:Success", "NotOnOrAfter=\"2099-01-01T00:00:00Z\""];

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds()
    {
        var keys = _keys.Value;
        var options = new TestResponseOptions(Person, Audience, Recipient) { IssueInstant = IssuedAt, Level = LevelOfAssurance.High };
        yield return keys.Idp.IssueResponse(options);
        yield return keys.Idp.IssueResponse(options with { SignResponse = true });
        yield return keys.Idp.IssueResponse(options with { EncryptTo = keys.SpEncryption });
        yield return TestEidasIdentityProvider.ToBase64(keys.Idp.IssueResponse(options with { Level = LevelOfAssurance.Substantial }));
    }

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        var keys = _keys.Value;
        var result = SamlResponseValidator.Validate(text, keys.Parameters);
        if (!result.IsValid)
        {
            return FuzzResult.Reject(result.Reasons.Count > 0 ? result.Reasons[0] : "invalid");
        }

        if (result.Person is not { } person || person.PersonIdentifier != Person.PersonIdentifier || person.CurrentFamilyName != Person.CurrentFamilyName
            || person.CurrentGivenName != Person.CurrentGivenName || person.DateOfBirth != Person.DateOfBirth || result.Issuer != keys.Idp.EntityId)
        {
            throw new FuzzInvariantException("saml-signed-content", $"a verified response names {result.Person} issued by {result.Issuer}, not the signed person");
        }

        return FuzzResult.Accept;
    }

    private sealed class Keys
    {
        public Keys()
        {
            Idp = TestEidasIdentityProvider.CreateEphemeral(CountryCode.Parse("DK"));
            SpEncryption = DemoCertificates.CreateRsa("Fuzz SP encryption");
            Parameters = new SamlValidationParameters(new TrustedCertificates([Idp.SigningCertificate]))
            {
                Now = IssuedAt.AddMinutes(1),
                Audience = Audience,
                Recipient = Recipient,
                DecryptionKey = SpEncryption.GetRSAPrivateKey(),
            };
        }

        public TestEidasIdentityProvider Idp { get; }

        public X509Certificate2 SpEncryption { get; }

        public SamlValidationParameters Parameters { get; }
    }
}

/// <summary>
/// The identity provider's AuthnRequest reader (<see cref="EidasAuthnRequest.TryParse"/>: a bad request is a result).
/// Invariant: a request that verifies carries the issuer and assertion consumer URL the SP signed.
/// </summary>
public sealed class SamlAuthnRequestTarget : TextFuzzTarget
{
    private const string Issuer = "https://ncp.es.konfido.invalid/saml/sp";
    private const string Acs = "https://ncp.es.konfido.invalid/saml/acs";
    private readonly XmlSigningKey _spKey = XmlSigningKey.Create(DemoCertificates.CreateEcdsaP256("Fuzz SP signing"));
    private readonly TrustedCertificates _trust;

    /// <summary>Creates the target with a fresh SP signing key.</summary>
    public SamlAuthnRequestTarget() => _trust = new TrustedCertificates([_spKey.Certificate]);

    /// <inheritdoc />
    public override string Name => "saml-authnrequest";

    /// <inheritdoc />
    public override string Description => "eIDAS SAML AuthnRequest parsing and signature verification at the identity provider (EidasAuthnRequest.TryParse); invariant: a verified request carries the signed issuer and ACS URL";

    /// <inheritdoc />
    public override InputShape Shape => InputShape.Xml;

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary => ["<ds:Signature", "ID=\"", "AssertionConsumerServiceURL=\"", "<!DOCTYPE", "<eidas:RequestedAttribute", "http://eidas.europa.eu/LoA/high"];

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds()
    {
        var parameters = new EidasAuthnRequestParameters(Issuer, "https://eidas.dk.konfido.invalid/sso", Acs) { MinimumLevel = LevelOfAssurance.Substantial };
        var request = EidasAuthnRequest.Create(parameters, _spKey, new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        yield return request.Xml;
        yield return request.Base64;
    }

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        if (!EidasAuthnRequest.TryParse(text, _trust, out var request, out var reason))
        {
            return FuzzResult.Reject(reason);
        }

        if (request!.Parameters.Issuer != Issuer || request.Parameters.AssertionConsumerServiceUrl != Acs)
        {
            throw new FuzzInvariantException("authnrequest-signed-content", $"a verified request names issuer {request.Parameters.Issuer} and ACS {request.Parameters.AssertionConsumerServiceUrl}");
        }

        return FuzzResult.Accept;
    }
}

/// <summary>
/// The HCP identity assertion and treatment-relationship confirmation that country B sends with every request, as
/// country A verifies them (<see cref="CrossBorderAssertionVerifier.Verify"/>: never throws for bad input). Input: the
/// HCP assertion, a line <c>--TRC--</c>, the TRC. Invariant: a pair that verifies names the signed professional,
/// purpose and assertion IDs.
/// </summary>
public sealed class CrossBorderAssertionTarget : TextFuzzTarget
{
    private const string Separator = "\n--TRC--\n";
    private const string Patient = "DK/120356-1237";
    private static readonly DateTimeOffset IssuedAt = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly Lazy<Setup> _setup = new(() => new Setup());

    /// <inheritdoc />
    public override string Name => "crossborder-assertions";

    /// <inheritdoc />
    public override string Description => "cross-border HCP identity assertion and TRC pair verified at country A (CrossBorderAssertionVerifier.Verify); invariant: a verified pair names the signed professional";

    /// <inheritdoc />
    public override InputShape Shape => InputShape.Xml;

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary => ["--TRC--", "<saml2:Assertion", "<ds:Signature", "ID=\"", "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse", "EMERGENCY", "TREATMENT", "urn:konfido:ncp:ES"];

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds()
    {
        var setup = _setup.Value;
        yield return setup.Hcp.Xml + Separator + setup.Trc.Xml;
        yield return setup.Hcp.ToHeaderValue() + Separator + setup.Trc.ToHeaderValue();
    }

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        var setup = _setup.Value;
        var cut = text.IndexOf(Separator, StringComparison.Ordinal);
        var hcp = cut < 0 ? text : text[..cut];
        var trc = cut < 0 ? null : text[(cut + Separator.Length)..];
        var result = setup.Verifier.Verify(hcp, trc, new CrossBorderRequest(CountryCode.Parse("ES"), Patient, CrossBorderPermission.PatientSummary), IssuedAt.AddMinutes(1));
        if (!result.IsValid)
        {
            return FuzzResult.Reject(result.Reasons.Count > 0 ? result.Reasons[0] : "invalid");
        }

        if (result.Professional?.SubjectId != setup.Identity.SubjectId || result.PurposeOfUse != setup.Identity.PurposeOfUse
            || result.HcpAssertionId != setup.Hcp.Id || result.TrcAssertionId != setup.Trc.Id)
        {
            throw new FuzzInvariantException("crossborder-signed-content", $"a verified pair names {result.Professional?.SubjectId} ({result.PurposeOfUse}), not the signed professional");
        }

        return FuzzResult.Accept;
    }

    private sealed class Setup
    {
        public Setup()
        {
            var certificate = DemoCertificates.CreateEcdsaP256("Fuzz NCP ES assertions");
            var issuer = new CrossBorderAssertionIssuer(CountryCode.Parse("ES"), XmlSigningKey.Create(certificate));
            Identity = HcpIdentity.Create("urn:konfido:es:hcp:4711", "Dra. Ana García", HcpRole.Doctor, "Hospital Clínic de Barcelona", "urn:oid:2.16.724.4.1",
                HealthcareFacilityType.Hospital, "Barcelona", PurposeOfUse.Treatment);
            Hcp = issuer.IssueHcp(Identity, now: IssuedAt);
            Trc = issuer.IssueTrc(Hcp, Identity, Patient, PurposeOfUse.Treatment, now: IssuedAt);
            Verifier = new CrossBorderAssertionVerifier(CountryCode.Parse("DK"),
                new StaticTrustedSigners(new Dictionary<CountryCode, IReadOnlyList<X509Certificate2>> { [CountryCode.Parse("ES")] = [certificate] }));
        }

        public HcpIdentity Identity { get; }

        public IssuedAssertion Hcp { get; }

        public IssuedAssertion Trc { get; }

        public CrossBorderAssertionVerifier Verifier { get; }
    }
}
