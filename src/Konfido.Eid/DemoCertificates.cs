using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Konfido.Eid;

/// <summary>
/// Self-signed certificates for the embedded test identity providers, the demo and tests. A real
/// deployment loads its certificates from the federation trust list and its key custody instead.
/// </summary>
public static class DemoCertificates
{
    /// <summary>A self-signed ECDSA P-256 certificate with its private key, valid for a year from now.</summary>
    /// <param name="subject">The subject common name.</param>
    public static X509Certificate2 CreateEcdsaP256(string subject)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + subject, key, HashAlgorithmName.SHA256);
        return SelfSign(request);
    }

    /// <summary>A self-signed RSA certificate with its private key, valid for a year from now. Requires bits &gt;= 1024.</summary>
    /// <param name="subject">The subject common name.</param>
    /// <param name="bits">The modulus size (3072 by default; smaller only for negative tests).</param>
    public static X509Certificate2 CreateRsa(string subject, int bits = 3072)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1024);
        using var key = RSA.Create(bits);
        var request = new CertificateRequest("CN=" + subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        return SelfSign(request);
    }

    private static X509Certificate2 SelfSign(CertificateRequest request)
    {
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
    }
}
