using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Security.Cryptography.X509Certificates;
using Konfido.Eid;
using Konfido.Exchange;

namespace Konfido.Node;

/// <summary>One node to create in a new federation.</summary>
/// <param name="Country">Its country code.</param>
/// <param name="Name">A display name.</param>
/// <param name="FederationPort">The federation API port on loopback.</param>
/// <param name="LocalPort">The local API port on loopback.</param>
public sealed record NodePlan(string Country, string Name, int FederationPort, int LocalPort);

/// <summary>What <see cref="FederationBootstrap.Create"/> wrote.</summary>
/// <param name="Directory">The federation folder.</param>
/// <param name="ConfigFiles">The node configuration file per country.</param>
/// <param name="TrustListPath">The signed trust list.</param>
/// <param name="OperatorPublicKeyPath">The operator's public key (PEM).</param>
public sealed record FederationLayout(string Directory, IReadOnlyDictionary<string, string> ConfigFiles, string TrustListPath, string OperatorPublicKeyPath);

/// <summary>
/// Creates a complete federation on one machine (for the demo and tests): a federation-operator
/// key, credentials per node, a signed trust list pinning every node's certificate and signing key,
/// and one configuration file per node. A real deployment gets its trust list from the federation
/// operator instead and only generates its own credentials.
/// </summary>
public static class FederationBootstrap
{
    /// <summary>Writes a federation for <paramref name="nodes"/> under <paramref name="directory"/>.</summary>
    /// <param name="directory">An empty or new folder.</param>
    /// <param name="nodes">The nodes, with distinct countries and ports.</param>
    /// <param name="storageProvider"><c>sqlite</c> (default) or <c>postgres</c>.</param>
    /// <param name="postgresConnectionString">With postgres: the connection string per country is derived by appending the database name.</param>
    public static FederationLayout Create(string directory, IReadOnlyList<NodePlan> nodes, string storageProvider = "sqlite", Func<string, string>? postgresConnectionString = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0 || nodes.Select(n => n.Country.ToUpperInvariant()).Distinct().Count() != nodes.Count)
        {
            throw new ArgumentException("Nodes must be non-empty with distinct countries.", nameof(nodes));
        }

        Directory.CreateDirectory(directory);
        using var operatorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        NodeCredentials.WriteOwnerOnly(Path.Combine(directory, "operator-signing.pem"), System.Text.Encoding.ASCII.GetBytes(operatorKey.ExportPkcs8PrivateKeyPem()));
        var operatorPublicPath = Path.Combine(directory, "operator-public.pem");
        File.WriteAllText(operatorPublicPath, operatorKey.ExportSubjectPublicKeyInfoPem());

        var pseudonymKeyPath = Path.Combine(directory, "federation-pseudonym.key");
        if (!File.Exists(pseudonymKeyPath))
        {
            // Kept across runs: the same patient must keep the same pseudonym in every ledger.
            NodeCredentials.WriteOwnerOnly(pseudonymKeyPath, System.Text.Encoding.ASCII.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(32))));
        }

        var members = new List<FederationMember>();
        var configs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var plan in nodes)
        {
            var cc = plan.Country.ToUpperInvariant();
            var lower = cc.ToLowerInvariant();
            var nodeDirectory = Path.Combine(directory, lower);
            Directory.CreateDirectory(nodeDirectory);
            using var credentials = NodeCredentials.Generate(cc, ["localhost", "127.0.0.1"], TimeSpan.FromDays(365));
            var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            credentials.Save(nodeDirectory, password, includeSigningKey: false); // the signing key is generated inside the node's custody below
            var (logKeyPath, witnessKeyPath) = (Path.Combine(nodeDirectory, $"{lower}-ledger.key"), Path.Combine(nodeDirectory, $"{lower}-witness.key"));
            string logVerifier, witnessVerifier;
            if (File.Exists(logKeyPath) && File.Exists(witnessKeyPath))
            {
                // An existing ledger keeps its keys, or its history could no longer be verified.
                using var logKey = NodeLedger.ReadSigner(logKeyPath, "ledger.logKey");
                using var witnessKey = NodeLedger.ReadSigner(witnessKeyPath, "ledger.witnessKey");
                (logVerifier, witnessVerifier) = (logKey.VerifierKey, witnessKey.CosignatureVerifierKey);
            }
            else
            {
                var keys = NodeLedger.GenerateKeys(cc);
                NodeCredentials.WriteOwnerOnly(logKeyPath, System.Text.Encoding.ASCII.GetBytes(keys.LogSignerKey));
                NodeCredentials.WriteOwnerOnly(witnessKeyPath, System.Text.Encoding.ASCII.GetBytes(keys.WitnessSignerKey));
                (logVerifier, witnessVerifier) = (keys.LogVerifierKey, keys.WitnessVerifierKey);
            }

            var eid = WriteEidMaterial(nodeDirectory, lower, cc, password);
            var policy = WritePolicy(nodeDirectory, lower, cc);
            // The node's custody holds its attestation key; the operator lists that key and the expected measurement.
            string attestationKey, signingKey, measurement;
            using (var custody = NodeLauncher.OpenCustody(cc, Path.Combine(nodeDirectory, "custody"), policy is null ? null : Path.Combine(directory, policy.File)))
            {
                measurement = custody.Measurement.Hex;
                attestationKey = Convert.ToBase64String(custody.AttestationPublicKey.Span);
                // The payload-signing key is generated inside custody and never leaves it; the operator lists its public key.
                var id = Custody.CustodyKeyId.Parse(NodeLauncher.CustodySigningKeyId);
                var key = custody.FindKey(id) ?? custody.CreateKey(id, Custody.CustodyKeyKind.EcdsaP256Signing);
                signingKey = Convert.ToBase64String(key.PublicKey.Span);
            }

            members.Add(new FederationMember(cc, plan.Name, new Uri($"https://127.0.0.1:{plan.FederationPort}/"),
                CertificateFingerprint.Sha256(credentials.TlsCertificate), signingKey, logVerifier, witnessVerifier)
            {
                AssertionCertificate = eid.AssertionCertificate,
                AttestationKey = attestationKey,
                Measurements = [measurement],
            });

            var storage = storageProvider == "postgres"
                ? new StorageSettings { Provider = "postgres", ConnectionString = (postgresConnectionString ?? throw new ArgumentNullException(nameof(postgresConnectionString)))(cc) }
                : new StorageSettings { Provider = "sqlite", ConnectionString = Path.Combine(lower, "records.db") };
            var settings = new NodeSettings
            {
                Country = cc,
                FederationListen = $"127.0.0.1:{plan.FederationPort}",
                LocalListen = $"127.0.0.1:{plan.LocalPort}",
                DataDirectory = lower,
                Tls = new TlsSettings { Pfx = Path.Combine(lower, $"{lower}-tls.pfx"), Password = password },
                SigningKey = NodeLauncher.CustodySigningKeyPrefix + NodeLauncher.CustodySigningKeyId,
                TrustList = "trustlist.json",
                OperatorKey = "operator-public.pem",
                Storage = storage,
                Eid = eid.Settings,
                Policy = policy,
                Custody = new CustodySettings { Directory = Path.Combine(lower, "custody") },
                Ledger = new LedgerSettings
                {
                    LogKey = Path.Combine(lower, $"{lower}-ledger.key"),
                    WitnessKey = Path.Combine(lower, $"{lower}-witness.key"),
                    PseudonymKey = "federation-pseudonym.key",
                },
            };
            var configPath = Path.Combine(directory, $"node-{lower}.json");
            NodeCredentials.WriteOwnerOnly(configPath, JsonSerializer.SerializeToUtf8Bytes(settings, new JsonSerializerOptions { WriteIndented = true }));
            configs[cc] = configPath;
        }

        var now = DateTimeOffset.UtcNow;
        var trustList = new TrustList("konfido-demo", 1, now, now.AddDays(30), members);
        var trustListPath = Path.Combine(directory, "trustlist.json");
        File.WriteAllText(trustListPath, SignedTrustList.Sign(trustList, operatorKey));
        return new FederationLayout(directory, configs, trustListPath, operatorPublicPath);
    }

    /// <summary>
    /// Writes a node's eID material: the ECDSA P-256 key that signs its cross-border assertions, the
    /// SP's signing key and RSA-3072 encryption key, and the registry of its demo professionals.
    /// </summary>
    private static (EidSettings Settings, string AssertionCertificate) WriteEidMaterial(string nodeDirectory, string lower, string country, string password)
    {
        using var assertion = DemoCertificates.CreateEcdsaP256($"Konfido NCP {country} assertion signer");
        using var spSigning = DemoCertificates.CreateEcdsaP256($"Konfido NCP {country} eIDAS SP");
        using var spEncryption = DemoCertificates.CreateRsa($"Konfido NCP {country} eIDAS SP encryption");
        NodeCredentials.WriteOwnerOnly(Path.Combine(nodeDirectory, $"{lower}-assertion.pfx"), assertion.Export(X509ContentType.Pkcs12, password));
        NodeCredentials.WriteOwnerOnly(Path.Combine(nodeDirectory, $"{lower}-eid-sp-signing.pfx"), spSigning.Export(X509ContentType.Pkcs12, password));
        NodeCredentials.WriteOwnerOnly(Path.Combine(nodeDirectory, $"{lower}-eid-sp-encryption.pfx"), spEncryption.Export(X509ContentType.Pkcs12, password));
        ProfessionalRegistry.Save(Path.Combine(nodeDirectory, "professionals.json"), DemoProfessionals.For(country), DemoProfessionals.Staff(country));
        var settings = new EidSettings
        {
            AssertionSigningPfx = Path.Combine(lower, $"{lower}-assertion.pfx"),
            SpSigningPfx = Path.Combine(lower, $"{lower}-eid-sp-signing.pfx"),
            SpEncryptionPfx = Path.Combine(lower, $"{lower}-eid-sp-encryption.pfx"),
            Password = password,
            Professionals = Path.Combine(lower, "professionals.json"),
        };
        return (settings, Convert.ToBase64String(assertion.RawData));
    }

    /// <summary>Writes the example access policy of <paramref name="country"/> (DK, ES, IT), or none for other countries.</summary>
    private static PolicySettings? WritePolicy(string nodeDirectory, string lower, string country)
    {
        if (!Konfido.Policy.Rules.ExamplePolicies.Countries.Any(c => c.Value == country))
        {
            return null;
        }

        File.WriteAllText(Path.Combine(nodeDirectory, "policy.yaml"), Konfido.Policy.Rules.ExamplePolicies.Text(Core.CountryCode.Parse(country)));
        File.WriteAllText(Path.Combine(nodeDirectory, "breach.json"), DemoBreachConfiguration.Json(country));
        return new PolicySettings { File = Path.Combine(lower, "policy.yaml"), Breach = Path.Combine(lower, "breach.json") };
    }

    /// <summary>Finds <paramref name="count"/> free TCP ports on loopback (bound and released at once).</summary>
    public static int[] FreeLoopbackPorts(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
