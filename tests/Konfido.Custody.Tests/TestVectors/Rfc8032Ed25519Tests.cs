using Konfido.Custody.Crypto;

namespace Konfido.Custody.Tests.TestVectors;

/// <summary>RFC 8032 §7.1 (Ed25519 test vectors), TEST 1 (empty message) and TEST 2 (one byte 0x72).</summary>
public sealed class Rfc8032Ed25519Tests
{
    public static TheoryData<string, string, string, string> Vectors => new()
    {
        {
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        },
        {
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Signing_with_the_secret_key_gives_the_published_signature(string secretKey, string publicKey, string message, string signature)
    {
        using var material = SecretBuffer.CopyOf(Convert.FromHexString(secretKey));
        var produced = KeyAlgorithms.Sign(CustodyKeyKind.Ed25519Signing, material, Convert.FromHexString(message));
        Assert.Equal(signature, Convert.ToHexStringLower(produced));
        Assert.True(CustodySignatures.Verify(CustodyKeyKind.Ed25519Signing, Convert.FromHexString(publicKey), Convert.FromHexString(message), produced));
    }
}
