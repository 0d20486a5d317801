using Konfido.Node;
using Konfido.Puf.Protocol;
using Konfido.Testing;

namespace Konfido.Sdk.Tests;

/// <summary>The <see cref="IReferenceProtector"/> contract, over every implementation: the software one and the node's custody-backed one.</summary>
public sealed class ReferenceProtectorContractTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new("konfido-protector");
    private readonly Custody.IKeyCustody _custody;

    public ReferenceProtectorContractTests() => _custody = NodeLauncher.OpenCustody("DK", _directory.File("custody"), null);

    public static TheoryData<string> Implementations => new() { "aes-gcm", "custody" };

    public void Dispose()
    {
        _custody.Dispose();
        _directory.Dispose();
    }

    [Theory]
    [MemberData(nameof(Implementations))]
    public void A_protected_reference_opens_only_with_its_binding_and_unaltered(string implementation)
    {
        var protector = Create(implementation);
        var reference = System.Security.Cryptography.RandomNumberGenerator.GetBytes(96);
        var binding = "konfido-puf reference v1|meter|3"u8.ToArray();
        var blob = protector.Protect(reference, binding);
        Assert.True(blob.AsSpan().IndexOf(reference.AsSpan(0, 16)) < 0);
        Assert.Equal(reference, protector.Unprotect(blob, binding));
        Assert.Null(protector.Unprotect(blob, "konfido-puf reference v1|meter|4"u8));
        for (var i = 0; i < blob.Length; i += Math.Max(1, blob.Length / 7))
        {
            var altered = (byte[])blob.Clone();
            altered[i] ^= 0x01;
            Assert.Null(protector.Unprotect(altered, binding));
        }

        Assert.Null(protector.Unprotect(blob.AsSpan(0, 10), binding));
        Assert.NotEqual(blob, protector.Protect(reference, binding));
    }

    [Fact]
    public void The_custody_key_is_made_once_and_reused()
    {
        var first = new CustodyReferenceProtector(_custody);
        var blob = first.Protect([1, 2, 3], [9]);
        Assert.Equal([1, 2, 3], new CustodyReferenceProtector(_custody).Unprotect(blob, [9]));
    }

    private IReferenceProtector Create(string implementation) => implementation switch
    {
        "aes-gcm" => new AesGcmReferenceProtector(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        _ => new CustodyReferenceProtector(_custody),
    };
}
