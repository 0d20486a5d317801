using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Tests;

public sealed class SamlResponseRoundTripTests(SamlFixture fixture) : IClassFixture<SamlFixture>
{
    public static TheoryData<bool, bool, bool, bool> Variants()
    {
        var data = new TheoryData<bool, bool, bool, bool>();
        foreach (var rsa in new[] { false, true })
        {
            foreach (var (signAssertion, signResponse) in new[] { (true, false), (false, true), (true, true) })
            {
                foreach (var encrypt in new[] { false, true })
                {
                    data.Add(rsa, signAssertion, signResponse, encrypt);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Valid_response_is_accepted_for_every_signing_and_encryption_variant(bool rsa, bool signAssertion, bool signResponse, bool encrypt)
    {
        var idp = rsa ? fixture.RsaIdp : fixture.EcIdp;
        var xml = idp.IssueResponse(SamlFixture.Options() with
        {
            SignAssertion = signAssertion,
            SignResponse = signResponse,
            EncryptTo = encrypt ? fixture.SpEncryption : null,
        });

        var result = SamlResponseValidator.Validate(xml, fixture.Parameters());

        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
        Assert.Equal(idp.EntityId, result.Issuer);
        Assert.Equal(LevelOfAssurance.Substantial, result.Level);
        Assert.Equal(SamlFixture.Person, result.Person);
    }

    [Fact]
    public void Base64_as_posted_by_the_binding_is_accepted()
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options());
        var result = SamlResponseValidator.Validate(TestEidasIdentityProvider.ToBase64(xml), fixture.Parameters());
        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
    }
}
