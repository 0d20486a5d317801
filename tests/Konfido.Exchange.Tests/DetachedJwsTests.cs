using System.Security.Cryptography;
using System.Text;

namespace Konfido.Exchange.Tests;

public sealed class DetachedJwsTests
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("{\"resourceType\":\"Bundle\"}");

    [Fact]
    public void A_signature_verifies_over_its_payload_with_the_signers_key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jws = DetachedJws.Sign(Payload, key, "DK");

        Assert.Matches("^[A-Za-z0-9_-]+\\.\\.[A-Za-z0-9_-]+$", jws);
        Assert.True(DetachedJws.Verify(jws, Payload, key).IsValid);
        Assert.Equal("DK", DetachedJws.ReadKeyId(jws));
    }

    [Fact]
    public void A_changed_payload_is_rejected()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jws = DetachedJws.Sign(Payload, key, "DK");
        var tampered = (byte[])Payload.Clone();
        tampered[^2] ^= 1;

        var check = DetachedJws.Verify(jws, tampered, key);
        Assert.False(check.IsValid);
        Assert.Contains("does not verify", check.Reason);
    }

    [Fact]
    public void Another_key_is_rejected()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.False(DetachedJws.Verify(DetachedJws.Sign(Payload, key, "DK"), Payload, other).IsValid);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("a.b.c")]
    [InlineData("a..b..c")]
    [InlineData("!!..!!")]
    public void Malformed_signatures_are_results_not_exceptions(string? jws)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.False(DetachedJws.Verify(jws, Payload, key).IsValid);
    }

    [Fact]
    public void Another_algorithm_in_the_header_is_rejected()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jws = DetachedJws.Sign(Payload, key, "DK");
        var header = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes("{\"alg\":\"none\",\"kid\":\"DK\"}"));
        var forged = header + jws[jws.IndexOf('.', StringComparison.Ordinal)..];

        var check = DetachedJws.Verify(forged, Payload, key);
        Assert.False(check.IsValid);
        Assert.Contains("not accepted", check.Reason);
    }

    [Fact]
    public void The_signing_input_is_the_standard_one_so_other_jose_libraries_verify_it()
    {
        // RFC 7515 §5.2: verify over ASCII(BASE64URL(header) || '.' || BASE64URL(payload)) by hand.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jws = DetachedJws.Sign(Payload, key, "ES");
        var parts = jws.Split('.');
        var input = Encoding.ASCII.GetBytes(parts[0] + "." + System.Buffers.Text.Base64Url.EncodeToString(Payload));
        var signature = System.Buffers.Text.Base64Url.DecodeFromChars(parts[2]);
        Assert.True(key.VerifyData(input, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void Signing_requires_a_p256_key()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<ArgumentException>(() => DetachedJws.Sign(Payload, p384, "DK"));
    }
}
