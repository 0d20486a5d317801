using Konfido.Core;
using Konfido.Custody;
using Konfido.Custody.Attestation;
using Konfido.He.Compiler;
using Konfido.He.Compiler.Service;
using Konfido.Testing;

namespace Konfido.Node.Tests;

/// <summary>Issue 10: an HE data owner's secret key lives in key custody, never in the owner's process between decryptions.</summary>
public sealed class HeCustodyTests
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
}
