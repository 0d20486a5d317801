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
    private readonly Lock _tlsGate = new();
    private readonly Func<X509Certificate2>? _issueTls;
    private X509Certificate2 _tls;
    private X509Certificate2? _previousTls;
    private long _renewTlsAfterTicks = long.MaxValue; // UTC ticks

    /// <summary>
    /// Creates credentials whose TLS certificate is short-lived and issued on demand by <paramref name="issueTls"/> (signed by a
    /// custody-held issuer key, see <see cref="FederationMember.TlsIssuer"/>): a new one is issued, with a new key generated in
    /// memory, once half of the current one's validity has passed. Takes ownership of <paramref name="signingKey"/>.
    /// </summary>
    /// <param name="country">The node's country code.</param>
    /// <param name="issueTls">Issues a fresh TLS certificate with its private key.</param>
    /// <param name="signingKey">The payload-signing key.</param>
    public NodeCredentials(string country, Func<X509Certificate2> issueTls, ECDsa signingKey)
        : this(country, (issueTls ?? throw new ArgumentNullException(nameof(issueTls)))(), signingKey)
    {
        _issueTls = issueTls;
        _renewTlsAfterTicks = RenewalTime(_tls);
    }

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
        _tls = tlsCertificate;
        SigningKey = signingKey;
    }

    /// <summary>The node's country code.</summary>
    public string Country { get; }

    /// <summary>The current TLS certificate with its private key (renewed here when it is issued on demand and half its validity has passed).</summary>
    public X509Certificate2 TlsCertificate
    {
        get
        {
            if (_issueTls is null || DateTimeOffset.UtcNow.UtcTicks < Volatile.Read(ref _renewTlsAfterTicks))
            {
                return Volatile.Read(ref _tls);
            }

            lock (_tlsGate)
            {
                if (DateTimeOffset.UtcNow.UtcTicks >= _renewTlsAfterTicks)
                {
                    var renewed = _issueTls();
                    _previousTls?.Dispose(); // issued two renewals ago: no handshake uses it any more
                    _previousTls = _tls;
                    Volatile.Write(ref _tls, renewed);
                    Volatile.Write(ref _renewTlsAfterTicks, RenewalTime(renewed));
                }

                return _tls;
            }
        }
    }

    /// <summary>True if the TLS certificate is short-lived and issued on demand.</summary>
    public bool IssuesTlsCertificates => _issueTls is not null;

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
        using var tlsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = TlsRequest(country, hostNames, tlsKey);
        var now = DateTimeOffset.UtcNow;
        using var ephemeral = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(validity));
        return Reload(ephemeral);
    }

    /// <summary>
    /// Issues a short-lived P-256 TLS certificate for <paramref name="hostNames"/> under <paramref name="issuer"/>: the new key is
    /// generated in memory (never stored) and the certificate is signed by <paramref name="issuerKey"/> (a custody-held key).
    /// Requires a validity of at most <see cref="Core.IssuedCertificates.MaxLifetime"/>.
    /// </summary>
    /// <param name="country">The node's country code.</param>
    /// <param name="hostNames">The names the certificate is for.</param>
    /// <param name="validity">How long it is valid.</param>
    /// <param name="issuer">The issuer's certificate.</param>
    /// <param name="issuerKey">The issuer's key.</param>
    public static X509Certificate2 IssueTlsCertificate(string country, IEnumerable<string> hostNames, TimeSpan validity, X509Certificate2 issuer, ECDsa issuerKey)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(issuerKey);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(validity, Core.IssuedCertificates.MaxLifetime);
        using var tlsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = TlsRequest(country, hostNames, tlsKey);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7f) | 0x01);
        using var issued = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), now.AddMinutes(-5), now.Add(validity), serial);
        using var withKey = issued.CopyWithPrivateKey(tlsKey);
        return Reload(withKey);
    }

    private static long RenewalTime(X509Certificate2 certificate)
    {
        var notBefore = certificate.NotBefore.ToUniversalTime().Ticks;
        return notBefore + ((certificate.NotAfter.ToUniversalTime().Ticks - notBefore) / 2);
    }

    /// <summary>Round-trips a certificate with its key through PKCS#12 so that SslStream can use the key on every platform.</summary>
    private static X509Certificate2 Reload(X509Certificate2 certificate)
    {
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var pfx = certificate.Export(X509ContentType.Pkcs12, password);
        try
        {
            return X509CertificateLoader.LoadPkcs12(pfx, password, X509KeyStorageFlags.Exportable);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }

    private static CertificateRequest TlsRequest(string country, IEnumerable<string> hostNames, ECDsa key)
    {
        ArgumentException.ThrowIfNullOrEmpty(country);
        ArgumentNullException.ThrowIfNull(hostNames);
        var request = new CertificateRequest($"CN=Konfido NCP {country.ToUpperInvariant()}, O=Konfido, C={country.ToUpperInvariant()}", key, HashAlgorithmName.SHA256);
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
        return request;
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
        lock (_tlsGate)
        {
            _tls.Dispose();
            _previousTls?.Dispose();
        }

        SigningKey.Dispose();
    }
}
