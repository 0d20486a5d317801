using System.Security.Cryptography;
using System.Text;
using Konfido.Custody.Attestation;
using BcEd25519 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Konfido.Custody.Tests;

/// <summary>The behaviour every <see cref="IKeyCustody"/> backend must show; run once per backend.</summary>
public abstract class KeyCustodyContractTests : IDisposable
{
    private readonly CustodyScope _scope;

    protected KeyCustodyContractTests(string backend) => _scope = new CustodyScope(backend);

    private IKeyCustody Custody => _scope.Custody;

    private static CustodyKeyId Id(string name) => CustodyKeyId.Parse(name);

    public void Dispose()
    {
        _scope.Dispose();
        GC.SuppressFinalize(this);
    }

    [Theory]
    [InlineData(CustodyKeyKind.Ed25519Signing)]
    [InlineData(CustodyKeyKind.EcdsaP256Signing)]
    public void A_generated_signing_key_signs_and_the_signature_verifies(CustodyKeyKind kind)
    {
        var info = Custody.CreateKey(Id("ledger/checkpoint"), kind);
        var message = "checkpoint 42"u8.ToArray();
        var signature = Custody.Sign(info.Id, message);
        Assert.True(CustodySignatures.Verify(kind, info.PublicKey.Span, message, signature));
        Assert.False(CustodySignatures.Verify(kind, info.PublicKey.Span, "checkpoint 43"u8, signature));
        signature[5] ^= 1;
        Assert.False(CustodySignatures.Verify(kind, info.PublicKey.Span, message, signature));
    }

    [Fact]
    public void A_digest_signature_verifies_as_ecdsa_over_that_digest()
    {
        var info = Custody.CreateKey(Id("jws"), CustodyKeyKind.EcdsaP256Signing);
        var digest = SHA256.HashData("payload"u8);
        var signature = Custody.SignDigest(info.Id, digest);
        using var verifier = ECDsa.Create();
        verifier.ImportSubjectPublicKeyInfo(info.PublicKey.Span, out _);
        Assert.True(verifier.VerifyHash(digest, signature));
        Assert.True(CustodySignatures.Verify(CustodyKeyKind.EcdsaP256Signing, info.PublicKey.Span, "payload"u8, signature));
        Assert.Throws<ArgumentException>(() => Custody.SignDigest(info.Id, new byte[20]));
    }

    [Fact]
    public void CustodyECDsa_signs_a_certificate_without_exposing_the_key()
    {
        var info = Custody.CreateKey(Id("node-ca"), CustodyKeyKind.EcdsaP256Signing);
        using var key = new CustodyECDsa(Custody, info.Id);
        Assert.Throws<CryptographicException>(() => key.ExportParameters(includePrivateParameters: true));
        Assert.Throws<CryptographicException>(() => key.ExportECPrivateKey());

        var name = new System.Security.Cryptography.X509Certificates.X500DistinguishedName("CN=Konfido DK node CA");
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest(name, key, HashAlgorithmName.SHA256);
        using var certificate = request.Create(name, System.Security.Cryptography.X509Certificates.X509SignatureGenerator.CreateForECDsa(key),
            DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3]);
        using var publicKey = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPublicKey(certificate)!;
        Assert.Equal(info.PublicKey.ToArray(), publicKey.ExportSubjectPublicKeyInfo());

        // The signature over the TBSCertificate (RFC 5280 §4.1) verifies under the custody key.
        var reader = new System.Formats.Asn1.AsnReader(certificate.RawData, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
        var tbs = reader.ReadEncodedValue();
        reader.ReadSequence(); // signatureAlgorithm
        var signature = reader.ReadBitString(out _);
        Assert.True(publicKey.VerifyData(tbs.Span, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public void Keys_survive_reopening_the_custody()
    {
        var created = Custody.CreateKey(Id("witness"), CustodyKeyKind.EcdsaP256Signing);
        var reopened = _scope.Reopen();
        var found = reopened.FindKey(created.Id);
        Assert.NotNull(found);
        Assert.Equal(created.PublicKey.ToArray(), found.PublicKey.ToArray());
        var signature = reopened.Sign(created.Id, "m"u8);
        Assert.True(CustodySignatures.Verify(CustodyKeyKind.EcdsaP256Signing, created.PublicKey.Span, "m"u8, signature));
    }

    [Fact]
    public void Ed25519_signatures_equal_the_reference_signature_of_the_held_seed()
    {
        var id = Id("note-signer");
        Custody.CreateKey(id, CustodyKeyKind.Ed25519Signing);
        var message = "a signed note\n"u8.ToArray();
        var expected = Custody.UseSecret(id, message, static (seed, m) =>
        {
            var signature = new byte[64];
            BcEd25519.Sign(seed.ToArray(), 0, m, 0, m.Length, signature, 0);
            return signature;
        });
        Assert.Equal(expected, Custody.Sign(id, message));
    }

    [Fact]
    public void Hmac_equals_the_reference_hmac_of_the_held_key()
    {
        var id = Id("pseudonymiser");
        Custody.CreateKey(id, CustodyKeyKind.HmacSha256);
        var data = "DK-0101801234"u8.ToArray();
        var expected = Custody.UseSecret(id, data, static (key, d) => HMACSHA256.HashData(key, d));
        Assert.Equal(expected, Custody.ComputeHmac(id, data));
        Assert.NotEqual(expected, Custody.ComputeHmac(id, "DK-0101801235"u8));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100_000)]
    public void Sealed_data_unseals_to_the_same_bytes(int size)
    {
        var data = RandomNumberGenerator.GetBytes(size);
        var blob = Custody.Seal(data);
        var result = Custody.Unseal(blob);
        Assert.True(result.Succeeded, result.Failure.ToString());
        Assert.Equal(data, result.Value);
        Assert.True(_scope.Reopen().Unseal(blob).Succeeded);
    }

    [Fact]
    public void A_tampered_sealed_blob_fails_to_unseal_at_every_position()
    {
        var blob = Custody.Seal("HE secret key"u8);
        var stride = Math.Max(1, blob.Length / 48);
        for (var i = 0; i < blob.Length; i += stride)
        {
            var tampered = (byte[])blob.Clone();
            tampered[i] ^= 0x20;
            var result = Custody.Unseal(tampered);
            Assert.False(result.Succeeded, $"flipping byte {i} of {blob.Length} was not detected");
            Assert.Equal(CustodyFailure.Tampered, result.Failure);
        }

        var rebound = (byte[])blob.Clone();
        rebound[1] = (byte)SealBinding.BackendAndMeasurement; // claims a binding it never had
        Assert.False(Custody.Unseal(rebound).Succeeded);
        Assert.Equal(CustodyFailure.Tampered, Custody.Unseal(blob.AsSpan(0, blob.Length - 1)).Failure);
        Assert.Equal(CustodyFailure.Tampered, Custody.Unseal([.. blob, 0]).Failure);
        Assert.Equal(CustodyFailure.Tampered, Custody.Unseal([]).Failure);
    }

    [Fact]
    public void A_blob_bound_to_the_measurement_unseals_only_under_that_measurement()
    {
        var blob = Custody.Seal("TLS key"u8, SealBinding.BackendAndMeasurement);
        Assert.True(Custody.Unseal(blob).Succeeded);
        var other = _scope.Reopen(CustodyFactory.OtherMeasurement);
        Assert.Equal(CustodyFailure.WrongMeasurement, other.Unseal(blob).Failure);
        var unbound = Custody.Seal("x"u8);
        Assert.True(other.Unseal(unbound).Succeeded);
    }

    [Fact]
    public void Data_keys_encrypt_and_decrypt_with_associated_data()
    {
        var id = Id("patient/3f1c9a");
        Custody.CreateKey(id, CustodyKeyKind.Aes256Gcm);
        var record = "IPS bundle"u8.ToArray();
        var ciphertext = Custody.Encrypt(id, record, "record-1"u8);
        Assert.Equal(record.Length + CustodyCiphertext.Overhead, ciphertext.Length);
        Assert.Equal(record, Custody.Decrypt(id, ciphertext, "record-1"u8).Value);
        Assert.Equal(CustodyFailure.Tampered, Custody.Decrypt(id, ciphertext, "record-2"u8).Failure);
        ciphertext[^1] ^= 1;
        Assert.Equal(CustodyFailure.Tampered, Custody.Decrypt(id, ciphertext, "record-1"u8).Failure);
        Assert.Equal(CustodyFailure.KeyNotFound, Custody.Decrypt(Id("patient/none"), ciphertext, "record-1"u8).Failure);
    }

    [Fact]
    public void Destroying_a_patient_key_shreds_the_data_encrypted_under_it()
    {
        var id = Id("patient/7a0e52");
        Custody.CreateKey(id, CustodyKeyKind.Aes256Gcm);
        var ciphertext = Custody.Encrypt(id, "allergy: penicillin"u8, []);
        Assert.True(Custody.DestroyKey(id));
        Assert.False(Custody.DestroyKey(id));
        Assert.Equal(CustodyFailure.KeyDestroyed, Custody.Decrypt(id, ciphertext, []).Failure);
        Assert.Equal(CustodyFailure.KeyDestroyed, _scope.Reopen().Decrypt(id, ciphertext, []).Failure);
        Assert.True(_scope.Custody.FindKey(id)!.IsDestroyed);
        Assert.Throws<InvalidOperationException>(() => _scope.Custody.Encrypt(id, "x"u8, []));
        Assert.Throws<InvalidOperationException>(() => _scope.Custody.CreateKey(id, CustodyKeyKind.Aes256Gcm));
        var file = Directory.GetFiles(Path.Combine(_scope.Directory, "keys"), "*.key")
            .Single(f => File.ReadAllText(f).Contains("patient/7a0e52", StringComparison.Ordinal));
        Assert.Contains("\"protected\": \"\"", File.ReadAllText(file), StringComparison.Ordinal);
    }

    [Fact]
    public void Misuse_throws()
    {
        var sign = Id("signer");
        var aes = Id("aes");
        Custody.CreateKey(sign, CustodyKeyKind.Ed25519Signing);
        Custody.CreateKey(aes, CustodyKeyKind.Aes256Gcm);
        Assert.Throws<InvalidOperationException>(() => Custody.CreateKey(sign, CustodyKeyKind.Ed25519Signing));
        Assert.Throws<InvalidOperationException>(() => Custody.Sign(aes, "x"u8));
        Assert.Throws<InvalidOperationException>(() => Custody.Encrypt(sign, "x"u8, []));
        Assert.Throws<InvalidOperationException>(() => Custody.Decrypt(sign, new byte[40], []));
        Assert.Throws<KeyNotFoundException>(() => Custody.Sign(Id("missing"), "x"u8));
        Assert.Throws<ArgumentException>(() => Custody.CreateKey(Id("s"), CustodyKeyKind.Secret));
        Assert.Throws<ArgumentException>(() => Custody.Attest(new byte[8]));
    }

    [Fact]
    public void Imported_secrets_are_usable_only_through_UseSecret()
    {
        var secret = RandomNumberGenerator.GetBytes(5000);
        var info = Custody.ImportSecret(Id("he/secret-key"), secret);
        Assert.Equal(CustodyKeyKind.Secret, info.Kind);
        Assert.True(info.PublicKey.IsEmpty);
        var digest = _scope.Reopen().UseSecret(info.Id, 0, static (s, _) => SHA256.HashData(s));
        Assert.Equal(SHA256.HashData(secret), digest);
    }

    [Fact]
    public void ListKeys_reports_every_key_by_id_without_material()
    {
        Custody.CreateKey(Id("b"), CustodyKeyKind.HmacSha256);
        Custody.CreateKey(Id("a"), CustodyKeyKind.Ed25519Signing);
        Custody.DestroyKey(Id("b"));
        var keys = Custody.ListKeys();
        Assert.Equal(["a", "b"], keys.Select(k => k.Id.Value));
        Assert.False(keys[0].IsDestroyed);
        Assert.True(keys[1].IsDestroyed);
    }

    [Fact]
    public void Attestation_quote_verifies_and_a_wrong_expected_measurement_is_refused()
    {
        var nonce = RandomNumberGenerator.GetBytes(32);
        var quote = Custody.Attest(nonce);
        var key = Custody.AttestationPublicKey.Span;
        Assert.Equal(_scope.BackendName == "tpm" ? AttestationQuote.TpmFormat : AttestationQuote.SoftwareFormat, quote.Format);
        Assert.True(QuoteChecks.Check(quote, key, nonce, [CustodyFactory.Measurement]).IsValid);
        Assert.Equal(AttestationFailure.WrongMeasurement, QuoteChecks.Check(quote, key, nonce, [CustodyFactory.OtherMeasurement]).Failure);
        Assert.Equal(AttestationFailure.WrongNonce, QuoteChecks.Check(quote, key, RandomNumberGenerator.GetBytes(32), [CustodyFactory.Measurement]).Failure);
    }

    [Fact]
    public void A_quote_whose_claims_were_altered_is_refused()
    {
        var nonce = RandomNumberGenerator.GetBytes(32);
        var quote = Custody.Attest(nonce);
        var key = Custody.AttestationPublicKey.ToArray();
        var expected = new[] { CustodyFactory.Measurement, CustodyFactory.OtherMeasurement };

        // Claim the other (also expected) measurement without the evidence for it.
        var claimed = quote with { Measurement = CustodyFactory.OtherMeasurement.Digest };
        Assert.Equal(AttestationFailure.Malformed, QuoteChecks.Check(claimed, key, nonce, expected).Failure);

        var evidence = quote.Evidence.ToArray();
        evidence[^3] ^= 1;
        Assert.Equal(AttestationFailure.BadSignature, QuoteChecks.Check(quote with { Evidence = evidence }, key, nonce, expected).Failure);

        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(AttestationFailure.BadSignature, QuoteChecks.Check(quote, stranger.ExportSubjectPublicKeyInfo(), nonce, expected).Failure);

        Assert.True(AttestationQuote.TryParseJson(quote.ToJson(), out var parsed, out _));
        Assert.True(QuoteChecks.Check(parsed!, key, nonce, expected).IsValid);
    }

    [Fact]
    public void Key_material_never_appears_in_the_key_store_or_the_log()
    {
        var log = new StringBuilder();
        var kinds = new[] { CustodyKeyKind.Ed25519Signing, CustodyKeyKind.EcdsaP256Signing, CustodyKeyKind.Aes256Gcm, CustodyKeyKind.HmacSha256 };
        var secrets = new List<byte[]>();
        foreach (var kind in kinds)
        {
            var info = Custody.CreateKey(Id($"k/{CustodyKeyKinds.Name(kind)}"), kind);
            log.AppendLine(info.ToString());
            if (kind == CustodyKeyKind.EcdsaP256Signing && _scope.BackendName == "tpm")
            {
                Assert.Throws<InvalidOperationException>(() => Custody.UseSecret(info.Id, 0, static (s, _) => s.ToArray()));
                continue; // The private key lives inside the TPM.
            }

            secrets.Add(Custody.UseSecret(info.Id, 0, static (s, _) => s.ToArray()));
        }

        var imported = RandomNumberGenerator.GetBytes(64);
        Custody.ImportSecret(Id("puf/record"), imported);
        secrets.Add(imported);
        var sealedData = RandomNumberGenerator.GetBytes(48);
        File.WriteAllBytes(Path.Combine(_scope.Directory, "sealed.bin"), Custody.Seal(sealedData));
        secrets.Add(sealedData);

        // Everything the API hands back or reports is the "log".
        var aes = Id("k/aes-256-gcm");
        var ciphertext = Custody.Encrypt(aes, "x"u8, []);
        log.AppendLine(Convert.ToBase64String(ciphertext));
        log.AppendLine(Custody.Decrypt(aes, [.. ciphertext[..^1], 0], []).ToString());
        log.AppendLine(Custody.Unseal(new byte[80]).ToString());
        log.AppendLine(Custody.Attest(RandomNumberGenerator.GetBytes(32)).ToJson());
        foreach (var key in Custody.ListKeys())
        {
            log.AppendLine(key.ToString());
        }

        try
        {
            Custody.Sign(aes, "x"u8);
        }
        catch (InvalidOperationException ex)
        {
            log.AppendLine(ex.ToString());
        }

        var text = log.ToString();
        var files = Directory.GetFiles(_scope.Directory, "*", SearchOption.AllDirectories).Select(File.ReadAllBytes).ToList();
        Assert.NotEmpty(files);
        foreach (var secret in secrets)
        {
            foreach (var file in files)
            {
                Assert.Equal(-1, file.AsSpan().IndexOf(secret));
                Assert.Equal(-1, file.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Convert.ToHexString(secret))));
                Assert.Equal(-1, file.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(secret))));
                Assert.Equal(-1, file.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Convert.ToBase64String(secret)[..40])));
            }

            Assert.DoesNotContain(Convert.ToHexString(secret), text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(secret)[..40], text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Key_store_files_are_readable_by_the_owner_only()
    {
        Assert.False(OperatingSystem.IsWindows(), "POSIX file modes are checked on Linux and macOS only.");
        Custody.CreateKey(Id("tls"), CustodyKeyKind.EcdsaP256Signing);
        foreach (var file in Directory.GetFiles(_scope.Directory, "*", SearchOption.AllDirectories))
        {
            var mode = OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(file);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        }
    }

    [Fact]
    public async Task Concurrent_use_from_many_threads_is_safe()
    {
        var id = Id("busy");
        var info = Custody.CreateKey(id, CustodyKeyKind.EcdsaP256Signing);
        var signatures = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => (i, Custody.Sign(id, [(byte)i])))));
        foreach (var (i, signature) in signatures)
        {
            Assert.True(CustodySignatures.Verify(CustodyKeyKind.EcdsaP256Signing, info.PublicKey.Span, [(byte)i], signature));
        }
    }
}

public sealed class SoftwareCustodyContractTests() : KeyCustodyContractTests("software");

public sealed class TpmCustodyContractTests() : KeyCustodyContractTests("tpm");
