using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Tests;

/// <summary>
/// Interoperability with an independent XML-DSig implementation: .NET's <c>SignedXml</c>, taught
/// RSA-PSS and ECDSA through test-only <see cref="SignatureDescription"/>s (registered in this
/// test process only; the library itself never touches the process-wide CryptoConfig table).
/// </summary>
public sealed class SignedXmlInteropTests(SamlFixture fixture) : IClassFixture<SamlFixture>
{
    static SignedXmlInteropTests()
    {
        CryptoConfig.AddAlgorithm(typeof(PssSha256Description), XmlSignatureAlgorithm.RsaPssSha256.Uri);
        CryptoConfig.AddAlgorithm(typeof(EcdsaSha256Description), XmlSignatureAlgorithm.EcdsaSha256.Uri);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SignedXml_verifies_signatures_made_here(bool rsa)
    {
        var idp = rsa ? fixture.RsaIdp : fixture.EcIdp;
        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(idp.IssueResponse(SamlFixture.Options()));
        var assertion = SamlXml.Single(doc.DocumentElement, "Assertion")!;
        var signed = new SignedXml(assertion);
        signed.LoadXml(XmlSignature.DirectSignatures(assertion)[0]);

        Assert.True(rsa
            ? signed.CheckSignature(idp.SigningCertificate.GetRSAPublicKey()!)
            : signed.CheckSignature(idp.SigningCertificate.GetECDsaPublicKey()!));
    }

    [Fact]
    public void Signatures_made_by_SignedXml_with_an_inclusive_prefix_list_verify_here()
    {
        var xml = fixture.RsaIdp.IssueResponse(SamlFixture.Options() with { SignAssertion = false });
        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(xml);
        var assertion = SamlXml.Single(doc.DocumentElement, "Assertion")!;
        var signed = new SignedXml(assertion) { SigningKey = fixture.RsaIdp.SigningCertificate.GetRSAPrivateKey() };
        signed.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
        signed.SignedInfo.SignatureMethod = XmlSignatureAlgorithm.RsaPssSha256.Uri;
        var reference = new Reference("#" + assertion.GetAttribute("ID")) { DigestMethod = SignedXml.XmlDsigSHA256Url };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(new XmlDsigExcC14NTransform("saml2 xs"));
        signed.AddReference(reference);
        var keyInfo = new KeyInfo();
        keyInfo.AddClause(new KeyInfoX509Data(fixture.RsaIdp.SigningCertificate));
        signed.KeyInfo = keyInfo;
        signed.ComputeSignature();
        assertion.InsertAfter(doc.ImportNode(signed.GetXml(), true), SamlXml.Single(assertion, "Issuer"));

        Assert.Contains("InclusiveNamespaces", doc.OuterXml, StringComparison.Ordinal);
        var result = SamlResponseValidator.Validate(doc.OuterXml, fixture.Parameters());
        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
    }

    public sealed class PssSha256Description : SignatureDescription
    {
        public PssSha256Description()
        {
            KeyAlgorithm = typeof(RSA).AssemblyQualifiedName;
            DigestAlgorithm = typeof(SHA256).AssemblyQualifiedName;
        }

        public override HashAlgorithm CreateDigest() => SHA256.Create();

        public override AsymmetricSignatureDeformatter CreateDeformatter(AsymmetricAlgorithm key) => new Pss((RSA)key);

        public override AsymmetricSignatureFormatter CreateFormatter(AsymmetricAlgorithm key) => new PssFormatter((RSA)key);

        private sealed class Pss(RSA key) : AsymmetricSignatureDeformatter
        {
            public override void SetKey(AsymmetricAlgorithm key) => throw new NotSupportedException();

            public override void SetHashAlgorithm(string strName)
            {
            }

            public override bool VerifySignature(byte[] rgbHash, byte[] rgbSignature) =>
                key.VerifyHash(rgbHash, rgbSignature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        }

        private sealed class PssFormatter(RSA key) : AsymmetricSignatureFormatter
        {
            public override void SetKey(AsymmetricAlgorithm key) => throw new NotSupportedException();

            public override void SetHashAlgorithm(string strName)
            {
            }

            public override byte[] CreateSignature(byte[] rgbHash) => key.SignHash(rgbHash, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        }
    }

    public sealed class EcdsaSha256Description : SignatureDescription
    {
        public EcdsaSha256Description()
        {
            KeyAlgorithm = typeof(ECDsa).AssemblyQualifiedName;
            DigestAlgorithm = typeof(SHA256).AssemblyQualifiedName;
        }

        public override HashAlgorithm CreateDigest() => SHA256.Create();

        public override AsymmetricSignatureDeformatter CreateDeformatter(AsymmetricAlgorithm key) => new Ecdsa((ECDsa)key);

        private sealed class Ecdsa(ECDsa key) : AsymmetricSignatureDeformatter
        {
            public override void SetKey(AsymmetricAlgorithm key) => throw new NotSupportedException();

            public override void SetHashAlgorithm(string strName)
            {
            }

            public override bool VerifySignature(byte[] rgbHash, byte[] rgbSignature) => key.VerifyHash(rgbHash, rgbSignature);
        }
    }
}
