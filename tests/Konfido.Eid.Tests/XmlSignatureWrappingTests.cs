using System.Xml;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Tests;

/// <summary>
/// The eight XML signature-wrapping variants of Somorovsky et al., "On Breaking SAML: Be Whoever
/// You Want to Be" (USENIX Security 2012), section 4 / figure 5, each built from a genuinely
/// signed Response whose evil twin names another person; plus ID shadowing and a signature moved
/// onto an element it does not reference.
/// </summary>
public sealed class XmlSignatureWrappingTests(SamlFixture fixture) : IClassFixture<SamlFixture>
{
    private const string Evil = "ES/DK/ATTACKER01";

    private XmlDocument Signed(bool signResponse)
    {
        var xml = fixture.EcIdp.IssueResponse(SamlFixture.Options() with { SignAssertion = !signResponse, SignResponse = signResponse });
        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(xml);
        return doc;
    }

    private static XmlElement AssertionOf(XmlElement response) => SamlXml.Single(response, "Assertion")!;

    private static XmlElement SignatureOf(XmlElement e) => XmlSignature.DirectSignatures(e)[0];

    /// <summary>Makes <paramref name="assertion"/> (a copy) claim to be the attacker, with a new ID.</summary>
    private static void MakeEvil(XmlElement assertion)
    {
        assertion.SetAttribute("ID", "_evil_assertion");
        foreach (XmlElement e in assertion.GetElementsByTagName("NameID", SamlNames.Assertion))
        {
            e.InnerText = Evil;
        }

        foreach (XmlElement a in assertion.GetElementsByTagName("Attribute", SamlNames.Assertion))
        {
            if (a.GetAttribute("Name") == SamlNames.PersonIdentifier)
            {
                a.FirstChild!.InnerText = Evil;
            }
        }

        foreach (var s in XmlSignature.DirectSignatures(assertion))
        {
            assertion.RemoveChild(s);
        }
    }

    private static XmlElement AddObject(XmlElement signature)
    {
        var obj = signature.OwnerDocument.CreateElement("ds", "Object", "http://www.w3.org/2000/09/xmldsig#");
        signature.AppendChild(obj);
        return obj;
    }

    private SamlValidationResult Check(XmlDocument doc) => SamlResponseValidator.Validate(doc.OuterXml, fixture.Parameters());

    private static void AssertWrappingRefused(SamlValidationResult result)
    {
        Assert.False(result.IsValid);
        Assert.Contains(result.Reasons, r => r.Contains("signature wrapping", StringComparison.Ordinal));
        Assert.Null(result.Person);
    }

    [Fact]
    public void Xsw1_original_response_inside_the_signature_of_an_evil_response_is_refused()
    {
        var doc = Signed(signResponse: true);
        var original = doc.DocumentElement!;
        var evil = (XmlElement)original.CloneNode(true);
        evil.SetAttribute("ID", "_evil_response");
        MakeEvil(AssertionOf(evil));
        var signature = SignatureOf(evil);
        var inner = (XmlElement)original.CloneNode(true);
        inner.RemoveChild(SignatureOf(inner));
        AddObject(signature).AppendChild(inner);
        doc.ReplaceChild(evil, original);

        AssertWrappingRefused(Check(doc));
    }

    [Fact]
    public void Xsw2_original_response_detached_beside_the_signature_is_refused()
    {
        var doc = Signed(signResponse: true);
        var original = doc.DocumentElement!;
        var evil = (XmlElement)original.CloneNode(true);
        evil.SetAttribute("ID", "_evil_response");
        MakeEvil(AssertionOf(evil));
        var signature = SignatureOf(evil);
        var inner = (XmlElement)original.CloneNode(true);
        inner.RemoveChild(SignatureOf(inner));
        evil.InsertBefore(inner, signature);
        doc.ReplaceChild(evil, original);

        AssertWrappingRefused(Check(doc));
    }

    [Fact]
    public void Xsw3_evil_assertion_before_the_signed_one_is_refused()
    {
        var doc = Signed(signResponse: false);
        var response = doc.DocumentElement!;
        var original = AssertionOf(response);
        var evil = (XmlElement)original.CloneNode(true);
        MakeEvil(evil);
        response.InsertBefore(evil, original);

        AssertWrappingRefused(Check(doc));
    }

    [Fact]
    public void Xsw4_evil_assertion_wrapping_the_signed_one_is_refused()
    {
        var doc = Signed(signResponse: false);
        var response = doc.DocumentElement!;
        var original = AssertionOf(response);
        var evil = (XmlElement)original.CloneNode(true);
        MakeEvil(evil);
        response.ReplaceChild(evil, original);
        evil.AppendChild(original);

        AssertWrappingRefused(Check(doc));
    }

    [Fact]
    public void Xsw5_evil_assertion_holding_the_signature_with_the_original_appended_is_refused()
    {
        var doc = Signed(signResponse: false);
        var response = doc.DocumentElement!;
        var original = AssertionOf(response);
        var evil = (XmlElement)original.CloneNode(true);
        var signature = SignatureOf(evil);
        MakeEvil(evil);
        evil.InsertAfter(signature, SamlXml.Single(evil, "Issuer"));
        response.ReplaceChild(evil, original);
        original.RemoveChild(SignatureOf(original));
        response.AppendChild(original);

        AssertWrappingRefused(Check(doc));
    }

    [Fact]
    public void Xsw6_original_assertion_inside_the_signature_of_an_evil_assertion_is_refused()
    {
        var doc = Signed(signResponse: false);
        var response = doc.DocumentElement!;
        var original = AssertionOf(response);
        var evil = (XmlElement)original.CloneNode(true);
        var signature = SignatureOf(evil);
        MakeEvil(evil);
        evil.InsertAfter(signature, SamlXml.Single(evil, "Issuer"));
        response.ReplaceChild(evil, original);
        original.RemoveChild(SignatureOf(original));
        AddObject(signature).AppendChild(original);

        AssertWrappingRefused(Check(doc));
    }

    [Fact]
    public void Xsw7_original_assertion_hidden_in_extensions_is_refused()
    {
        var doc = Signed(signResponse: false);
        var response = doc.DocumentElement!;
        var original = AssertionOf(response);
        var evil = (XmlElement)original.CloneNode(true);
        MakeEvil(evil);
        var extensions = doc.CreateElement("saml2p", "Extensions", SamlNames.Protocol);
        response.InsertAfter(extensions, SamlXml.Single(response, "Issuer"));
        response.ReplaceChild(evil, original);
        extensions.AppendChild(original);

        AssertWrappingRefused(Check(doc));
    }

    [Fact]
    public void Xsw8_original_unsigned_copy_inside_an_object_of_the_evil_assertions_signature_is_refused()
    {
        var doc = Signed(signResponse: false);
        var response = doc.DocumentElement!;
        var original = AssertionOf(response);
        var evil = (XmlElement)original.CloneNode(true);
        var signature = SignatureOf(evil);
        MakeEvil(evil);
        evil.InsertAfter(signature, SamlXml.Single(evil, "Issuer"));
        var copy = (XmlElement)original.CloneNode(true);
        copy.RemoveChild(SignatureOf(copy));
        AddObject(signature).AppendChild(copy);
        response.ReplaceChild(evil, original);

        AssertWrappingRefused(Check(doc));
    }

    [Fact]
    public void Duplicated_id_shadowing_the_signed_assertion_is_refused()
    {
        var doc = Signed(signResponse: false);
        var response = doc.DocumentElement!;
        var id = AssertionOf(response).GetAttribute("ID");
        var extensions = doc.CreateElement("saml2p", "Extensions", SamlNames.Protocol);
        extensions.SetAttribute("ID", id);
        response.InsertAfter(extensions, SamlXml.Single(response, "Issuer"));

        var result = Check(doc);

        Assert.False(result.IsValid);
        Assert.Contains(result.Reasons, r => r.Contains($"ID '{id}' occurs 2 times", StringComparison.Ordinal));
    }

    [Fact]
    public void Signature_moved_onto_an_element_it_does_not_reference_is_refused()
    {
        // The Response's valid signature is moved into the (unsigned) assertion; it still names the Response.
        var doc = Signed(signResponse: true);
        var response = doc.DocumentElement!;
        var signature = SignatureOf(response);
        response.RemoveChild(signature);
        var assertion = AssertionOf(response);
        assertion.InsertAfter(signature, SamlXml.Single(assertion, "Issuer"));

        var result = Check(doc);

        Assert.False(result.IsValid);
        Assert.Contains(result.Reasons, r => r.Contains("not the Assertion that carries it", StringComparison.Ordinal));
    }

    [Fact]
    public void Comment_inside_NameID_is_refused_although_the_signature_still_verifies()
    {
        var doc = Signed(signResponse: false);
        var nameId = (XmlElement)doc.GetElementsByTagName("NameID", SamlNames.Assertion)[0]!;
        var text = nameId.InnerText;
        nameId.InnerText = string.Empty;
        nameId.AppendChild(doc.CreateTextNode(text[..6]));
        nameId.AppendChild(doc.CreateComment("truncate here"));
        nameId.AppendChild(doc.CreateTextNode(text[6..]));

        var result = Check(doc);

        // Exclusive c14n without comments ignores the comment, so only the content rule can catch it.
        Assert.True(XmlSignature.VerifyEnveloped(AssertionOf(doc.DocumentElement!), fixture.Trust).IsValid);
        Assert.False(result.IsValid);
        Assert.Contains(result.Reasons, r => r.Contains("NameID contains a comment", StringComparison.Ordinal));
    }

    [Fact]
    public void Signed_content_altered_after_signing_is_refused()
    {
        var doc = Signed(signResponse: false);
        var nameId = (XmlElement)doc.GetElementsByTagName("NameID", SamlNames.Assertion)[0]!;
        nameId.InnerText = Evil;

        var result = Check(doc);

        Assert.False(result.IsValid);
        Assert.Contains(result.Reasons, r => r.Contains("digest", StringComparison.Ordinal) && r.Contains("altered", StringComparison.Ordinal));
    }
}
