using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Xml;
using Konfido.Core;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Tests;

/// <summary>Each refusal of a Response is asserted together with the reason given for it.</summary>
public sealed class SamlResponseRejectionTests(SamlFixture fixture) : IClassFixture<SamlFixture>
{
    private SamlValidationResult Validate(string xml, SamlValidationParameters? parameters = null) =>
        SamlResponseValidator.Validate(xml, parameters ?? fixture.Parameters());

    private static void AssertRefused(SamlValidationResult result, string reasonFragment)
    {
        Assert.False(result.IsValid);
        Assert.Contains(result.Reasons, r => r.Contains(reasonFragment, StringComparison.Ordinal));
    }

    [Fact]
    public void Unsigned_response_and_assertion_are_refused()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options() with { SignAssertion = false, SignResponse = false });
        AssertRefused(Validate(xml), "neither the Response nor the Assertion is signed");
    }

    [Fact]
    public void Signature_by_an_untrusted_key_is_refused()
    {
        var xml = fixture.AttackerIdp.IssueResponse(SamlFixture.Options());
        AssertRefused(Validate(xml), "signing certificate is not trusted");
    }

    [Fact]
    public void Rsa_sha1_signature_made_by_the_platform_signer_is_refused()
    {
        // A genuine RSA-SHA1 signature by a trusted key, made with .NET's own SignedXml.
        var xml = fixture.RsaIdp.IssueResponse(SamlFixture.Options() with { SignAssertion = false });
        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(xml);
        var assertion = SamlXml.Single(doc.DocumentElement, "Assertion")!;
        var signed = new SignedXml(assertion) { SigningKey = fixture.RsaIdp.SigningCertificate.GetRSAPrivateKey() };
        signed.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
        signed.SignedInfo.SignatureMethod = SignedXml.XmlDsigRSASHA1Url;
        var reference = new Reference("#" + assertion.GetAttribute("ID")) { DigestMethod = SignedXml.XmlDsigSHA1Url };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(new XmlDsigExcC14NTransform());
        signed.AddReference(reference);
        var keyInfo = new KeyInfo();
        keyInfo.AddClause(new KeyInfoX509Data(fixture.RsaIdp.SigningCertificate));
        signed.KeyInfo = keyInfo;
        signed.ComputeSignature();
        assertion.InsertAfter(doc.ImportNode(signed.GetXml(), true), SamlXml.Single(assertion, "Issuer"));

        AssertRefused(Validate(doc.OuterXml), "signature algorithm 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' is not allowed");
    }

    [Fact]
    public void Sha1_digest_is_refused()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options());
        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(xml);
        var digestMethod = (XmlElement)doc.GetElementsByTagName("DigestMethod", "http://www.w3.org/2000/09/xmldsig#")[0]!;
        digestMethod.SetAttribute("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1");

        AssertRefused(Validate(doc.OuterXml), "digest algorithm 'http://www.w3.org/2000/09/xmldsig#sha1' is not allowed");
    }

    [Fact]
    public void Rsa_2048_key_is_refused_even_when_trusted()
    {
        var weakCert = DemoCertificates.CreateRsa("weak IdP", 2048);
        var weakIdp = new TestEidasIdentityProvider(CountryCode.Parse("ES"), XmlSigningKey.CreateUnchecked(weakCert, XmlSignatureAlgorithm.RsaPssSha256));
        var xml = weakIdp.IssueResponse(SamlFixture.Options());
        var parameters = fixture.Parameters() with { Trust = new TrustedCertificates([weakCert]) };

        AssertRefused(Validate(xml, parameters), "RSA key of 2048 bits is below the minimum of 3072");
        Assert.Throws<ArgumentException>(() => XmlSigningKey.Create(weakCert));
    }

    [Fact]
    public void Expired_assertion_is_refused()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options());
        var parameters = fixture.Parameters() with { Now = SamlFixture.Now.AddMinutes(5).AddSeconds(61) };
        AssertRefused(Validate(xml, parameters), "assertion has expired");
    }

    [Fact]
    public void Assertion_within_the_clock_skew_after_expiry_is_accepted()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options());
        var parameters = fixture.Parameters() with { Now = SamlFixture.Now.AddMinutes(5).AddSeconds(59) };
        Assert.True(Validate(xml, parameters).IsValid);
    }

    [Fact]
    public void Not_yet_valid_assertion_is_refused()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options());
        var parameters = fixture.Parameters() with { Now = SamlFixture.Now.AddSeconds(-61) };
        AssertRefused(Validate(xml, parameters), "assertion is not yet valid");
    }

    [Fact]
    public void Wrong_audience_is_refused()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options());
        var parameters = fixture.Parameters() with { Audience = "https://it.konfido.test/saml/metadata" };
        AssertRefused(Validate(xml, parameters), "wrong audience");
    }

    [Fact]
    public void Wrong_recipient_is_refused()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options() with { Recipient = "https://evil.test/acs" });
        AssertRefused(Validate(xml), "wrong recipient");
    }

    [Fact]
    public void Response_to_another_request_is_refused()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options("_other"));
        AssertRefused(Validate(xml), "does not answer request '_req1'");
    }

    [Fact]
    public void Level_below_the_minimum_is_refused()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options() with { Level = LevelOfAssurance.Low });
        AssertRefused(Validate(xml), "level of assurance low is below the required substantial");
    }

    [Fact]
    public void Replayed_assertion_id_is_refused()
    {
        var cache = new InMemoryAssertionReplayCache();
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options());
        var parameters = fixture.Parameters() with { ReplayCache = cache };

        Assert.True(Validate(xml, parameters).IsValid);
        AssertRefused(Validate(xml, parameters), "was already used (replay)");
    }

    [Fact]
    public void External_entity_is_refused()
    {
        var xml = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>" +
                  "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_1\" Version=\"2.0\">&xxe;</samlp:Response>";
        AssertRefused(Validate(xml), "DOCTYPE/DTD is prohibited");
    }

    [Fact]
    public void Billion_laughs_is_refused()
    {
        var dtd = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (var i = 1; i <= 9; i++)
        {
            dtd.Append($"<!ENTITY lol{i} \"").Append(string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? string.Empty : (i - 1).ToString(System.Globalization.CultureInfo.InvariantCulture))};", 10))).Append("\">");
        }

        dtd.Append("]><samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\">&lol9;</samlp:Response>");
        AssertRefused(Validate(dtd.ToString()), "DOCTYPE/DTD is prohibited");
    }

    [Fact]
    public void Oversized_message_is_refused_before_parsing()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options());
        var padded = xml.Replace("<saml2p:Status>", "<!--" + new string('x', SecureXml.DefaultMaxCharacters) + "--><saml2p:Status>", StringComparison.Ordinal);
        AssertRefused(Validate(padded), "exceeds the limit");
    }

    [Fact]
    public void Tampered_ciphertext_is_refused()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options() with { EncryptTo = fixture.SpEncryption });
        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(xml);
        var data = (XmlElement)doc.GetElementsByTagName("EncryptedData", "http://www.w3.org/2001/04/xmlenc#")[0]!;
        var cipherValue = SamlXml.Single(SamlXml.Single(data, "CipherData", "http://www.w3.org/2001/04/xmlenc#"), "CipherValue", "http://www.w3.org/2001/04/xmlenc#")!;
        var bytes = Convert.FromBase64String(cipherValue.InnerText);
        bytes[bytes.Length / 2] ^= 0x01;
        cipherValue.InnerText = Convert.ToBase64String(bytes);

        AssertRefused(Validate(doc.OuterXml), "AES-GCM authentication failed");
    }

    [Fact]
    public void Encrypted_assertion_with_the_wrong_decryption_key_is_refused()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options() with { EncryptTo = fixture.SpEncryption });
        using var other = DemoCertificates.CreateRsa("another SP");
        var parameters = fixture.Parameters() with { DecryptionKey = other.GetRSAPrivateKey() };
        AssertRefused(Validate(xml, parameters), "does not decrypt with the configured decryption key");
    }

    [Fact]
    public void Encrypted_assertion_without_a_key_is_refused()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options() with { EncryptTo = fixture.SpEncryption });
        AssertRefused(Validate(xml, fixture.Parameters() with { DecryptionKey = null }), "no decryption key was given");
    }

    [Fact]
    public void Neither_xml_nor_base64_is_reported_as_unreadable()
    {
        var result = Validate("this is %% not a SAML message");
        Assert.False(result.IsValid);
        Assert.True(result.IsUnreadable);
    }
}
