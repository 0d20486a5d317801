using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Konfido.Core;
using Konfido.Exchange;
using Konfido.Records;

namespace Konfido.Node;

/// <summary>
/// Turns a validated <see cref="NodeSettings"/> into <see cref="NodeComponents"/>: loads the
/// credentials, verifies the trust list with the operator key and checks that this node is on it
/// with exactly its own certificate and signing key. Every failure is a
/// <see cref="NodeConfigurationException"/> naming the file.
/// </summary>
public static class NodeLauncher
{
    /// <summary>Loads everything a node needs. The back end comes from <paramref name="openBackend"/>.</summary>
    /// <param name="settings">Validated settings.</param>
    /// <param name="openBackend">Opens the national back end for the storage settings and country.</param>
    /// <param name="events">Where security events go.</param>
    public static NodeComponents Load(NodeSettings settings, Func<StorageSettings, string, INationalBackend> openBackend, ISecurityEventSink events)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(openBackend);
        ArgumentNullException.ThrowIfNull(events);
        var country = settings.Country.ToUpperInvariant();
        var tls = settings.Tls!;
        var tlsSetting = string.IsNullOrWhiteSpace(tls.Issuer) ? tls.Pfx : tls.Issuer;
        var password = tls.Password ?? (tls.PasswordFile is { } file ? ReadFile(settings.Resolve(file), "tls.passwordFile").Trim() : string.Empty);
        // The custody opens first: it may hold the node's keys ("custody:<key id>" settings).
        var custody = settings.Custody is { } c ? OpenCustody(country, settings.Custody, settings.Resolve, settings.Policy is { } pol ? settings.Resolve(pol.File) : null) : null;
        NodeCredentials credentials;
        X509Certificate2? tlsIssuer = null;
        try
        {
            var signingKey = CustodyReferences.IsReference(settings.SigningKey)
                ? CustodySigningKey(custody, settings.SigningKey)
                : NodeCredentials.ReadSigningKey(settings.Resolve(settings.SigningKey));
            if (tls.Issuer is { Length: > 0 } issuerSetting)
            {
                // The long-term TLS identity is a custody key; each TLS key is short-lived, made in memory and never stored.
                var (issuer, issuerKey) = CustodyReferences.LoadCustodyCertificate(issuerSetting, custody, "tls.issuer");
                tlsIssuer = issuer;
                if (tls.LifetimeHours is < 1 or > 192)
                {
                    throw new NodeConfigurationException($"'tls.lifetimeHours' must be from 1 to 192, got {tls.LifetimeHours}");
                }

                var lifetime = TimeSpan.FromHours(tls.LifetimeHours);
                var hostNames = tls.HostNames.ToArray();
                credentials = new NodeCredentials(country, () => NodeCredentials.IssueTlsCertificate(country, hostNames, lifetime, issuer, issuerKey), signingKey);
            }
            else
            {
                credentials = new NodeCredentials(country, CustodyReferences.LoadCertificate(tls.Pfx, password, custody, settings.Resolve, "tls.pfx"), signingKey);
            }
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new NodeConfigurationException($"cannot load the node credentials ({tlsSetting}, {settings.SigningKey}): {ex.Message}", ex);
        }

        var trustList = LoadTrustList(settings);
        var self = trustList.Find(country)
            ?? throw new NodeConfigurationException($"{settings.TrustList}: this node's country {country} is not on the trust list");
        if (tlsIssuer is not null
            ? !CertificateFingerprint.Equal(self.TlsCertificateSha256, CertificateFingerprint.Sha256(tlsIssuer)) || self.TlsIssuer != Convert.ToBase64String(tlsIssuer.RawData)
            : self.TlsIssuer is not null || !CertificateFingerprint.Equal(self.TlsCertificateSha256, CertificateFingerprint.Sha256(credentials.TlsCertificate)))
        {
            throw new NodeConfigurationException($"{settings.TrustList}: the TLS certificate listed for {country} is not this node's certificate ({tlsSetting})");
        }

        if (self.SigningKey != credentials.SigningPublicKey)
        {
            throw new NodeConfigurationException($"{settings.TrustList}: the signing key listed for {country} is not this node's key ({settings.SigningKey})");
        }

        var payloadKey = CustodyReferences.PayloadKey(settings.PayloadKey, custody);
        if (self.PayloadKey != (payloadKey is null ? null : Convert.ToBase64String(payloadKey.PublicKey.Span)))
        {
            throw new NodeConfigurationException(payloadKey is null
                ? $"{settings.TrustList}: the trust list lists a payload key for {country}, but 'payloadKey' is not set: this node could not open what peers seal for it"
                : $"{settings.TrustList}: the payload key listed for {country} is not this node's ({settings.PayloadKey})");
        }

        var dataDirectory = settings.Resolve(settings.DataDirectory);
        Directory.CreateDirectory(dataDirectory);
        var storage = settings.Storage!.Provider == "sqlite"
            ? settings.Storage with { ConnectionString = settings.Resolve(settings.Storage.ConnectionString) }
            : settings.Storage;
        NodeLedger? ledger = null;
        if (settings.Ledger is not null)
        {
            ledger = NodeLedger.OpenAsync(country, dataDirectory, settings.Ledger, settings.Resolve, trustList, events, custody).GetAwaiter().GetResult();
        }

        var eid = settings.Eid is { } eidSettings ? NodeEidMaterial.Load(eidSettings, settings.Resolve, custody) : null;
        if (eid is not null && self.AssertionCertificate != Convert.ToBase64String(eid.AssertionSigning.RawData))
        {
            throw new NodeConfigurationException($"{settings.TrustList}: the assertion certificate listed for {country} is not this node's ({settings.Eid!.AssertionSigningPfx}); other countries would refuse its professionals");
        }

        var backend = openBackend(storage, country);
        var policy = PeerCallPolicy.Default with { AttemptTimeout = TimeSpan.FromSeconds(settings.PeerTimeoutSeconds) };
        return new NodeComponents(country,
            NodeSettings.ParseEndpoint(settings.FederationListen, "federationListen", "config"),
            NodeSettings.ParseEndpoint(settings.LocalListen, "localListen", "config"),
            credentials, () => trustList, backend, events, policy, ledger, eid,
            settings.Policy is { } p ? new PolicySource(settings.Resolve(p.File), dataDirectory, p.Breach is { } b ? settings.Resolve(b) : null) : null,
            settings.Ledger is { } l ? new SiemSource(dataDirectory, CustodyReferences.SiemPseudonymiser(l.PseudonymKey, custody, settings.Resolve, "ledger.pseudonymKey")) : null,
            custody) { PayloadKey = payloadKey?.Id };
    }

    /// <summary>Reads and verifies the trust list named by <paramref name="settings"/>.</summary>
    public static TrustList LoadTrustList(NodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var operatorPem = ReadFile(settings.Resolve(settings.OperatorKey), "operatorKey");
        using var operatorKey = ECDsa.Create();
        try
        {
            operatorKey.ImportFromPem(operatorPem);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new NodeConfigurationException($"{settings.OperatorKey}: not a PEM public key: {ex.Message}", ex);
        }

        var check = SignedTrustList.Verify(ReadFile(settings.Resolve(settings.TrustList), "trustList"), operatorKey, DateTimeOffset.UtcNow);
        return check.TrustList ?? throw new NodeConfigurationException($"{settings.TrustList}: {check.Reason}");
    }

    /// <summary>The custody key id of the node's payload-signing key, as the bootstrap creates it.</summary>
    public const string CustodySigningKeyId = "konfido.node/signing";

    private static Konfido.Custody.CustodyECDsa CustodySigningKey(Custody.IKeyCustody? custody, string setting)
    {
        if (custody is null)
        {
            throw new NodeConfigurationException($"'signingKey' {setting} names a custody key, but the node has no 'custody' section");
        }

        var name = setting[CustodyReferences.Prefix.Length..];
        if (!Custody.CustodyKeyId.TryParse(name, out var id, out var reason) || custody.FindKey(id) is null)
        {
            throw new NodeConfigurationException($"'signingKey' {setting}: {reason ?? "no such key in the node's custody"}");
        }

        return new Custody.CustodyECDsa(custody, id);
    }

    /// <summary>Opens the node's software key custody, measured as this build with this configuration.</summary>
    public static Custody.IKeyCustody OpenCustody(string country, string directory, string? policyFile) =>
        OpenCustody(country, new CustodySettings { Directory = directory }, path => path, policyFile);

    /// <summary>
    /// Opens the node's key custody as <paramref name="settings"/> say (software, or a TPM 2.0 reached at
    /// <see cref="CustodySettings.Tpm"/>), measured as this build with this configuration.
    /// </summary>
    public static Custody.IKeyCustody OpenCustody(string country, CustodySettings settings, Func<string, string> resolve, string? policyFile)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(resolve);
        var directory = resolve(settings.Directory);
        var measurement = NodeMeasurements.Compute(country, policyFile);
        try
        {
            return settings.Backend == "tpm"
                ? Custody.KeyCustody.OpenTpm(new Custody.TpmCustodyOptions { Directory = directory, Measurement = measurement, Tpm = ParseTpm(settings.Tpm), Node = country })
                : Custody.KeyCustody.OpenSoftware(new Custody.SoftwareCustodyOptions { Directory = directory, Measurement = measurement, Node = country });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or System.Net.Sockets.SocketException or InvalidOperationException
            or Custody.Tpm.TpmUnavailableException or Custody.Tpm.TpmCommandException)
        {
            throw new NodeConfigurationException($"custody ({settings.Backend}, {directory}): {ex.Message}", ex);
        }
    }

    private static Custody.Tpm.TpmEndpoint ParseTpm(string? value) =>
        string.IsNullOrWhiteSpace(value) ? Custody.Tpm.TpmEndpoint.Default
        : Custody.Tpm.TpmEndpoint.TryParse(value, out var endpoint, out var reason) ? endpoint
        : throw new NodeConfigurationException($"'custody.tpm' {value}: {reason}");

    /// <summary>Reads a hex-encoded key file (named by <paramref name="field"/> in errors).</summary>
    internal static byte[] ReadHexKey(string path, string field)
    {
        try
        {
            return Convert.FromHexString(ReadFile(path, field).Trim());
        }
        catch (FormatException)
        {
            throw new NodeConfigurationException($"'{field}' {path}: the key is not hex");
        }
    }

    private static string ReadFile(string path, string field)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"'{field}' {path}: {ex.Message}", ex);
        }
    }
}
