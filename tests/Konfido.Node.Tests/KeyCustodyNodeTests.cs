using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Konfido.Custody;
using Microsoft.Extensions.Logging;

namespace Konfido.Node.Tests;

/// <summary>Issue 10 in the node: every long-term key is generated in (or imported into) custody and never written out or logged.</summary>
public sealed class KeyCustodyNodeTests
{
    private static readonly string[] ExpectedKeys =
    [
        NodeLauncher.CustodySigningKeyId, CustodyReferences.TlsIssuerKeyId, CustodyReferences.LedgerLogKeyId, CustodyReferences.LedgerWitnessKeyId,
        CustodyReferences.AssertionKeyId, CustodyReferences.SpSigningKeyId, CustodyReferences.SpEncryptionKeyId, CustodyReferences.PseudonymKeyId,
        CustodyReferences.PayloadKeyId,
    ];

    [Fact]
    public async Task No_private_key_of_a_node_appears_in_any_file_of_the_federation_or_in_its_logs()
    {
        var log = new CapturedLog();
        await using var federation = await TestFederation.StartAsync(["DK", "ES"], logging: b => b.AddProvider(log).SetMinimumLevel(LogLevel.Trace));
        using (var doctor = await federation.ClientAsync("ES"))
        {
            using var summary = await doctor.GetAsync($"api/DK/Patient/$summary?identifier={ScriptedBackend.PatientId}");
            Assert.Equal(HttpStatusCode.OK, summary.StatusCode);
            using var refused = await federation.AnonymousClient("ES").GetAsync($"api/DK/Patient/$summary?identifier={ScriptedBackend.PatientId}");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // Every node's checkpoint is signed with its custody-held log key and cosigned by the other's custody-held witness key.
        var published = await federation["DK"].Components.Ledger!.Publisher!.PublishAsync();
        Assert.True(published.Published, string.Join("; ", published.Refusals));

        var secrets = new List<(string Name, byte[] Secret)>();
        foreach (var country in new[] { "DK", "ES" })
        {
            var custody = federation[country].Components.Custody!;
            var held = custody.ListKeys().Select(k => k.Id.ToString()).ToHashSet(StringComparer.Ordinal);
            Assert.Superset(ExpectedKeys.ToHashSet(StringComparer.Ordinal), held);
            foreach (var id in ExpectedKeys)
            {
                secrets.AddRange(SecretsOf(custody, id).Select(s => ($"{country} {id}", s)));
            }
        }

        foreach (var node in new[] { "DK", "ES" })
        {
            await federation[node].StopAsync();
        }

        Assert.NotEmpty(log.Text); // the capture works: the nodes did log
        var files = Directory.EnumerateFiles(federation.Layout.Directory, "*", SearchOption.AllDirectories).ToArray();
        // Key files exist only inside the custody folders (sealed blobs and the machine key that seals them).
        var outside = files.Where(f => !f.Contains($"{Path.DirectorySeparatorChar}custody{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).ToArray();
        Assert.DoesNotContain(outside, f => f.EndsWith(".pfx", StringComparison.Ordinal) || f.EndsWith(".key", StringComparison.Ordinal) || f.EndsWith(".pem", StringComparison.Ordinal) && !f.EndsWith("public.pem", StringComparison.Ordinal) && !f.EndsWith("operator-signing.pem", StringComparison.Ordinal));
        var haystacks = files.Select(f => (f, File.ReadAllBytes(f))).Append(("log", Encoding.UTF8.GetBytes(log.Text))).ToArray();
        foreach (var (name, secret) in secrets)
        {
            foreach (var form in Forms(secret))
            {
                foreach (var (where, bytes) in haystacks)
                {
                    Assert.False(bytes.AsSpan().IndexOf(form) >= 0, $"{name} appears in {where}");
                }
            }
        }
    }

    [Fact]
    public async Task The_tls_identity_and_the_eid_keys_are_custody_keys_and_only_short_lived_tls_keys_are_in_memory()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        var dk = federation["DK"];
        var member = dk.Components.TrustList().Find("DK")!;
        var custody = dk.Components.Custody!;
        var tls = dk.Components.Credentials.TlsCertificate;

        // TLS: the trust list pins the issuer, whose key is a custody key; the certificate in use is short-lived and issued by it.
        Assert.Equal(CustodyKeyKind.EcdsaP256Signing, custody.FindKey(CustodyKeyId.Parse(CustodyReferences.TlsIssuerKeyId))!.Kind);
        Assert.NotNull(member.TlsIssuer);
        Assert.Equal(tls.Issuer, X509CertificateLoader.LoadCertificate(Convert.FromBase64String(member.TlsIssuer!)).Subject);
        Assert.True(tls.NotAfter - tls.NotBefore <= TimeSpan.FromHours(48) + TimeSpan.FromMinutes(5));
        Assert.True(member.AcceptsTlsCertificate(tls, DateTimeOffset.UtcNow));
        Assert.True(dk.Components.Credentials.IssuesTlsCertificates);
        using (var doctor = await federation.ClientAsync("ES"))
        {
            using var summary = await doctor.GetAsync($"api/DK/Patient/$summary?identifier={ScriptedBackend.PatientId}"); // mutual TLS with issued certificates both ways
            Assert.Equal(HttpStatusCode.OK, summary.StatusCode);
        }

        // eID: the signing keys sign through custody; the decryption key is opened per decryption; none is exportable.
        var eid = dk.Eid!.Material;
        Assert.IsType<CustodyECDsa>(eid.AssertionKey);
        Assert.IsType<CustodyECDsa>(eid.SpSigningKey);
        Assert.IsType<CustodyPkcs12Rsa>(eid.SpDecryptionKey);
        Assert.False(eid.AssertionSigning.HasPrivateKey);
        Assert.False(eid.SpSigning.HasPrivateKey);
        Assert.False(eid.SpEncryption.HasPrivateKey);
        Assert.ThrowsAny<CryptographicException>(() => eid.AssertionKey!.ExportParameters(true));
        Assert.ThrowsAny<CryptographicException>(() => eid.SpDecryptionKey!.ExportParameters(true));
    }

    [Fact]
    public async Task A_node_whose_custody_lost_a_key_does_not_start_and_says_which()
    {
        await using var federation = await TestFederation.StartAsync(["DK"], notStarted: ["DK"]);
        var config = federation.Layout.ConfigFiles["DK"];
        var text = await File.ReadAllTextAsync(config);
        await File.WriteAllTextAsync(config, text.Replace(CustodyReferences.LedgerWitnessKeyId, "konfido.node/no-such-key", StringComparison.Ordinal));
        var error = Assert.Throws<NodeConfigurationException>(() => NodeLauncher.Load(NodeSettings.Load(config), (_, c) => new ScriptedBackend(c), new Core.InMemorySecurityEventSink()));
        Assert.Contains("ledger.witnessKey", error.Message, StringComparison.Ordinal);
        Assert.Contains("no such key", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The secret material of custody key <paramref name="id"/>: the raw key, or for a certificate the private key's scalars.</summary>
    private static IEnumerable<byte[]> SecretsOf(IKeyCustody custody, string id)
    {
        var raw = custody.UseSecret(CustodyKeyId.Parse(id), 0, static (secret, _) => secret.ToArray());
        var kind = custody.FindKey(CustodyKeyId.Parse(id))!.Kind;
        if (kind is CustodyKeyKind.EcdsaP256Signing or CustodyKeyKind.EcdhP256KeyAgreement)
        {
            return [raw[..32]]; // the private scalar d (the rest of the material is the public point)
        }

        if (kind != CustodyKeyKind.Secret || id == CustodyReferences.PseudonymKeyId)
        {
            return [raw];
        }

        using var certificate = X509CertificateLoader.LoadPkcs12(raw, null, X509KeyStorageFlags.Exportable);
        if (certificate.GetECDsaPrivateKey() is { } ec)
        {
            using (ec)
            {
                return [ec.ExportParameters(true).D!];
            }
        }

        using var rsa = certificate.GetRSAPrivateKey()!;
        var p = rsa.ExportParameters(true);
        return [p.D!, p.P!, p.Q!];
    }

    private static IEnumerable<byte[]> Forms(byte[] secret) =>
    [
        secret,
        Encoding.ASCII.GetBytes(Convert.ToHexString(secret)),
        Encoding.ASCII.GetBytes(Convert.ToHexStringLower(secret)),
        Encoding.ASCII.GetBytes(Convert.ToBase64String(secret).TrimEnd('=')),
    ];
}
