using Konfido.Core;
using Konfido.Custody;
using Konfido.Custody.Attestation;
using Konfido.He.Compiler;
using Konfido.He.Compiler.Service;
using Konfido.Testing;

namespace Konfido.Node.Tests;

/// <summary>Issue 10: the long-term secrets of the HE data owners and the per-patient data keys live in key custody.</summary>
public sealed class ComponentKeysInCustodyTests
{
    [Fact]
    public async Task An_authority_keeps_its_HE_secret_key_in_custody_decrypts_through_it_and_crypto_shreds_by_destroying_it()
    {
        using var directory = new TemporaryDirectory();
        using var custody = KeyCustody.OpenSoftware(new SoftwareCustodyOptions { Directory = directory.Path, Measurement = NodeMeasurement.FromDigest(new byte[NodeMeasurement.Size], "test") });
        var events = new InMemorySecurityEventSink();
        var service = new HeAnalyticsService(events, "DK");
        var program = HeCompiler.Compile("slots 16\nsecret x in [0, 200]\noutput total = sum(x)");
        using var owner = await HeDataOwner.CreateAsync(program, "dk-statistics", events, "DK", new CustodyHeSecretKeyVault(custody), "dk-statistics/heart-rate");

        var key = custody.FindKey(CustodyHeSecretKeyVault.KeyId("dk-statistics/heart-rate"));
        Assert.NotNull(key);
        Assert.Equal(CustodyKeyKind.Secret, key.Kind);
        Assert.Equal("in custody", events.Events.Single(e => e.Action == "he-keygen").Attributes["secret_key"]);

        Assert.True((await service.RegisterProgramAsync("hr", program.Serialize(), owner.EvaluationKeys, "dk-statistics")).Accepted);
        var readings = Enumerable.Range(0, 16).Select(i => 60.0 + i).ToArray();
        Assert.True((await service.UploadAsync("hr", "x", "cuff-1", owner.CreateEncryptor().Encrypt("x", readings))).Accepted);
        var computed = await service.ComputeAsync("hr", "dk-statistics");
        Assert.True(computed.Succeeded, computed.Reason);

        var decrypted = await owner.DecryptAsync(computed.Result!, "dk-statistics");
        Assert.NotNull(decrypted);
        Assert.Equal(readings.Sum(), decrypted.Outputs["total"][0], 1);

        // Destroying the custody key crypto-shreds the owner's ability to decrypt anything computed for it.
        Assert.True(custody.DestroyKey(key.Id));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await owner.DecryptAsync(computed.Result!, "dk-statistics"));
    }

    [Fact]
    public async Task Patient_data_keys_are_wrapped_inside_custody_and_destroying_the_master_key_shreds_every_patient()
    {
        using var directory = new TemporaryDirectory();
        using var custody = KeyCustody.OpenSoftware(new SoftwareCustodyOptions { Directory = directory.Path, Measurement = NodeMeasurement.FromDigest(new byte[NodeMeasurement.Size], "test") });
        var keys = new Konfido.Policy.Gdpr.PatientDataKeys(new CustodyMasterKey(custody), new Konfido.Policy.Gdpr.InMemoryWrappedKeyStore());
        var record = System.Text.Encoding.UTF8.GetBytes("{\"resourceType\":\"Condition\",\"code\":\"COPD\"}");
        var sealedForAnna = await keys.EncryptAsync("anna", record);
        var sealedForBo = await keys.EncryptAsync("bo", record);
        Assert.Equal(record, (await keys.DecryptAsync("anna", sealedForAnna)).Plaintext);
        Assert.False((await keys.DecryptAsync("bo", sealedForAnna)).Succeeded); // each patient has their own key

        Assert.True(custody.DestroyKey(CustodyKeyId.Parse(CustodyMasterKey.DefaultKeyId)));
        Assert.False((await keys.DecryptAsync("anna", sealedForAnna)).Succeeded);
        Assert.False((await keys.DecryptAsync("bo", sealedForBo)).Succeeded);
    }

    [Fact]
    public void The_ledger_and_siem_pseudonymise_through_custody_without_holding_the_federation_key()
    {
        using var directory = new TemporaryDirectory();
        using var custody = KeyCustody.OpenSoftware(new SoftwareCustodyOptions { Directory = directory.Path, Measurement = NodeMeasurement.FromDigest(new byte[NodeMeasurement.Size], "test") });
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var id = CustodyKeyId.Parse(CustodyReferences.PseudonymKeyId);
        custody.ImportSecret(id, key);
        var setting = CustodyReferences.Of(CustodyReferences.PseudonymKeyId);
        using var ledger = CustodyReferences.LedgerPseudonymiser(setting, custody, p => p, "ledger.pseudonymKey");
        using var siem = CustodyReferences.SiemPseudonymiser(setting, custody, p => p, "ledger.pseudonymKey");
        using var ledgerHoldingKey = new Konfido.Ledger.Log.PatientPseudonymiser(key);
        using var siemHoldingKey = new Konfido.Siem.Parsing.PatientPseudonymiser(key);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);

        // The same pseudonyms as under the key itself: every ledger and alert of the federation keeps matching.
        Assert.Equal(ledgerHoldingKey.Pseudonymise("urn:oid:1.2.208.176.1.2|0101561234"), ledger.Pseudonymise("urn:oid:1.2.208.176.1.2|0101561234"));
        Assert.Equal(siemHoldingKey.Pseudonymise("0101561234"), siem.Pseudonymise("0101561234"));

        // With the key gone from custody, a patient seen before keeps the pseudonym remembered, and a new one cannot be
        // pseudonymised at all: neither pseudonymiser holds the key.
        Assert.True(custody.DestroyKey(id));
        Assert.Equal(ledgerHoldingKey.Pseudonymise("urn:oid:1.2.208.176.1.2|0101561234"), ledger.Pseudonymise("urn:oid:1.2.208.176.1.2|0101561234"));
        Assert.Throws<InvalidOperationException>(() => ledger.Pseudonymise("urn:oid:1.2.208.176.1.2|0202624321"));
        Assert.Throws<InvalidOperationException>(() => siem.Pseudonymise("0202624321"));
    }
}
