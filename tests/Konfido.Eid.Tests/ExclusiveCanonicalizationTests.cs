using System.Text;
using System.Xml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Tests;

/// <summary>
/// The fast exclusive-c14n writer against the platform's <c>XmlDsigExcC14NTransform</c> (the
/// reference), on tricky hand-written documents and on random trees, for every element as apex.
/// </summary>
public sealed class ExclusiveCanonicalizationTests(SamlFixture fixture) : IClassFixture<SamlFixture>
{
    public static TheoryData<string> Documents() => new(
        "<a:r xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" xmlns:unused=\"urn:u\"><a:x b:z=\"2\" a:y=\"1\" c=\"0\" b=\"&amp;&lt;&gt;&quot;\t&#xA;&#xD;\">t&amp;&lt;&gt;&#xD;x</a:x></a:r>",
        "<r xmlns=\"urn:d\"><x xmlns=\"\"><y xmlns=\"urn:e\"/></x><z/></r>",
        "<r xmlns=\"urn:d\" xmlns:p=\"urn:p\"><p:x><y/><p:y xmlns:p=\"urn:q\"><p:z/></p:y></p:x></r>",
        "<r><!-- comment --><?pi data?><?empty?><![CDATA[ <cdata> & ]]>\n  <e   a = 'single' >  </e></r>",
        "<s:r xmlns:s=\"urn:s\" xml:lang=\"en\"><s:x xml:space=\"preserve\" xmlns:t=\"urn:t\">caf\u00e9 \u20ac \U0001F600</s:x><t:y xmlns:t=\"urn:t\" t:a=\"1\" xmlns:u=\"urn:u\" u:b=\"2\"/></s:r>",
        "<r xmlns:a=\"urn:same\" xmlns:b=\"urn:same\"><a:x b:y=\"1\"><b:z/></a:x></r>");

    [Theory]
    [MemberData(nameof(Documents))]
    public void Hand_written_documents_match_the_platform_for_every_apex(string xml) => AssertEveryApexMatches(Load(xml));

    [Fact]
    public void Saml_messages_match_the_platform_for_every_apex_and_without_their_signatures()
    {
        var xml = fixture.RsaIdp.IssueResponse(SamlFixture.Options() with { SignResponse = true, EncryptTo = fixture.SpEncryption });
        AssertEveryApexMatches(Load(xml));
        AssertEveryApexMatches(Load(fixture.EcIdp.IssueResponse(SamlFixture.Options() with { SignAssertion = true })));
    }

    [Fact]
    public void Random_trees_match_the_platform()
    {
        var random = new Random(20261123);
        for (var i = 0; i < 200; i++)
        {
            var sb = new StringBuilder();
            RandomElement(random, sb, 0, ["urn:n0"]);
            AssertEveryApexMatches(Load(sb.ToString()));
        }
    }

    private static void RandomElement(Random random, StringBuilder sb, int depth, List<string> declared)
    {
        string[] prefixes = ["", "a", "b", "c"];
        string[] uris = ["", "urn:n0", "urn:n1", "urn:n2"];
        var prefix = prefixes[random.Next(prefixes.Length)];
        var name = (prefix.Length > 0 ? prefix + ":" : string.Empty) + "e" + random.Next(3);
        sb.Append('<').Append(name);
        var used = new Dictionary<string, string>();
        // Always declare the element's own prefix so the document is namespace-well-formed.
        if (prefix.Length > 0)
        {
            used[prefix] = uris[1 + random.Next(3)];
            sb.Append(" xmlns:").Append(prefix).Append("=\"").Append(used[prefix]).Append('"');
        }
        else if (random.Next(3) == 0)
        {
            sb.Append(" xmlns=\"").Append(uris[random.Next(uris.Length)]).Append('"');
        }

        foreach (var extra in new[] { "a", "b", "c" })
        {
            if (!used.ContainsKey(extra) && random.Next(4) == 0)
            {
                used[extra] = uris[1 + random.Next(3)];
                sb.Append(" xmlns:").Append(extra).Append("=\"").Append(used[extra]).Append('"');
            }
        }

        var attributeNames = new HashSet<string>();
        for (var i = random.Next(4); i > 0; i--)
        {
            var attributePrefix = used.Count > 0 && random.Next(2) == 0 ? used.Keys.ElementAt(random.Next(used.Count)) : string.Empty;
            var local = "t" + random.Next(4);
            var attributeName = (attributePrefix.Length > 0 ? attributePrefix + ":" : string.Empty) + local;
            if (attributeNames.Add((attributePrefix.Length > 0 ? used[attributePrefix] : string.Empty) + "|" + local))
            {
                sb.Append(' ').Append(attributeName).Append("=\"").Append(random.Next(2) == 0 ? "v&amp;&lt;&#9;&#10;" : "v" + i).Append('"');
            }
        }

        sb.Append('>');
        for (var i = depth < 4 ? random.Next(4) : 0; i > 0; i--)
        {
            switch (random.Next(5))
            {
                case 0: sb.Append("text &amp; &gt; \n"); break;
                case 1: sb.Append("<!-- c -->"); break;
                default: RandomElement(random, sb, depth + 1, declared); break;
            }
        }

        sb.Append("</").Append(name).Append('>');
    }

    private static XmlDocument Load(string xml)
    {
        Assert.True(SecureXml.TryLoad(xml, out var doc, out var reason), reason);
        return doc!;
    }

    private static void AssertEveryApexMatches(XmlDocument doc)
    {
        foreach (XmlElement apex in doc.SelectNodes("//*")!)
        {
            Assert.Equal(Reference(apex, null), Encoding.UTF8.GetString(ExclusiveCanonicalWriter.ToBytes(apex, null)));
            foreach (var signature in XmlSignature.DirectSignatures(apex))
            {
                Assert.Equal(Reference(apex, signature), Encoding.UTF8.GetString(ExclusiveCanonicalWriter.ToBytes(apex, signature)));
            }
        }
    }

    private static string Reference(XmlElement apex, XmlNode? omit) => Encoding.UTF8.GetString(Canonical.PlatformBytes(apex, omit, null));
}
