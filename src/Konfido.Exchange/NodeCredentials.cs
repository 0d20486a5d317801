using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Konfido.Exchange;

/// <summary>
/// A node's credentials: its TLS certificate with private key (used as server certificate and as
/// client certificate for mutual TLS) and its P-256 payload-signing key.
/// </summary>
public sealed class NodeCredentials : IDisposable
{
    /// <summary>Creates credentials from loaded parts; takes ownership of both.</summary>
    public NodeCredentials(string country, X509Certificate2 tlsCertificate, ECDsa signingKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(country);
        ArgumentNullException.ThrowIfNull(tlsCertificate);
        ArgumentNullException.ThrowIfNull(signingKey);
        if (!tlsCertificate.HasPrivateKey)
        {
            throw new ArgumentException("The TLS certificate has no private key.", nameof(tlsCertificate));
        }

        Country = country.ToUpperInvariant();
        TlsCertificate = tlsCertificate;
        SigningKey = signingKey;
    }

    /// <summary>The node's country code.</summary>
    public string Country { get; }

    /// <summary>The TLS certificate with its private key.</summary>
    public X509Certificate2 TlsCertificate { get; }

    /// <summary>The payload-signing key.</summary>
    public ECDsa SigningKey { get; }

    /// <summary>The signing key's public part as base64 DER SubjectPublicKeyInfo (for the trust list).</summary>
    public string SigningPublicKey => Convert.ToBase64String(SigningKey.ExportSubjectPublicKeyInfo());

    /// <summary>
    /// Generates fresh credentials: a TLS certificate from <see cref="GenerateTlsCertificate"/> and a new
    /// P-256 signing key.
    /// </summary>
    public static NodeCredentials Generate(string country, IEnumerable<string> hostNames, TimeSpan validity) =>
        new(country, GenerateTlsCertificate(country, hostNames, validity), ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>
    /// Generates a self-signed P-256 TLS certificate with its private key for <paramref name="hostNames"/>
    /// (DNS names or IP literals), valid for <paramref name="validity"/>, with server and client
    /// authentication usages.
    /// </summary>
    /// <param name="country">The node's country code.</param>
    /// <param name="hostNames">The names the certificate is for.</param>
    /// <param name="validity">How long it is valid.</param>
    public static X509Certificate2 GenerateTlsCertificate(string country, IEnumerable<string> hostNames, TimeSpan validity)
    {
        ArgumentException.ThrowIfNullOrEmpty(country);
        ArgumentNullException.ThrowIfNull(hostNames);
        using var tlsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Konfido NCP {country.ToUpperInvariant()}, O=Konfido, C={country.ToUpperInvariant()}", tlsKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var host in hostNames)
        {
            if (IPAddress.TryParse(host, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(host);
            }
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = DateTimeOffset.UtcNow;
        using var ephemeral = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(validity));

        // Round-trip through PKCS#12 so that the private key is usable by SslStream on every platform.
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var pfx = ephemeral.Export(X509ContentType.Pkcs12, password);
        var certificate = X509CertificateLoader.LoadPkcs12(pfx, password, X509KeyStorageFlags.Exportable);
        CryptographicOperations.ZeroMemory(pfx);
        return certificate;
    }

    /// <summary>Reads a PKCS#8 PEM ECDSA P-256 private key (a payload-signing key an operator brings). The caller owns the key.</summary>
    /// <param name="pemPath">The PEM file.</param>
    /// <exception cref="CryptographicException">The key is not ECDSA P-256.</exception>
    public static ECDsa ReadSigningKey(string pemPath)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(pemPath));
            if (key.KeySize != 256)
            {
                throw new CryptographicException($"{pemPath}: the signing key must be ECDSA P-256.");
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Writes a file readable only by its owner (where the platform has Unix permissions), flushed to disk.</summary>
    public static void WriteOwnerOnly(string path, byte[] content)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        TlsCertificate.Dispose();
        SigningKey.Dispose();
    }
}
