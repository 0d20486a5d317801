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

        // One pseudonymisation key for the whole federation, kept across runs (the same patient must keep the
        // same pseudonym in every ledger): it is imported into every node's custody and written nowhere else.
        var pseudonymKey = ExistingPseudonymKey(directory, nodes) ?? RandomNumberGenerator.GetBytes(32);
        var members = new List<FederationMember>();
        var configs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var plan in nodes)
        {
            var cc = plan.Country.ToUpperInvariant();
            var lower = cc.ToLowerInvariant();
            var nodeDirectory = Path.Combine(directory, lower);
            Directory.CreateDirectory(nodeDirectory);
            var policy = WritePolicy(nodeDirectory, lower, cc);
            ProfessionalRegistry.Save(Path.Combine(nodeDirectory, "professionals.json"), DemoProfessionals.For(cc), DemoProfessionals.Staff(cc));
            // Every key of the node is generated inside its custody (or imported at once, for the certificates' keys
            // made by the platform) and never written to a file; the operator lists the public parts in the trust list.
            // A re-run finds them there: an existing ledger keeps its keys, or its history could no longer be verified.
            string attestationKey, signingKey, payloadKey, tlsIssuerCertificate, measurement, logVerifier, witnessVerifier, tlsFingerprint, assertionCertificate;
            using (var custody = NodeLauncher.OpenCustody(cc, Path.Combine(nodeDirectory, "custody"), policy is null ? null : Path.Combine(directory, policy.File)))
            {
                measurement = custody.Measurement.Hex;
                attestationKey = Convert.ToBase64String(custody.AttestationPublicKey.Span);
                var id = Custody.CustodyKeyId.Parse(NodeLauncher.CustodySigningKeyId);
                var key = custody.FindKey(id) ?? custody.CreateKey(id, Custody.CustodyKeyKind.EcdsaP256Signing);
                signingKey = Convert.ToBase64String(key.PublicKey.Span);
                var payloadId = Custody.CustodyKeyId.Parse(CustodyReferences.PayloadKeyId);
                payloadKey = Convert.ToBase64String((custody.FindKey(payloadId) ?? custody.CreateKey(payloadId, Custody.CustodyKeyKind.EcdhP256KeyAgreement)).PublicKey.Span);
                logVerifier = CustodyReferences.EnsureNoteKey(custody, CustodyReferences.LedgerLogKeyId, NodeLedger.Origin(cc), cosignature: false);
                witnessVerifier = CustodyReferences.EnsureNoteKey(custody, CustodyReferences.LedgerWitnessKeyId, NodeLedger.WitnessName(cc), cosignature: true);
                using var tlsIssuer = EnsureCustodyCertificate(custody, CustodyReferences.TlsIssuerKeyId, $"CN=Konfido NCP {cc} TLS issuer, O=Konfido, C={cc}", certificateAuthority: true);
                tlsFingerprint = CertificateFingerprint.Sha256(tlsIssuer);
                tlsIssuerCertificate = Convert.ToBase64String(tlsIssuer.RawData);
                using var assertion = EnsureCustodyCertificate(custody, CustodyReferences.AssertionKeyId, $"CN=Konfido NCP {cc} assertion signer");
                assertionCertificate = Convert.ToBase64String(assertion.RawData);
                EnsureCustodyCertificate(custody, CustodyReferences.SpSigningKeyId, $"CN=Konfido NCP {cc} eIDAS SP").Dispose();
                if (custody.FindKey(Custody.CustodyKeyId.Parse(CustodyReferences.PseudonymKeyId)) is null)
                {
                    custody.ImportSecret(Custody.CustodyKeyId.Parse(CustodyReferences.PseudonymKeyId), pseudonymKey);
                }

                EnsureCertificate(custody, CustodyReferences.SpEncryptionKeyId, () => DemoCertificates.CreateRsa($"Konfido NCP {cc} eIDAS SP encryption")).Dispose();
            }

            members.Add(new FederationMember(cc, plan.Name, new Uri($"https://127.0.0.1:{plan.FederationPort}/"),
                tlsFingerprint, signingKey, logVerifier, witnessVerifier)
            {
                AssertionCertificate = assertionCertificate,
                AttestationKey = attestationKey,
                Measurements = [measurement],
                PayloadKey = payloadKey,
                TlsIssuer = tlsIssuerCertificate,
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
                Tls = new TlsSettings { Issuer = CustodyReferences.Of(CustodyReferences.TlsIssuerKeyId) },
                SigningKey = CustodyReferences.Of(NodeLauncher.CustodySigningKeyId),
                PayloadKey = CustodyReferences.Of(CustodyReferences.PayloadKeyId),
                TrustList = "trustlist.json",
                OperatorKey = "operator-public.pem",
                Storage = storage,
                Eid = new EidSettings
                {
                    AssertionSigningPfx = CustodyReferences.Of(CustodyReferences.AssertionKeyId),
                    SpSigningPfx = CustodyReferences.Of(CustodyReferences.SpSigningKeyId),
                    SpEncryptionPfx = CustodyReferences.Of(CustodyReferences.SpEncryptionKeyId),
                    Professionals = Path.Combine(lower, "professionals.json"),
                },
                Policy = policy,
                Custody = new CustodySettings { Directory = Path.Combine(lower, "custody") },
                Ledger = new LedgerSettings
                {
                    LogKey = CustodyReferences.Of(CustodyReferences.LedgerLogKeyId),
                    WitnessKey = CustodyReferences.Of(CustodyReferences.LedgerWitnessKeyId),
                    PseudonymKey = CustodyReferences.Of(CustodyReferences.PseudonymKeyId),
                },
            };
            var configPath = Path.Combine(directory, $"node-{lower}.json");
            NodeCredentials.WriteOwnerOnly(configPath, JsonSerializer.SerializeToUtf8Bytes(settings, new JsonSerializerOptions { WriteIndented = true }));
            configs[cc] = configPath;
        }

        CryptographicOperations.ZeroMemory(pseudonymKey);
        var now = DateTimeOffset.UtcNow;
        var trustList = new TrustList("konfido-demo", 1, now, now.AddDays(30), members);
        var trustListPath = Path.Combine(directory, "trustlist.json");
        File.WriteAllText(trustListPath, SignedTrustList.Sign(trustList, operatorKey));
        return new FederationLayout(directory, configs, trustListPath, operatorPublicPath);
    }

    /// <summary>The pseudonymisation key already in the custody of one of the nodes, if this folder was bootstrapped before.</summary>
    private static byte[]? ExistingPseudonymKey(string directory, IReadOnlyList<NodePlan> nodes)
    {
        var id = Custody.CustodyKeyId.Parse(CustodyReferences.PseudonymKeyId);
        foreach (var plan in nodes)
        {
            var custodyDirectory = Path.Combine(directory, plan.Country.ToLowerInvariant(), "custody");
            if (!Directory.Exists(custodyDirectory))
            {
                continue;
            }

            using var custody = NodeLauncher.OpenCustody(plan.Country.ToUpperInvariant(), custodyDirectory, null);
            if (custody.FindKey(id) is { IsDestroyed: false })
            {
                return custody.UseSecret(id, 0, static (secret, _) => secret.ToArray());
            }
        }

        return null;
    }

    /// <summary>A certificate whose ECDSA key is generated and kept in custody (a re-run finds it there; a folder bootstrapped
    /// before keys moved into custody keeps its PKCS#12 secret).</summary>
    private static X509Certificate2 EnsureCustodyCertificate(Custody.IKeyCustody custody, string id, string subject, bool certificateAuthority = false)
    {
        var keyId = Custody.CustodyKeyId.Parse(id);
        if (CustodyCertificates.Exists(custody, keyId))
        {
            var (certificate, key) = CustodyCertificates.Load(custody, keyId);
            key.Dispose();
            return certificate;
        }

        return custody.FindKey(keyId) is { Kind: Custody.CustodyKeyKind.Secret, IsDestroyed: false }
            ? HeldCertificate(custody, id)
            : CustodyCertificates.Create(custody, id, subject, TimeSpan.FromDays(certificateAuthority ? 730 : 365), certificateAuthority);
    }

    /// <summary>
    /// The certificate held in custody as <paramref name="id"/> (public part only), made by
    /// <paramref name="create"/> and imported with its private key on the first run.
    /// </summary>
    private static X509Certificate2 EnsureCertificate(Custody.IKeyCustody custody, string id, Func<X509Certificate2> create)
    {
        if (custody.FindKey(Custody.CustodyKeyId.Parse(id)) is not { IsDestroyed: false })
        {
            using var created = create();
            CustodyReferences.ImportCertificate(custody, id, created);
            return X509CertificateLoader.LoadCertificate(created.RawData);
        }

        return HeldCertificate(custody, id);
    }

    /// <summary>The public part of the PKCS#12 certificate held in custody as <paramref name="id"/>.</summary>
    private static X509Certificate2 HeldCertificate(Custody.IKeyCustody custody, string id)
    {
        using var held = CustodyReferences.LoadCertificate(CustodyReferences.Of(id), null, custody, path => path, id);
        return X509CertificateLoader.LoadCertificate(held.RawData);
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

    /// <summary>Finds and reserves <paramref name="count"/> free loopback TCP ports (see <see cref="LoopbackPorts"/>).</summary>
    public static int[] FreeLoopbackPorts(int count) => LoopbackPorts.Reserve(count);
}
