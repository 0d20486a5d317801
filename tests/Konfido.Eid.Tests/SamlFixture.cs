using System.Security.Cryptography.X509Certificates;
using Konfido.Core;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Tests;

/// <summary>Keys and parties shared by the SAML tests (key generation is slow, so once per class).</summary>
public sealed class SamlFixture
{
    public const string SpEntityId = "https://dk.konfido.test/saml/metadata";
    public const string AcsUrl = "https://dk.konfido.test/saml/acs";

    public SamlFixture()
    {
        EcIdp = TestEidasIdentityProvider.CreateEphemeral(CountryCode.Parse("ES"));
        RsaIdp = TestEidasIdentityProvider.CreateEphemeral(CountryCode.Parse("ES"), rsa: true);
        AttackerIdp = TestEidasIdentityProvider.CreateEphemeral(CountryCode.Parse("ES"));
        SpEncryption = DemoCertificates.CreateRsa("SP encryption");
        SpSigning = XmlSigningKey.Create(DemoCertificates.CreateEcdsaP256("SP signing"));
        Trust = new TrustedCertificates([EcIdp.SigningCertificate, RsaIdp.SigningCertificate]);
    }

    public TestEidasIdentityProvider EcIdp { get; }

    public TestEidasIdentityProvider RsaIdp { get; }

    public TestEidasIdentityProvider AttackerIdp { get; }

    public X509Certificate2 SpEncryption { get; }

    public XmlSigningKey SpSigning { get; }

    public TrustedCertificates Trust { get; }

    public static EidasPerson Person { get; } = new("ES/DK/12345678Z", "García", "Lucía", new DateOnly(1971, 3, 14));

    public static DateTimeOffset Now { get; } = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    public static TestResponseOptions Options(string? inResponseTo = "_req1") =>
        new(Person, SpEntityId, AcsUrl) { InResponseTo = inResponseTo, IssueInstant = Now, Level = LevelOfAssurance.Substantial };

    public SamlValidationParameters Parameters(string? inResponseTo = "_req1") => new(Trust)
    {
        Now = Now.AddSeconds(10),
        Audience = SpEntityId,
        Recipient = AcsUrl,
        InResponseTo = inResponseTo,
        DecryptionKey = SpEncryption.GetRSAPrivateKey(),
        MinimumLevel = LevelOfAssurance.Substantial,
    };
}
