using System.Security.Cryptography;
using Konfido.Custody.Tpm;

namespace Konfido.Custody.Tests;

/// <summary>The hand-marshalled TPM 2.0 commands against the software TPM.</summary>
public sealed class TpmSessionTests
{
    [Fact]
    public void GetRandom_returns_the_requested_number_of_bytes()
    {
        using var session = TpmSession.Open(CustodyFactory.TpmEndpoint);
        var a = session.GetRandom(48);
        var b = session.GetRandom(48);
        Assert.Equal(48, a.Length);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Startup_is_idempotent()
    {
        using var session = TpmSession.Open(CustodyFactory.TpmEndpoint);
        session.Startup();
        session.Startup();
    }

    [Fact]
    public void PcrExtend_follows_the_extend_rule_and_PcrRead_reads_it()
    {
        using var session = TpmSession.Open(CustodyFactory.TpmEndpoint);
        session.PcrReset(16);
        Assert.Equal(new byte[32], session.PcrRead(16));
        var m1 = SHA256.HashData("first"u8);
        var m2 = SHA256.HashData("second"u8);
        session.PcrExtend(16, m1);
        session.PcrExtend(16, m2);
        var expected = SHA256.HashData([.. SHA256.HashData([.. new byte[32], .. m1]), .. m2]);
        Assert.Equal(expected, session.PcrRead(16));
    }

    [Fact]
    public void Sealed_data_object_unseals_to_the_same_bytes()
    {
        using var session = TpmSession.Open(CustodyFactory.TpmEndpoint);
        var secret = RandomNumberGenerator.GetBytes(TpmConstants.MaxSealedData);
        var blob = session.Create(TpmTemplates.SealedData, secret);
        var loaded = session.Load(blob);
        Assert.Equal(secret, session.Unseal(loaded));
    }

    [Fact]
    public void Loading_an_altered_private_blob_is_refused_by_the_tpm()
    {
        using var session = TpmSession.Open(CustodyFactory.TpmEndpoint);
        var blob = session.Create(TpmTemplates.SealedData, [1, 2, 3]);
        var altered = (byte[])blob.Private.Clone();
        altered[^1] ^= 0x01;
        var ex = Assert.Throws<TpmCommandException>(() => session.Load(blob with { Private = altered }));
        Assert.Equal(TpmCc.Load, ex.CommandCode);
    }

    [Fact]
    public void Tpm_ecdsa_signature_verifies_with_dotnet_ecdsa()
    {
        using var session = TpmSession.Open(CustodyFactory.TpmEndpoint);
        var blob = session.Create(w => TpmTemplates.EcdsaSigningKey(w, restricted: false), []);
        var key = session.Load(blob);
        var message = "patient summary"u8.ToArray();
        var signature = session.Sign(key, SHA256.HashData(message)).ToP1363();
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(TpmTemplates.EccPublicKeyInfo(blob.Public), out _);
        Assert.True(ecdsa.VerifyData(message, signature, HashAlgorithmName.SHA256));
        Assert.False(ecdsa.VerifyData("other"u8, signature, HashAlgorithmName.SHA256));
    }

    [Fact]
    public void Rsa2048_storage_primary_can_parent_a_sealed_object()
    {
        using var session = TpmSession.Open(CustodyFactory.TpmEndpoint, TpmStorageKeyAlgorithm.Rsa2048);
        var blob = session.Create(TpmTemplates.SealedData, [9, 8, 7]);
        Assert.Equal(new byte[] { 9, 8, 7 }, session.Unseal(session.Load(blob)));
    }

    [Fact]
    public void Session_flushes_every_object_it_loaded()
    {
        using (var session = TpmSession.Open(CustodyFactory.TpmEndpoint))
        {
            session.Load(session.Create(TpmTemplates.SealedData, [1]));
            Assert.NotEmpty(session.GetTransientHandles());
        }

        using var next = TpmSession.Open(CustodyFactory.TpmEndpoint);
        Assert.Empty(next.GetTransientHandles());
    }
}

/// <summary>TPM-enforced binding of a sealed object to a PCR value (TPM2_PolicyPCR).</summary>
public sealed class TpmPolicyTests
{
    [Fact]
    public void A_pcr_bound_object_unseals_only_while_the_pcr_holds_the_expected_value()
    {
        const int pcr = 16;
        var good = SHA256.HashData("expected build"u8);
        var bad = SHA256.HashData("tampered build"u8);
        var expectedPcr = SHA256.HashData([.. new byte[32], .. good]);
        using var session = TpmSession.Open(CustodyFactory.TpmEndpoint);
        var blob = session.Create(w => TpmTemplates.SealedData(w, TpmTemplates.PcrPolicyDigest(pcr, expectedPcr)), [4, 2]);
        var loaded = session.Load(blob);

        // The password alone no longer suffices (userWithAuth is clear).
        Assert.Throws<TpmCommandException>(() => session.Unseal(loaded));

        session.PcrReset(pcr);
        session.PcrExtend(pcr, bad);
        var refused = session.StartPolicySession();
        session.PolicyPcr(refused, pcr);
        Assert.Throws<TpmCommandException>(() => session.Unseal(loaded, refused));
        session.FlushContext(refused);

        session.PcrReset(pcr);
        session.PcrExtend(pcr, good);
        Assert.Equal(expectedPcr, session.PcrRead(pcr));
        var accepted = session.StartPolicySession();
        session.PolicyPcr(accepted, pcr);
        Assert.Equal(new byte[] { 4, 2 }, session.Unseal(loaded, accepted));
    }
}

/// <summary>The TPM backend's measurement-bound sealing is enforced by the TPM, not only by custody code.</summary>
public sealed class TpmBoundSealingTests
{
    [Fact]
    public void The_tpm_object_inside_a_measurement_bound_blob_refuses_the_password()
    {
        using var scope = new CustodyScope("tpm");
        var blob = scope.Custody.Seal("bound"u8, SealBinding.BackendAndMeasurement);
        var backendBlob = blob.AsSpan(2 + Attestation.NodeMeasurement.Size);
        Assert.Equal(0x03, backendBlob[0]);
        Assert.True(TpmBlobs.TryDecode(backendBlob[1..], out var sealedKey, out _));

        using var session = TpmSession.Open(CustodyFactory.TpmEndpoint);
        var loaded = session.Load(sealedKey);
        Assert.Throws<TpmCommandException>(() => session.Unseal(loaded));
        session.PcrReset(23);
        session.PcrExtend(23, CustodyFactory.OtherMeasurement.Digest.Span);
        var policy = session.StartPolicySession();
        session.PolicyPcr(policy, 23);
        Assert.Throws<TpmCommandException>(() => session.Unseal(loaded, policy));
    }
}
