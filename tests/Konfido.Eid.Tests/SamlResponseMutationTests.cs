using System.Xml;
using Konfido.Eid.Saml;

namespace Konfido.Eid.Tests;

/// <summary>
/// Property: whatever an attacker does to a genuine signed Response (move, copy, drop or rewrite
/// elements and attributes, cut the text), the validator never throws, and if it still accepts
/// the message, the identity it reports is exactly the one the IdP signed.
/// </summary>
public sealed class SamlResponseMutationTests(SamlFixture fixture) : IClassFixture<SamlFixture>
{
    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public void Mutated_responses_never_throw_and_never_yield_another_identity(bool signResponse, int seed)
    {
        var original = fixture.EcIdp.IssueResponse(SamlFixture.Options() with { SignResponse = signResponse, SignAssertion = !signResponse });
        var random = new Random(seed);
        var accepted = 0;
        for (var i = 0; i < 300; i++)
        {
            var mutated = Mutate(original, random);
            var result = SamlResponseValidator.Validate(mutated, fixture.Parameters());
            if (result.IsValid)
            {
                accepted++;
                Assert.Equal(SamlFixture.Person, result.Person);
                Assert.Equal(fixture.EcIdp.EntityId, result.Issuer);
            }
            else
            {
                Assert.NotEmpty(result.Reasons);
            }
        }

        // Some mutations are harmless (e.g. touching unsigned parts); most must be refused.
        Assert.True(accepted < 300);
    }

    private static string Mutate(string xml, Random random)
    {
        if (random.Next(10) == 0)
        {
            return xml[..random.Next(xml.Length)];
        }

        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(xml);
        var elements = doc.SelectNodes("//*")!.Cast<XmlElement>().ToList();
        var target = elements[random.Next(elements.Count)];
        var other = elements[random.Next(elements.Count)];
        switch (random.Next(6))
        {
            case 0 when target.ParentNode is XmlElement parent:
                parent.RemoveChild(target);
                break;
            case 1 when !IsWithin(other, target) && other.ParentNode is XmlElement:
                other.AppendChild(target.CloneNode(true));
                break;
            case 2 when !IsWithin(other, target) && !IsWithin(target, other) && target.ParentNode is XmlElement p:
                p.RemoveChild(target);
                other.AppendChild(target);
                break;
            case 3 when target.Attributes.Count > 0:
                target.Attributes[random.Next(target.Attributes.Count)]!.Value = "ES/DK/ATTACKER";
                break;
            case 4 when target.ChildNodes.Count == 1 && target.FirstChild is XmlText text:
                text.Value = text.Value![..(text.Value!.Length / 2)] + "X";
                break;
            default:
                target.SetAttribute("ID", other.GetAttribute("ID"));
                break;
        }

        return doc.OuterXml;
    }

    private static bool IsWithin(XmlNode node, XmlNode ancestor)
    {
        for (XmlNode? n = node; n is not null; n = n.ParentNode)
        {
            if (ReferenceEquals(n, ancestor))
            {
                return true;
            }
        }

        return false;
    }
}
