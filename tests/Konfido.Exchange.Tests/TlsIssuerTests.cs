using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Konfido.Exchange.Tests;

/// <summary>Short-lived TLS certificates issued under a pinned issuer (the node's custody-held TLS identity).</summary>
public sealed class TlsIssuerTests : IDisposable
{
    private readonly ECDsa _issuerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _issuer;
    private readonly FederationMember _member;

    public TlsIssuerTests()
    {
        _issuer = Issuer(_issuerKey, "CN=Konfido NCP DK TLS issuer");
        _member = new FederationMember("DK", "Denmark", new Uri("https://127.0.0.1:1/"), CertificateFingerprint.Sha256(_issuer), "AAAA")
        {
            TlsIssuer = Convert.ToBase64String(_issuer.RawData),
        };
    }

    [Fact]
    public void A_short_lived_certificate_the_pinned_issuer_signed_is_accepted_while_it_is_valid()
    {
        using var leaf = NodeCredentials.IssueTlsCertificate("DK", ["localhost", "127.0.0.1"], TimeSpan.FromHours(48), _issuer, _issuerKey);

        Assert.True(leaf.HasPrivateKey);
        Assert.True(_member.AcceptsTlsCertificate(leaf, DateTimeOffset.UtcNow));
        Assert.False(_member.AcceptsTlsCertificate(leaf, DateTimeOffset.UtcNow.AddHours(49))); // expired
        Assert.False(_member.AcceptsTlsCertificate(leaf, DateTimeOffset.UtcNow.AddHours(-1))); // not yet valid
        Assert.Same(_member, new TrustList("t", 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1), [_member]).FindByCertificate(leaf));
    }

    [Fact]
    public void Certificates_from_another_issuer_self_signed_long_lived_or_under_a_swapped_issuer_are_refused()
    {
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var impostorIssuer = Issuer(otherKey, "CN=Konfido NCP DK TLS issuer"); // same name, another key
        using var impostor = NodeCredentials.IssueTlsCertificate("DK", ["localhost"], TimeSpan.FromHours(48), impostorIssuer, otherKey);
        using var selfSigned = NodeCredentials.GenerateTlsCertificate("DK", ["localhost"], TimeSpan.FromHours(48));
        using var longLived = LongLived();
        using var genuine = NodeCredentials.IssueTlsCertificate("DK", ["localhost"], TimeSpan.FromHours(48), _issuer, _issuerKey);
        var swapped = _member with { TlsIssuer = Convert.ToBase64String(impostorIssuer.RawData) }; // the list's issuer no longer matches its pin

        Assert.False(_member.AcceptsTlsCertificate(impostor, DateTimeOffset.UtcNow));
        Assert.False(_member.AcceptsTlsCertificate(selfSigned, DateTimeOffset.UtcNow));
        Assert.False(_member.AcceptsTlsCertificate(longLived, DateTimeOffset.UtcNow));
        Assert.False(_member.AcceptsTlsCertificate(_issuer, DateTimeOffset.UtcNow)); // the issuer itself is not a TLS certificate
        Assert.False(swapped.AcceptsTlsCertificate(impostor, DateTimeOffset.UtcNow));
        Assert.False(swapped.AcceptsTlsCertificate(genuine, DateTimeOffset.UtcNow));
        Assert.Throws<ArgumentOutOfRangeException>(() => NodeCredentials.IssueTlsCertificate("DK", ["localhost"], TimeSpan.FromDays(30), _issuer, _issuerKey));
    }

    [Fact]
    public void Without_an_issuer_the_pin_is_the_one_certificate()
    {
        using var pinned = NodeCredentials.GenerateTlsCertificate("ES", ["localhost"], TimeSpan.FromDays(365));
        using var other = NodeCredentials.GenerateTlsCertificate("ES", ["localhost"], TimeSpan.FromDays(365));
        var member = new FederationMember("ES", "Spain", new Uri("https://127.0.0.1:2/"), CertificateFingerprint.Sha256(pinned), "AAAA");

        Assert.True(member.AcceptsTlsCertificate(pinned, DateTimeOffset.UtcNow));
        Assert.False(member.AcceptsTlsCertificate(other, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Credentials_issue_a_new_certificate_with_a_new_key_once_half_of_the_current_one_has_passed()
    {
        // Issued certificates start five minutes in the past, so with four minutes more of validity, half of it has passed at once.
        var issued = 0;
        using var credentials = new NodeCredentials("DK", () =>
        {
            issued++;
            return NodeCredentials.IssueTlsCertificate("DK", ["localhost"], TimeSpan.FromMinutes(4), _issuer, _issuerKey);
        }, ECDsa.Create(ECCurve.NamedCurves.nistP256));

        var first = credentials.TlsCertificate;
        var second = credentials.TlsCertificate;

        Assert.True(credentials.IssuesTlsCertificates);
        Assert.Equal(3, issued); // one at construction, then a renewal at each access: every one was already past half its validity
        Assert.NotEqual(first.Thumbprint, second.Thumbprint);
        Assert.NotEqual(first.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo(), second.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo());
        Assert.True(_member.AcceptsTlsCertificate(second, DateTimeOffset.UtcNow));
    }

    private X509Certificate2 LongLived()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Konfido NCP DK", key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        return request.Create(_issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(_issuerKey), now.AddMinutes(-5), now.AddDays(365), [1, 2, 3]);
    }

    private static X509Certificate2 Issuer(ECDsa key, string subject)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var withKey = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(2));
        return X509CertificateLoader.LoadCertificate(withKey.RawData);
    }

    public void Dispose()
    {
        _issuer.Dispose();
        _issuerKey.Dispose();
    }
}
