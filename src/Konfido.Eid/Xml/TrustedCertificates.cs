using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Konfido.Eid.Xml;

/// <summary>
/// An immutable set of trusted signing certificates with their public keys parsed once (the
/// verification hot path never parses a certificate). Keys are looked up by the SHA-256 of the
/// certificate's DER encoding.
/// </summary>
public sealed class TrustedCertificates
{
    /// <summary>The smallest RSA modulus accepted for signatures (eIDAS crypto requirements).</summary>
    public const int MinimumRsaBits = 3072;

    /// <summary>The smallest elliptic-curve size accepted for signatures.</summary>
    public const int MinimumEcBits = 256;

    private readonly FrozenDictionary<string, TrustAnchor> _byThumbprint;

    /// <summary>Parses the public keys of <paramref name="certificates"/>. Requires no null entry.</summary>
    /// <param name="certificates">The trusted certificates.</param>
    public TrustedCertificates(IEnumerable<X509Certificate2> certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        var anchors = new Dictionary<string, TrustAnchor>(StringComparer.Ordinal);
        foreach (var cert in certificates)
        {
            ArgumentNullException.ThrowIfNull(cert, nameof(certificates));
            var anchor = TrustAnchor.Create(cert);
            anchors.TryAdd(anchor.Thumbprint, anchor);
        }

        _byThumbprint = anchors.ToFrozenDictionary(StringComparer.Ordinal);
        Anchors = [.. _byThumbprint.Values];
    }

    /// <summary>The empty trust set: nothing verifies.</summary>
    public static TrustedCertificates None { get; } = new([]);

    /// <summary>The trusted certificates.</summary>
    public IReadOnlyList<X509Certificate2> Certificates => [.. Anchors.Select(a => a.Certificate)];

    internal IReadOnlyList<TrustAnchor> Anchors { get; }

    /// <summary>Reads every <c>CERTIFICATE</c> block of a PEM text. Throws <see cref="CryptographicException"/> if none parses.</summary>
    /// <param name="pem">PEM text with one or more certificates.</param>
    public static TrustedCertificates FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var collection = new X509Certificate2Collection();
        collection.ImportFromPem(pem);
        if (collection.Count == 0)
        {
            throw new CryptographicException("no CERTIFICATE block found");
        }

        return new TrustedCertificates(collection);
    }

    internal TrustAnchor? Find(byte[] certificateDer)
    {
        var thumbprint = Convert.ToHexString(SHA256.HashData(certificateDer));
        return _byThumbprint.GetValueOrDefault(thumbprint);
    }
}

/// <summary>One trusted certificate and its parsed public key.</summary>
internal sealed class TrustAnchor
{
    private TrustAnchor(X509Certificate2 certificate, string thumbprint, ECDsa? ecdsa, RSA? rsa, int keyBits)
    {
        Certificate = certificate;
        Thumbprint = thumbprint;
        Ecdsa = ecdsa;
        Rsa = rsa;
        KeyBits = keyBits;
    }

    public X509Certificate2 Certificate { get; }

    public string Thumbprint { get; }

    public ECDsa? Ecdsa { get; }

    public RSA? Rsa { get; }

    public int KeyBits { get; }

    /// <summary>Null when the key is strong enough for <paramref name="algorithm"/>, else why not.</summary>
    public string? Weakness(XmlSignatureAlgorithm algorithm)
    {
        if (algorithm.IsEcdsa)
        {
            if (Ecdsa is null)
            {
                return "signature algorithm is ECDSA but the signing certificate holds no EC key";
            }

            return KeyBits < TrustedCertificates.MinimumEcBits ? $"EC key of {KeyBits} bits is below the minimum of {TrustedCertificates.MinimumEcBits}" : null;
        }

        if (Rsa is null)
        {
            return "signature algorithm is RSA-PSS but the signing certificate holds no RSA key";
        }

        return KeyBits < TrustedCertificates.MinimumRsaBits ? $"RSA key of {KeyBits} bits is below the minimum of {TrustedCertificates.MinimumRsaBits}" : null;
    }

    public bool Verify(XmlSignatureAlgorithm algorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        algorithm.IsEcdsa
            ? Ecdsa!.VerifyData(data, signature, algorithm.Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
            : Rsa!.VerifyData(data, signature, algorithm.Hash, RSASignaturePadding.Pss);

    public static TrustAnchor Create(X509Certificate2 cert)
    {
        var thumbprint = Convert.ToHexString(SHA256.HashData(cert.RawData));
        var ec = cert.GetECDsaPublicKey();
        if (ec is not null)
        {
            return new TrustAnchor(cert, thumbprint, ec, null, ec.KeySize);
        }

        var rsa = cert.GetRSAPublicKey();
        return rsa is not null
            ? new TrustAnchor(cert, thumbprint, null, rsa, rsa.KeySize)
            : new TrustAnchor(cert, thumbprint, null, null, 0);
    }
}
