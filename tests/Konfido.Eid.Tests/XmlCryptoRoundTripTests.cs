using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Tests;

public sealed class XmlCryptoRoundTripTests
{
    private const string Sample =
        "<a:Doc xmlns:a=\"urn:test:a\" xmlns:unused=\"urn:test:unused\"><a:Item ID=\"_item1\" xmlns:b=\"urn:test:b\">\n  <a:Issuer>me</a:Issuer>\n  <b:Value attr=\"x &amp; y\">caf\u00e9 &lt;1&gt;</b:Value>\n</a:Item></a:Doc>";

    public static TheoryData<string> Algorithms() => new(XmlSignatureAlgorithm.All.Select(a => a.Uri));

    private static X509Certificate2 CertificateFor(XmlSignatureAlgorithm algorithm)
    {
        if (!algorithm.IsEcdsa)
        {
            return DemoCertificates.CreateRsa("rsa");
        }

        var curve = algorithm.Hash.Name switch
        {
            "SHA256" => ECCurve.NamedCurves.nistP256,
            "SHA384" => ECCurve.NamedCurves.nistP384,
            _ => ECCurve.NamedCurves.nistP521,
        };
        using var key = ECDsa.Create(curve);
        var request = new CertificateRequest("CN=ec", key, algorithm.Hash);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static XmlElement Item(XmlDocument doc) => (XmlElement)doc.DocumentElement!.FirstChild!;

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Every_algorithm_signs_and_verifies_and_detects_tampering(string uri)
    {
        var algorithm = XmlSignatureAlgorithm.FromUri(uri)!;
        var cert = CertificateFor(algorithm);
        var key = XmlSigningKey.Create(cert, algorithm);
        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(Sample);
        var item = Item(doc);

        var signature = XmlSignature.SignEnveloped(item, key, (XmlElement)item.ChildNodes[1]!);

        Assert.Equal(uri, signature.GetElementsByTagName("SignatureMethod", "http://www.w3.org/2000/09/xmldsig#")[0]!.Attributes!["Algorithm"]!.Value);
        // Reloaded from text, as a receiver sees it.
        Assert.True(SecureXml.TryLoad(doc.OuterXml, out var received, out _));
        var check = XmlSignature.VerifyEnveloped(Item(received!), new TrustedCertificates([cert]));
        Assert.True(check.IsValid, check.Reason);
        Assert.Same(algorithm, check.Algorithm);

        var value = (XmlElement)received!.GetElementsByTagName("Value", "urn:test:b")[0]!;
        value.SetAttribute("attr", "x & z");
        Assert.False(XmlSignature.VerifyEnveloped(Item(received), new TrustedCertificates([cert])).IsValid);
    }

    [Fact]
    public void Signature_value_from_another_key_does_not_verify()
    {
        var cert = DemoCertificates.CreateEcdsaP256("a");
        var other = DemoCertificates.CreateEcdsaP256("b");
        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(Sample);
        var signature = XmlSignature.SignEnveloped(Item(doc), XmlSigningKey.Create(other), null);
        // Claim the trusted certificate while keeping the other key's signature value.
        ((XmlElement)signature.GetElementsByTagName("X509Certificate", "http://www.w3.org/2000/09/xmldsig#")[0]!).InnerText = Convert.ToBase64String(cert.RawData);

        var check = XmlSignature.VerifyEnveloped(Item(doc), new TrustedCertificates([cert]));

        Assert.False(check.IsValid);
        Assert.Contains("does not verify", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Ec_keys_below_256_bits_are_refused_by_the_signer()
    {
        using var key = ECDsa.Create(ECCurve.CreateFromFriendlyName("secp224r1"));
        var cert = new CertificateRequest("CN=small", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var ex = Assert.Throws<ArgumentException>(() => XmlSigningKey.Create(cert));
        Assert.Contains("below the minimum of 256", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aes256_gcm_with_rsa_oaep_round_trips_and_refuses_tampering()
    {
        var recipient = DemoCertificates.CreateRsa("recipient");
        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(Sample);
        var item = Item(doc);
        var expectedInner = item.InnerXml;

        var data = XmlEncryption.Encrypt(item, recipient, doc);
        doc.DocumentElement!.ReplaceChild(data, item);

        Assert.DoesNotContain("caf", doc.OuterXml, StringComparison.Ordinal);
        Assert.Contains("http://www.w3.org/2009/xmlenc11#aes256-gcm", doc.OuterXml, StringComparison.Ordinal);
        Assert.Contains("http://www.w3.org/2009/xmlenc11#mgf1sha256", doc.OuterXml, StringComparison.Ordinal);
        Assert.True(XmlEncryption.TryDecrypt(data, recipient.GetRSAPrivateKey()!, out var plaintext, out var reason), reason);
        Assert.True(SecureXml.TryLoad(plaintext!, out var decrypted, out _));
        var root = decrypted!.DocumentElement!;
        Assert.Equal(("Item", "urn:test:a", "_item1"), (root.LocalName, root.NamespaceURI, root.GetAttribute("ID")));
        Assert.Equal(expectedInner, root.InnerXml);

        // The 12-byte IV is prepended and the 16-byte tag appended: flipping any part fails.
        var cipherValue = (XmlElement)data.GetElementsByTagName("CipherValue", "http://www.w3.org/2001/04/xmlenc#")[1]!;
        var bytes = Convert.FromBase64String(cipherValue.InnerText);
        foreach (var index in new[] { 0, 11, 12, bytes.Length - 17, bytes.Length - 1 })
        {
            var tampered = (byte[])bytes.Clone();
            tampered[index] ^= 0x80;
            cipherValue.InnerText = Convert.ToBase64String(tampered);
            Assert.False(XmlEncryption.TryDecrypt(data, recipient.GetRSAPrivateKey()!, out _, out reason));
            Assert.Contains("AES-GCM authentication failed", reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p", true)]
    [InlineData("http://www.w3.org/2009/xmlenc11#rsa-oaep", false)]
    public void Sha1_key_transport_is_refused(string algorithm, bool keepMgf)
    {
        var recipient = DemoCertificates.CreateRsa("recipient");
        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(Sample);
        var data = XmlEncryption.Encrypt(Item(doc), recipient, doc);
        var method = (XmlElement)data.GetElementsByTagName("EncryptionMethod", "http://www.w3.org/2001/04/xmlenc#")[1]!;
        method.SetAttribute("Algorithm", algorithm);
        if (!keepMgf)
        {
            // Without an MGF element XML-Enc 1.1 defaults to MGF1 with SHA-1.
            method.RemoveChild(method.GetElementsByTagName("MGF", "http://www.w3.org/2009/xmlenc11#")[0]!);
        }

        Assert.False(XmlEncryption.TryDecrypt(data, recipient.GetRSAPrivateKey()!, out _, out var reason));
        Assert.Contains("SHA-1 is refused", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Cbc_data_encryption_is_refused()
    {
        var recipient = DemoCertificates.CreateRsa("recipient");
        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(Sample);
        var data = XmlEncryption.Encrypt(Item(doc), recipient, doc);
        ((XmlElement)data.FirstChild!).SetAttribute("Algorithm", "http://www.w3.org/2001/04/xmlenc#aes256-cbc");

        Assert.False(XmlEncryption.TryDecrypt(data, recipient.GetRSAPrivateKey()!, out _, out var reason));
        Assert.Contains("padding-oracle", reason, StringComparison.Ordinal);
    }
}
