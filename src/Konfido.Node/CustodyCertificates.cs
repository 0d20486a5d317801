using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Konfido.Custody;

namespace Konfido.Node;

/// <summary>
/// Certificates whose private key is generated and used inside the node's key custody (ECDSA P-256; held by the TPM
/// with the TPM backend): the certificate is signed through custody, and the certificate itself (public) is kept in
/// custody next to its key as secret <c>&lt;id&gt;/certificate</c>. The key signs only through <see cref="CustodyECDsa"/>.
/// </summary>
public static class CustodyCertificates
{
    private const string CertificateSuffix = "/certificate";

    /// <summary>Generates key <paramref name="id"/> in custody and a self-signed certificate for it. Requires an unused id.</summary>
    /// <param name="custody">The node's custody.</param>
    /// <param name="id">The key id.</param>
    /// <param name="subject">The subject (e.g. <c>CN=Konfido NCP DK assertion signer</c>).</param>
    /// <param name="validity">How long the certificate is valid from now.</param>
    /// <param name="certificateAuthority">True for a certificate that issues others (basic constraints CA, path length 0).</param>
    /// <returns>The certificate (without private key).</returns>
    public static X509Certificate2 Create(IKeyCustody custody, string id, string subject, TimeSpan validity, bool certificateAuthority = false)
    {
        ArgumentNullException.ThrowIfNull(custody);
        var keyId = CustodyKeyId.Parse(id);
        custody.CreateKey(keyId, CustodyKeyKind.EcdsaP256Signing);
        using var key = new CustodyECDsa(custody, keyId);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(certificateAuthority
            ? new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true)
            : new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        if (certificateAuthority)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        }

        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var certificate = request.Create(request.SubjectName, X509SignatureGenerator.CreateForECDsa(key), now.AddMinutes(-5), now.Add(validity), SerialNumber());
        custody.ImportSecret(CustodyKeyId.Parse(id + CertificateSuffix), certificate.RawData);
        return certificate;
    }

    /// <summary>True if custody key <paramref name="id"/> is a live ECDSA key with its certificate beside it.</summary>
    /// <param name="custody">The node's custody.</param>
    /// <param name="id">The key id.</param>
    public static bool Exists(IKeyCustody custody, CustodyKeyId id)
    {
        ArgumentNullException.ThrowIfNull(custody);
        return custody.FindKey(id) is { Kind: CustodyKeyKind.EcdsaP256Signing, IsDestroyed: false }
            && CustodyKeyId.TryParse(id.Value + CertificateSuffix, out var certificateId, out _)
            && custody.FindKey(certificateId) is { IsDestroyed: false };
    }

    /// <summary>The certificate of custody key <paramref name="id"/> and the key, which signs through custody. Requires
    /// <see cref="Exists"/>. The caller disposes both.</summary>
    /// <param name="custody">The node's custody.</param>
    /// <param name="id">The key id.</param>
    public static (X509Certificate2 Certificate, CustodyECDsa Key) Load(IKeyCustody custody, CustodyKeyId id)
    {
        ArgumentNullException.ThrowIfNull(custody);
        var certificate = custody.UseSecret(CustodyKeyId.Parse(id.Value + CertificateSuffix), 0, static (der, _) => X509CertificateLoader.LoadCertificate(der));
        var key = new CustodyECDsa(custody, id);
        using var listed = certificate.GetECDsaPublicKey();
        if (listed is null || !listed.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            certificate.Dispose();
            key.Dispose();
            throw new NodeConfigurationException($"custody key '{id}': the certificate kept beside it is not for this key");
        }

        return (certificate, key);
    }

    /// <summary>A random positive 16-byte serial number (RFC 5280 §4.1.2.2).</summary>
    public static byte[] SerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        serial[0] |= 0x01;
        return serial;
    }
}

/// <summary>
/// An <see cref="RSA"/> private key kept in custody as a PKCS#12 secret (RSA has no custody key kind): every decryption
/// opens the secret inside <see cref="IKeyCustody.UseSecret{TState, TResult}"/>, decrypts, and disposes the key at once,
/// so the key is never held in the node's memory between uses. Only <see cref="Decrypt(byte[], RSAEncryptionPadding)"/>
/// and the public parameters are supported (the eIDAS service provider's assertion decryption).
/// </summary>
public sealed class CustodyPkcs12Rsa : RSA
{
    private readonly IKeyCustody _custody;
    private readonly CustodyKeyId _id;
    private readonly RSAParameters _public;

    /// <summary>Wraps PKCS#12 secret <paramref name="id"/>. Requires a live secret holding an RSA certificate and key.</summary>
    /// <param name="custody">The node's custody.</param>
    /// <param name="id">The secret.</param>
    /// <param name="certificate">The certificate it holds (public part), for the caller.</param>
    public CustodyPkcs12Rsa(IKeyCustody custody, CustodyKeyId id, out X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(custody);
        _custody = custody;
        _id = id;
        certificate = custody.UseSecret(id, 0, static (pfx, _) =>
        {
            using var full = X509CertificateLoader.LoadPkcs12(pfx, null, X509KeyStorageFlags.EphemeralKeySet);
            return X509CertificateLoader.LoadCertificate(full.RawData);
        });
        using var rsa = certificate.GetRSAPublicKey() ?? throw new ArgumentException($"Custody secret '{id}' holds no RSA certificate.", nameof(id));
        _public = rsa.ExportParameters(false);
        KeySizeValue = rsa.KeySize;
        LegalKeySizesValue = [new KeySizes(rsa.KeySize, rsa.KeySize, 0)];
    }

    /// <inheritdoc />
    public override byte[] Decrypt(byte[] data, RSAEncryptionPadding padding)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(padding);
        return _custody.UseSecret(_id, (data, padding), static (pfx, state) =>
        {
            using var certificate = X509CertificateLoader.LoadPkcs12(pfx, null, X509KeyStorageFlags.EphemeralKeySet);
            using var key = certificate.GetRSAPrivateKey()!;
            return key.Decrypt(state.data, state.padding);
        });
    }

    /// <inheritdoc />
    public override RSAParameters ExportParameters(bool includePrivateParameters) =>
        includePrivateParameters ? throw new CryptographicException("The key is held in custody.") : _public;

    /// <inheritdoc />
    public override void ImportParameters(RSAParameters parameters) => throw new NotSupportedException("The key is held in custody.");
}
