using System.Xml;
using Konfido.Core;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Tests;

public sealed class EidasLoginTests(SamlFixture fixture) : IClassFixture<SamlFixture>
{
    private const string IdpSso = "https://es.konfido.test/eidas/sso";

    private (EidasServiceProvider Sp, InMemorySecurityEventSink Events) ServiceProvider()
    {
        var events = new InMemorySecurityEventSink();
        var sp = new EidasServiceProvider(
            new EidasServiceProviderOptions(CountryCode.Parse("DK"), SamlFixture.SpEntityId, SamlFixture.AcsUrl),
            fixture.SpSigning, fixture.SpEncryption, fixture.Trust, new InMemoryAssertionReplayCache(), events);
        return (sp, events);
    }

    [Fact]
    public void AuthnRequest_carries_the_eidas_elements_and_a_valid_signature()
    {
        var request = EidasAuthnRequest.Create(new EidasAuthnRequestParameters(SamlFixture.SpEntityId, IdpSso, SamlFixture.AcsUrl)
        {
            MinimumLevel = LevelOfAssurance.High,
            SpType = EidasSpType.Private,
            RequestedAttributes = [new RequestedAttribute(SamlNames.PersonIdentifier, true), new RequestedAttribute(SamlNames.Gender, false)],
        }, fixture.SpSigning, SamlFixture.Now);

        Assert.True(SecureXml.TryLoad(request.Xml, out var doc, out _));
        var ns = new XmlNamespaceManager(doc!.NameTable);
        ns.AddNamespace("p", SamlNames.Protocol);
        ns.AddNamespace("s", SamlNames.Assertion);
        ns.AddNamespace("e", SamlNames.Eidas);
        Assert.Equal("minimum", doc.SelectSingleNode("/p:AuthnRequest/p:RequestedAuthnContext/@Comparison", ns)!.Value);
        Assert.Equal("http://eidas.europa.eu/LoA/high", doc.SelectSingleNode("/p:AuthnRequest/p:RequestedAuthnContext/s:AuthnContextClassRef", ns)!.InnerText);
        Assert.Equal("private", doc.SelectSingleNode("/p:AuthnRequest/p:Extensions/e:SPType", ns)!.InnerText);
        Assert.Equal("true", doc.SelectSingleNode($"//e:RequestedAttribute[@Name='{SamlNames.PersonIdentifier}']/@isRequired", ns)!.Value);
        Assert.Equal("false", doc.SelectSingleNode($"//e:RequestedAttribute[@Name='{SamlNames.Gender}']/@isRequired", ns)!.Value);

        Assert.True(EidasAuthnRequest.TryParse(request.Base64, new TrustedCertificates([fixture.SpSigning.Certificate]), out var parsed, out var reason), reason);
        Assert.Equal(request.Id, parsed!.Id);
        Assert.Equal(LevelOfAssurance.High, parsed.Parameters.MinimumLevel);
        Assert.Equal(EidasSpType.Private, parsed.Parameters.SpType);
        Assert.Equal(2, parsed.Parameters.RequestedAttributes.Count);

        Assert.False(EidasAuthnRequest.TryParse(request.Xml, fixture.Trust, out _, out reason));
        Assert.Contains("not trusted", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Http_post_form_posts_the_encoded_request_to_the_node()
    {
        var (sp, _) = ServiceProvider();
        var request = sp.CreateAuthnRequest(IdpSso);
        var html = request.ToHttpPostForm("state&1");

        Assert.Contains($"action=\"{IdpSso}\"", html, StringComparison.Ordinal);
        Assert.Contains($"name=\"SAMLRequest\" value=\"{request.Base64}\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"RelayState\" value=\"state&amp;1\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Full_login_succeeds_once_and_is_published_and_a_replay_fails()
    {
        var (sp, events) = ServiceProvider();
        var request = sp.CreateAuthnRequest(IdpSso, LevelOfAssurance.Substantial);
        Assert.True(EidasAuthnRequest.TryParse(request.Base64, new TrustedCertificates([sp.SigningCertificate]), out var received, out _));
        var response = TestEidasIdentityProvider.ToBase64(fixture.EcIdp.Respond(received!, SamlFixture.Person, sp.EncryptionCertificate));

        var login = await sp.AcceptResponseAsync(response, "192.0.2.7");

        Assert.True(login.IsValid, string.Join("; ", login.Validation.Reasons));
        Assert.Equal(SamlFixture.Person, login.Person);
        var success = Assert.Single(events.Events);
        Assert.Equal(("eid-login", EventOutcome.Success, "ES/DK/12345678Z", "substantial"), (success.Action, success.Outcome, success.Actor, success.Attributes["eidas.loa"]));

        var replay = await sp.AcceptResponseAsync(response);

        Assert.False(replay.IsValid);
        Assert.Contains(replay.Validation.Reasons, r => r.Contains("answers no pending AuthnRequest", StringComparison.Ordinal));
        Assert.Equal(EventOutcome.Failure, events.Events[1].Outcome);
    }

    [Fact]
    public async Task Assertion_id_replayed_in_an_answer_to_a_new_request_is_refused_by_the_replay_cache()
    {
        var (sp, _) = ServiceProvider();
        var first = sp.CreateAuthnRequest(IdpSso);
        var second = sp.CreateAuthnRequest(IdpSso);
        TestResponseOptions Answer(string requestId) => new(SamlFixture.Person, SamlFixture.SpEntityId, SamlFixture.AcsUrl)
        {
            InResponseTo = requestId,
            AssertionId = "_captured_assertion",
            EncryptTo = sp.EncryptionCertificate,
        };

        Assert.True((await sp.AcceptResponseAsync(fixture.EcIdp.IssueResponse(Answer(first.Id)))).IsValid);
        var replay = await sp.AcceptResponseAsync(fixture.EcIdp.IssueResponse(Answer(second.Id)));

        Assert.False(replay.IsValid);
        Assert.Contains(replay.Validation.Reasons, r => r.Contains("'_captured_assertion' was already used (replay)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Browser_round_trip_through_both_post_forms_logs_in()
    {
        var (sp, _) = ServiceProvider();
        var request = sp.CreateAuthnRequest(IdpSso);
        var requestForm = request.ToHttpPostForm("rs-42");
        var samlRequest = FormValue(requestForm, "SAMLRequest");

        Assert.True(fixture.EcIdp.TryRespond(samlRequest, new TrustedCertificates([sp.SigningCertificate]), SamlFixture.Person, sp.EncryptionCertificate,
            FormValue(requestForm, "RelayState"), out var responseForm, out var reason), reason);
        Assert.Contains($"action=\"{SamlFixture.AcsUrl}\"", responseForm, StringComparison.Ordinal);
        Assert.Equal("rs-42", FormValue(responseForm!, "RelayState"));

        var login = await sp.AcceptResponseAsync(FormValue(responseForm!, "SAMLResponse"));

        Assert.True(login.IsValid, string.Join("; ", login.Validation.Reasons));
        Assert.Equal("ES/DK/12345678Z", login.Person!.PersonIdentifier);
    }

    [Fact]
    public void Identity_provider_refuses_a_request_from_an_untrusted_sp()
    {
        var (sp, _) = ServiceProvider();
        var request = sp.CreateAuthnRequest(IdpSso);

        Assert.False(fixture.EcIdp.TryRespond(request.Base64, fixture.Trust, SamlFixture.Person, null, null, out var form, out var reason));
        Assert.Null(form);
        Assert.Contains("signing certificate is not trusted", reason, StringComparison.Ordinal);
    }

    private static string FormValue(string html, string name)
    {
        var marker = $"name=\"{name}\" value=\"";
        var start = html.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        return System.Net.WebUtility.HtmlDecode(html[start..html.IndexOf('"', start)]);
    }

    [Fact]
    public async Task Unsolicited_response_is_refused()
    {
        var (sp, _) = ServiceProvider();
        var response = fixture.EcIdp.IssueResponse(SamlFixture.Options(inResponseTo: null));

        var login = await sp.AcceptResponseAsync(response);

        Assert.False(login.IsValid);
        Assert.Contains(login.Validation.Reasons, r => r.Contains("answers no pending AuthnRequest", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Response_below_the_requested_level_is_refused()
    {
        var (sp, _) = ServiceProvider();
        var request = sp.CreateAuthnRequest(IdpSso, LevelOfAssurance.High);
        var response = fixture.RsaIdp.IssueResponse(new TestResponseOptions(SamlFixture.Person, SamlFixture.SpEntityId, SamlFixture.AcsUrl)
        {
            InResponseTo = request.Id,
            Level = LevelOfAssurance.Substantial,
            EncryptTo = sp.EncryptionCertificate,
        });

        var login = await sp.AcceptResponseAsync(response);

        Assert.False(login.IsValid);
        Assert.Contains(login.Validation.Reasons, r => r.Contains("below the required high", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ES/DK/12345678Z", true)]
    [InlineData("DK/IT/0101701234", true)]
    [InlineData("es/DK/1", false)]
    [InlineData("ES-DK-12345678Z", false)]
    [InlineData("ES/DK/", false)]
    [InlineData("ES/DK/12 34", false)]
    public void PersonIdentifier_form_is_checked(string value, bool valid) =>
        Assert.Equal(valid, EidasPerson.IsValidPersonIdentifier(value));
}
