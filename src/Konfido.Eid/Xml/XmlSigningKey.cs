using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Konfido.Eid.Xml;

/// <summary>
/// A private signing key with its certificate and the algorithm it signs with. Created only
/// through <see cref="Create(X509Certificate2, XmlSignatureAlgorithm?)"/> or <see cref="Create(X509Certificate2, System.Security.Cryptography.ECDsa)"/>, which refuse keys below the eIDAS minimum sizes.
/// </summary>
public sealed class XmlSigningKey
{
    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;

    private XmlSigningKey(X509Certificate2 certificate, XmlSignatureAlgorithm algorithm, ECDsa? ecdsa, RSA? rsa)
    {
        Certificate = certificate;
        Algorithm = algorithm;
        _ecdsa = ecdsa;
        _rsa = rsa;
    }

    /// <summary>The signer's certificate (sent in <c>KeyInfo</c>).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The signature algorithm.</summary>
    public XmlSignatureAlgorithm Algorithm { get; }

    /// <summary>
    /// Creates a signing key from a certificate with its private key. Without
    /// <paramref name="algorithm"/>, EC keys sign with ECDSA over the hash matching the curve and
    /// RSA keys with RSA-PSS/SHA-256. Throws <see cref="ArgumentException"/> if the certificate
    /// has no usable private key, the key is too small (RSA &lt; 3072, EC &lt; 256 bits) or does not
    /// match the algorithm.
    /// </summary>
    /// <param name="certificate">A certificate with its private key.</param>
    /// <param name="algorithm">The signature algorithm, or null for the default for the key.</param>
    public static XmlSigningKey Create(X509Certificate2 certificate, XmlSignatureAlgorithm? algorithm = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("The certificate has no private key.", nameof(certificate));
        }

        var ec = certificate.GetECDsaPrivateKey();
        if (ec is not null)
        {
            if (ec.KeySize < TrustedCertificates.MinimumEcBits)
            {
                throw new ArgumentException($"EC key of {ec.KeySize} bits is below the minimum of {TrustedCertificates.MinimumEcBits}.", nameof(certificate));
            }

            algorithm ??= ec.KeySize switch
            {
                <= 256 => XmlSignatureAlgorithm.EcdsaSha256,
                <= 384 => XmlSignatureAlgorithm.EcdsaSha384,
                _ => XmlSignatureAlgorithm.EcdsaSha512,
            };
            if (!algorithm.IsEcdsa)
            {
                throw new ArgumentException("An EC key cannot sign with RSA-PSS.", nameof(algorithm));
            }

            return new XmlSigningKey(certificate, algorithm, ec, null);
        }

        var rsa = certificate.GetRSAPrivateKey() ?? throw new ArgumentException("Only EC and RSA keys are supported.", nameof(certificate));
        if (rsa.KeySize < TrustedCertificates.MinimumRsaBits)
        {
            throw new ArgumentException($"RSA key of {rsa.KeySize} bits is below the minimum of {TrustedCertificates.MinimumRsaBits}.", nameof(certificate));
        }

        algorithm ??= XmlSignatureAlgorithm.RsaPssSha256;
        if (algorithm.IsEcdsa)
        {
            throw new ArgumentException("An RSA key cannot sign with ECDSA.", nameof(algorithm));
        }

        return new XmlSigningKey(certificate, algorithm, null, rsa);
    }

    /// <summary>
    /// Creates a signing key from a certificate and an ECDSA key held elsewhere (e.g. in key custody, so that XML
    /// signing never sees the private key). Throws <see cref="ArgumentException"/> if the key is below 256 bits or is not
    /// the certificate's public key.
    /// </summary>
    /// <param name="certificate">The certificate (its private key is not needed).</param>
    /// <param name="key">The ECDSA key that signs.</param>
    public static XmlSigningKey Create(X509Certificate2 certificate, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(key);
        if (key.KeySize < TrustedCertificates.MinimumEcBits)
        {
            throw new ArgumentException($"EC key of {key.KeySize} bits is below the minimum of {TrustedCertificates.MinimumEcBits}.", nameof(key));
        }

        using var certificateKey = certificate.GetECDsaPublicKey() ?? throw new ArgumentException("The certificate holds no EC key.", nameof(certificate));
        if (!certificateKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw new ArgumentException("The key is not the certificate's key.", nameof(key));
        }

        var algorithm = key.KeySize switch
        {
            <= 256 => XmlSignatureAlgorithm.EcdsaSha256,
            <= 384 => XmlSignatureAlgorithm.EcdsaSha384,
            _ => XmlSignatureAlgorithm.EcdsaSha512,
        };
        return new XmlSigningKey(certificate, algorithm, key, null);
    }

    /// <summary>For negative tests only: a key that skips the size checks, to produce weak signatures.</summary>
    internal static XmlSigningKey CreateUnchecked(X509Certificate2 certificate, XmlSignatureAlgorithm algorithm) =>
        new(certificate, algorithm, certificate.GetECDsaPrivateKey(), certificate.GetRSAPrivateKey());

    internal byte[] Sign(ReadOnlySpan<byte> data) =>
        _ecdsa is not null
            ? _ecdsa.SignData(data, Algorithm.Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
            : _rsa!.SignData(data.ToArray(), Algorithm.Hash, RSASignaturePadding.Pss);
}
