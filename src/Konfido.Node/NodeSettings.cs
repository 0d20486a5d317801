using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Konfido.Node;

/// <summary>
/// A node's configuration file (JSON) as the operator writes it. Relative paths are relative to the
/// file's folder. Validated once by <see cref="Load"/>, which names the file and field of every error.
/// </summary>
/// <remarks>
/// Example:
/// <code>
/// {
///   "country": "DK",
///   "federationListen": "127.0.0.1:7101",
///   "localListen": "127.0.0.1:7201",
///   "dataDirectory": "dk",
///   "tls": { "pfx": "dk-tls.pfx", "password": "..." },
///   "signingKey": "dk-signing.pem",
///   "trustList": "trustlist.json",
///   "operatorKey": "operator-public.pem",
///   "storage": { "provider": "sqlite", "connectionString": "dk/records.db" }
/// }
/// </code>
/// </remarks>
public sealed record NodeSettings
{
    /// <summary>The node's ISO 3166-1 alpha-2 country code.</summary>
    [JsonPropertyName("country")] public string Country { get; init; } = string.Empty;

    /// <summary>Where the federation API listens (host:port), mutual TLS required.</summary>
    [JsonPropertyName("federationListen")] public string FederationListen { get; init; } = string.Empty;

    /// <summary>Where the local API for the country's professionals listens (host:port), HTTPS.</summary>
    [JsonPropertyName("localListen")] public string LocalListen { get; init; } = string.Empty;

    /// <summary>The node's data folder (storage, ledger, keys).</summary>
    [JsonPropertyName("dataDirectory")] public string DataDirectory { get; init; } = string.Empty;

    /// <summary>The TLS certificate (PKCS#12) and its password.</summary>
    [JsonPropertyName("tls")] public TlsSettings? Tls { get; init; }

    /// <summary>The P-256 payload-signing key (PKCS#8 PEM).</summary>
    [JsonPropertyName("signingKey")] public string SigningKey { get; init; } = string.Empty;

    /// <summary>The node's payload key (<c>custody:&lt;id&gt;</c>, ECDH P-256), or null: peers seal clinical answers for it end to end
    /// and only the custody boundary opens them. Must match the <c>payloadKey</c> the trust list lists for this country.</summary>
    [JsonPropertyName("payloadKey")] public string? PayloadKey { get; init; }

    /// <summary>The signed federation trust list (JWS JSON).</summary>
    [JsonPropertyName("trustList")] public string TrustList { get; init; } = string.Empty;

    /// <summary>The federation operator's public key (SPKI PEM) that signs the trust list.</summary>
    [JsonPropertyName("operatorKey")] public string OperatorKey { get; init; } = string.Empty;

    /// <summary>The national back end's storage.</summary>
    [JsonPropertyName("storage")] public StorageSettings? Storage { get; init; }

    /// <summary>The audit ledger, or null to run without one.</summary>
    [JsonPropertyName("ledger")] public LedgerSettings? Ledger { get; init; }

    /// <summary>eIDAS login and the cross-border assertions this node issues (as country B) and requires (as country A); null: no professional can log in here.</summary>
    [JsonPropertyName("eid")] public EidSettings? Eid { get; init; }

    /// <summary>Country A's access policy (a YAML file per country); null decides on the cross-border assertions alone.</summary>
    [JsonPropertyName("policy")] public PolicySettings? Policy { get; init; }

    /// <summary>Key custody: where the node's attestation key (and, in time, its other long-term keys) live; null runs unattested.</summary>
    [JsonPropertyName("custody")] public CustodySettings? Custody { get; init; }

    /// <summary>Seconds one peer call attempt may take (default 5).</summary>
    [JsonPropertyName("peerTimeoutSeconds")] public double PeerTimeoutSeconds { get; init; } = 5;

    /// <summary>The folder of the configuration file; relative paths resolve against it.</summary>
    [JsonIgnore] public string BaseDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>Resolves <paramref name="path"/> against <see cref="BaseDirectory"/>.</summary>
    public string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(BaseDirectory, path));

    /// <summary>Loads and validates a configuration file; throws <see cref="NodeConfigurationException"/> naming what is wrong.</summary>
    public static NodeSettings Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NodeConfigurationException($"{path}: cannot read the configuration: {ex.Message}");
        }

        NodeSettings? settings;
        try
        {
            settings = JsonSerializer.Deserialize<NodeSettings>(text, new JsonSerializerOptions { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new NodeConfigurationException($"{path}: not valid JSON at line {ex.LineNumber + 1}: {ex.Message}");
        }

        if (settings is null)
        {
            throw new NodeConfigurationException($"{path}: the configuration is empty");
        }

        settings = settings with { BaseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))! };
        settings.Validate(path);
        return settings;
    }

    /// <summary>Checks every field; throws <see cref="NodeConfigurationException"/> for the first that is wrong.</summary>
    public void Validate(string source)
    {
        if (!Core.CountryCode.TryParse(Country, out _))
        {
            throw new NodeConfigurationException($"{source}: 'country' must be a two-letter country code, got '{Country}'");
        }

        _ = ParseEndpoint(FederationListen, "federationListen", source);
        _ = ParseEndpoint(LocalListen, "localListen", source);
        Require(DataDirectory, "dataDirectory", source);
        if (Tls is null || string.IsNullOrWhiteSpace(Tls.Pfx) == string.IsNullOrWhiteSpace(Tls.Issuer))
        {
            throw new NodeConfigurationException($"{source}: exactly one of 'tls.issuer' (a custody certificate that issues short-lived TLS certificates) and 'tls.pfx' is required");
        }

        if (!string.IsNullOrWhiteSpace(Tls.Issuer) && !CustodyReferences.IsReference(Tls.Issuer))
        {
            throw new NodeConfigurationException($"{source}: 'tls.issuer' must name a key in custody ({CustodyReferences.Prefix}<key id>), got '{Tls.Issuer}'");
        }

        Require(SigningKey, "signingKey", source);
        Require(TrustList, "trustList", source);
        Require(OperatorKey, "operatorKey", source);
        if (Storage is null || Storage.Provider is not ("sqlite" or "postgres"))
        {
            throw new NodeConfigurationException($"{source}: 'storage.provider' must be 'sqlite' or 'postgres'");
        }

        Require(Storage.ConnectionString, "storage.connectionString", source);
        if (Ledger is not null)
        {
            Require(Ledger.LogKey, "ledger.logKey", source);
            Require(Ledger.WitnessKey, "ledger.witnessKey", source);
            Require(Ledger.PseudonymKey, "ledger.pseudonymKey", source);
            if (Ledger.PublishIntervalSeconds is < 0 or > 86_400)
            {
                throw new NodeConfigurationException($"{source}: 'ledger.publishIntervalSeconds' must be in [0, 86400]");
            }

            if (Ledger.Quorum is < 1)
            {
                throw new NodeConfigurationException($"{source}: 'ledger.quorum' must be at least 1");
            }
        }

        Eid?.Validate(source);
        if (Policy is not null)
        {
            Require(Policy.File, "policy.file", source);
        }

        if (Custody is not null)
        {
            Require(Custody.Directory, "custody.directory", source);
            if (Custody.Backend is not ("software" or "tpm"))
            {
                throw new NodeConfigurationException($"{source}: 'custody.backend' must be 'software' or 'tpm', got '{Custody.Backend}'");
            }
        }

        foreach (var (value, field) in new[] { (Tls.Pfx, "tls.pfx"), (Tls.Issuer, "tls.issuer"), (SigningKey, "signingKey"), (PayloadKey, "payloadKey"), (Ledger?.LogKey, "ledger.logKey"), (Ledger?.WitnessKey, "ledger.witnessKey"),
            (Eid?.AssertionSigningPfx, "eid.assertionSigningPfx"), (Eid?.SpSigningPfx, "eid.spSigningPfx"), (Eid?.SpEncryptionPfx, "eid.spEncryptionPfx") })
        {
            if (CustodyReferences.IsReference(value) && Custody is null)
            {
                throw new NodeConfigurationException($"{source}: '{field}' names a key in custody ({value}), but there is no 'custody' section");
            }
        }

        if (PeerTimeoutSeconds is <= 0 or > 300)
        {
            throw new NodeConfigurationException($"{source}: 'peerTimeoutSeconds' must be in (0, 300]");
        }
    }

    /// <summary>Parses a <c>host:port</c> listen address.</summary>
    public static IPEndPoint ParseEndpoint(string value, string field, string source)
    {
        if (string.IsNullOrWhiteSpace(value) || !IPEndPoint.TryParse(value, out var endpoint) || endpoint.Port == 0 && !value.EndsWith(":0", StringComparison.Ordinal))
        {
            if (value is not null && value.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) && int.TryParse(value.AsSpan(10), out var port))
            {
                return new IPEndPoint(IPAddress.Loopback, port);
            }

            throw new NodeConfigurationException($"{source}: '{field}' must be an address and port such as 127.0.0.1:7101, got '{value}'");
        }

        return endpoint;
    }

    private static void Require(string? value, string field, string source)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new NodeConfigurationException($"{source}: '{field}' is required");
        }
    }
}

/// <summary>The node's TLS certificate settings.</summary>
public sealed record TlsSettings
{
    /// <summary>The PKCS#12 file (or custody secret) with certificate and private key; the key is then used in process memory.
    /// Prefer <see cref="Issuer"/>.</summary>
    [JsonPropertyName("pfx")] public string Pfx { get; init; } = string.Empty;

    /// <summary>The custody certificate (<c>custody:&lt;id&gt;</c>, ECDSA key in custody) that issues the node's short-lived TLS
    /// certificates: the trust list pins it, and each TLS key is generated in memory, valid <see cref="LifetimeHours"/>, and never stored.</summary>
    [JsonPropertyName("issuer")] public string? Issuer { get; init; }

    /// <summary>How long each issued TLS certificate is valid (hours, 1 to 192); renewed after half of it.</summary>
    [JsonPropertyName("lifetimeHours")] public int LifetimeHours { get; init; } = 48;

    /// <summary>The names (DNS or IP) the issued TLS certificates are for.</summary>
    [JsonPropertyName("hostNames")] public IReadOnlyList<string> HostNames { get; init; } = ["localhost", "127.0.0.1"];

    /// <summary>The PKCS#12 password (prefer <see cref="PasswordFile"/> in production).</summary>
    [JsonPropertyName("password")] public string? Password { get; init; }

    /// <summary>A file holding the PKCS#12 password.</summary>
    [JsonPropertyName("passwordFile")] public string? PasswordFile { get; init; }
}

/// <summary>The node's audit ledger settings (keys in C2SP signed-note <c>PRIVATE+KEY+...</c> form).</summary>
public sealed record LedgerSettings
{
    /// <summary>The log's signing key file.</summary>
    [JsonPropertyName("logKey")] public string LogKey { get; init; } = string.Empty;

    /// <summary>The witness's signing key file.</summary>
    [JsonPropertyName("witnessKey")] public string WitnessKey { get; init; } = string.Empty;

    /// <summary>The federation's patient-pseudonymisation key file (32 bytes, hex), shared by all nodes.</summary>
    [JsonPropertyName("pseudonymKey")] public string PseudonymKey { get; init; } = string.Empty;

    /// <summary>How many other countries' witnesses must cosign a checkpoint for it to count as published (default: all).</summary>
    [JsonPropertyName("quorum")] public int? Quorum { get; init; }

    /// <summary>How often (seconds) the node publishes its checkpoint to the witnesses and gossips it, when the log grew; 0 publishes only on demand.</summary>
    [JsonPropertyName("publishIntervalSeconds")] public int PublishIntervalSeconds { get; init; } = 60;
}

/// <summary>
/// The node's eIDAS service provider and cross-border assertion issuer, and the levels of assurance
/// it requires of other countries' professionals.
/// </summary>
public sealed record EidSettings
{
    /// <summary>PKCS#12 file with the ECDSA P-256 certificate and key that sign this country's HCP and TRC assertions (listed in the trust list).</summary>
    [JsonPropertyName("assertionSigningPfx")] public string AssertionSigningPfx { get; init; } = string.Empty;

    /// <summary>PKCS#12 file with the service provider's signing certificate and key (AuthnRequests).</summary>
    [JsonPropertyName("spSigningPfx")] public string SpSigningPfx { get; init; } = string.Empty;

    /// <summary>PKCS#12 file with the service provider's RSA (at least 3072 bits) certificate and key that eIDAS nodes encrypt assertions to.</summary>
    [JsonPropertyName("spEncryptionPfx")] public string SpEncryptionPfx { get; init; } = string.Empty;

    /// <summary>The password of the three PKCS#12 files.</summary>
    [JsonPropertyName("password")] public string? Password { get; init; }

    /// <summary>The national eIDAS node's signing certificate (PEM); null runs the embedded test eIDAS node.</summary>
    [JsonPropertyName("idpCertificate")] public string? IdpCertificate { get; init; }

    /// <summary>The national eIDAS node's single-sign-on URL (with <see cref="IdpCertificate"/>).</summary>
    [JsonPropertyName("idpSsoUrl")] public string? IdpSsoUrl { get; init; }

    /// <summary>The registry of health professionals (JSON), mapping eIDAS person identifiers to role and organisation.</summary>
    [JsonPropertyName("professionals")] public string Professionals { get; init; } = string.Empty;

    /// <summary>The lowest level of assurance accepted for any transaction: <c>low</c>, <c>substantial</c> or <c>high</c>.</summary>
    [JsonPropertyName("minimumLevel")] public string MinimumLevel { get; init; } = "substantial";

    /// <summary>Stricter levels per transaction (<c>PatientDiscovery</c>, <c>PatientSummary</c>, <c>Prescriptions</c>, <c>Dispensation</c>).</summary>
    [JsonPropertyName("levels")] public Dictionary<string, string>? Levels { get; init; }

    /// <summary>Checks every field; throws <see cref="NodeConfigurationException"/> for the first that is wrong.</summary>
    public void Validate(string source)
    {
        foreach (var (value, field) in new[] { (AssertionSigningPfx, "eid.assertionSigningPfx"), (SpSigningPfx, "eid.spSigningPfx"), (SpEncryptionPfx, "eid.spEncryptionPfx"), (Professionals, "eid.professionals") })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new NodeConfigurationException($"{source}: '{field}' is required");
            }
        }

        if ((IdpCertificate is null) != (IdpSsoUrl is null))
        {
            throw new NodeConfigurationException($"{source}: 'eid.idpCertificate' and 'eid.idpSsoUrl' go together (omit both for the embedded test eIDAS node)");
        }

        _ = AccessLevels.Parse(MinimumLevel, "eid.minimumLevel", source);
        foreach (var (transaction, level) in Levels ?? [])
        {
            if (!Enum.TryParse<Konfido.Exchange.ExchangeTransaction>(transaction, ignoreCase: false, out _))
            {
                throw new NodeConfigurationException($"{source}: 'eid.levels' names '{transaction}', not one of {string.Join(", ", Enum.GetNames<Konfido.Exchange.ExchangeTransaction>())}");
            }

            _ = AccessLevels.Parse(level, $"eid.levels.{transaction}", source);
        }
    }
}

/// <summary>The node's key custody.</summary>
public sealed record CustodySettings
{
    /// <summary><c>software</c> (keys sealed under a machine key, the embedded default) or <c>tpm</c> (keys sealed to a TPM 2.0, ECDSA keys inside it).</summary>
    [JsonPropertyName("backend")] public string Backend { get; init; } = "software";

    /// <summary>The custody directory (key store and machine key).</summary>
    [JsonPropertyName("directory")] public string Directory { get; init; } = string.Empty;

    /// <summary>For the <c>tpm</c> backend: the TPM 2.0 to use, <c>host:port</c> of its raw command port
    /// (swtpm) or a device path such as <c>/dev/tpmrm0</c>; default <c>127.0.0.1:2321</c>.</summary>
    [JsonPropertyName("tpm")] public string? Tpm { get; init; }
}

/// <summary>The node's access policy.</summary>
public sealed record PolicySettings
{
    /// <summary>The country's policy file (YAML; see Konfido.Policy's README).</summary>
    [JsonPropertyName("file")] public string File { get; init; } = string.Empty;

    /// <summary>The GDPR Art. 33 breach configuration (JSON: controller, DPO, authority, classification rules), or null for none.</summary>
    [JsonPropertyName("breach")] public string? Breach { get; init; }
}

/// <summary>The national back end's storage settings.</summary>
public sealed record StorageSettings
{
    /// <summary><c>sqlite</c> (embedded default) or <c>postgres</c>.</summary>
    [JsonPropertyName("provider")] public string Provider { get; init; } = "sqlite";

    /// <summary>A SQLite file path, or an Npgsql connection string.</summary>
    [JsonPropertyName("connectionString")] public string ConnectionString { get; init; } = string.Empty;
}

/// <summary>A configuration error, with a message naming the file and field.</summary>
public sealed class NodeConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NodeConfigurationException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public NodeConfigurationException() { }

    /// <summary>Creates the exception with its cause.</summary>
    public NodeConfigurationException(string message, Exception inner) : base(message, inner) { }
}
