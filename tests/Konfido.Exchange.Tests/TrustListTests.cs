using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Konfido.Exchange.Tests;

public sealed class TrustListTests
{
    private static TrustList Sample(DateTimeOffset now) => new("test", 7, now, now.AddDays(1),
    [
        new FederationMember("DK", "Denmark", new Uri("https://127.0.0.1:1/"), new string('a', 64), "AAAA"),
        new FederationMember("ES", "Spain", new Uri("https://127.0.0.1:2/"), new string('b', 64), "BBBB"),
    ]);

    [Fact]
    public void A_signed_list_verifies_and_round_trips()
    {
        using var operatorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        var json = SignedTrustList.Sign(Sample(now), operatorKey);

        var check = SignedTrustList.Verify(json, operatorKey, now);
        Assert.True(check.IsValid, check.Reason);
        Assert.Equal(7, check.TrustList!.Sequence);
        Assert.Equal("Spain", check.TrustList.Find("es")!.Name);
        Assert.Null(check.TrustList.Find("IT"));
    }

    [Fact]
    public void A_list_signed_by_someone_else_is_refused()
    {
        using var operatorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        var check = SignedTrustList.Verify(SignedTrustList.Sign(Sample(now), attacker), operatorKey, now);
        Assert.False(check.IsValid);
        Assert.Contains("signature", check.Reason);
    }

    [Fact]
    public void A_modified_member_breaks_the_signature()
    {
        using var operatorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        var document = JsonNode.Parse(SignedTrustList.Sign(Sample(now), operatorKey))!;
        var payload = System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(document["payload"]!.GetValue<string>()));
        var swapped = payload.Replace(new string('b', 64), new string('c', 64), StringComparison.Ordinal);
        document["payload"] = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(swapped));

        Assert.False(SignedTrustList.Verify(document.ToJsonString(), operatorKey, now).IsValid);
    }

    [Fact]
    public void A_stale_list_is_refused()
    {
        using var operatorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        var check = SignedTrustList.Verify(SignedTrustList.Sign(Sample(now), operatorKey), operatorKey, now.AddDays(2));
        Assert.False(check.IsValid);
        Assert.Contains("stale", check.Reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"protected\":\"x\",\"payload\":\"!!\",\"signature\":\"y\"}")]
    public void Malformed_lists_are_results(string json)
    {
        using var operatorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.False(SignedTrustList.Verify(json, operatorKey, DateTimeOffset.UtcNow).IsValid);
    }

    [Fact]
    public void Fingerprints_compare_case_insensitively_and_by_length()
    {
        Assert.True(CertificateFingerprint.Equal("ABCDEF", "abcdef"));
        Assert.False(CertificateFingerprint.Equal("abcdef", "abcde0"));
        Assert.False(CertificateFingerprint.Equal("abcdef", "abcdef00"));
    }
}
