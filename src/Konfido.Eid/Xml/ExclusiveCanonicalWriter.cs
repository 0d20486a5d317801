using System.Buffers;
using System.Text;
using System.Xml;

namespace Konfido.Eid.Xml;

/// <summary>
/// Exclusive XML Canonicalization 1.0 without comments (W3C Recommendation, 18 July 2002) of a DOM
/// element subtree, written straight from the DOM: no copy of the document, no re-parse.
/// Inputs come from <see cref="SecureXml"/> (no DTD, hence no entity references or defaulted
/// attributes), which keeps the rules to those below.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Section 3 (exclusive namespaces): a namespace declaration is rendered on an element only
/// for a prefix it visibly utilises (its own prefix, or the default namespace when it has none,
/// and the prefixes of its attributes), and only if the nearest output ancestor did not already
/// render the same binding. <c>xmlns=""</c> is rendered only to undo a rendered default.</item>
/// <item>C14N 1.0 section 2.2 (document order, sorting): namespace nodes by prefix, the default
/// first; attributes by namespace URI, then local name, ordinally.</item>
/// <item>C14N 1.0 section 2.3 (escaping): text <c>&amp; &lt; &gt;</c> and CR; attribute values
/// <c>&amp; &lt; "</c>, TAB, LF, CR; empty elements as start-end pairs; comments dropped;
/// processing instructions kept.</item>
/// </list>
/// The platform's <c>XmlDsigExcC14NTransform</c> is the test oracle for this writer.
/// </remarks>
internal sealed class ExclusiveCanonicalWriter
{
    private readonly ArrayBufferWriter<byte> _out;
    private readonly XmlNode? _omit;

    private ExclusiveCanonicalWriter(ArrayBufferWriter<byte> output, XmlNode? omit)
    {
        _out = output;
        _omit = omit;
    }

    /// <summary>Writes the canonical form of <paramref name="element"/>, leaving out the subtree <paramref name="omit"/>.</summary>
    public static void Write(XmlElement element, XmlNode? omit, ArrayBufferWriter<byte> output) =>
        new ExclusiveCanonicalWriter(output, omit).WriteElement(element, Rendered.Empty);

    /// <summary>The canonical octets of <paramref name="element"/> without <paramref name="omit"/>.</summary>
    public static byte[] ToBytes(XmlElement element, XmlNode? omit)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        Write(element, omit, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private void WriteElement(XmlElement element, Rendered inherited)
    {
        // Namespace declarations this element must render.
        List<(string Prefix, string Uri)>? declarations = null;
        var rendered = inherited;
        Consider(element.Prefix, element.NamespaceURI, ref declarations, ref rendered);

        List<XmlAttribute>? attributes = null;
        foreach (XmlAttribute attribute in element.Attributes)
        {
            if (attribute.NamespaceURI == XmlNames.Xmlns)
            {
                continue;
            }

            (attributes ??= []).Add(attribute);
            if (attribute.Prefix.Length > 0 && attribute.Prefix != "xml")
            {
                Consider(attribute.Prefix, attribute.NamespaceURI, ref declarations, ref rendered);
            }
        }

        Raw("<");
        Text(element.Name);
        if (declarations is not null)
        {
            declarations.Sort(static (a, b) => string.CompareOrdinal(a.Prefix, b.Prefix));
            foreach (var (prefix, uri) in declarations)
            {
                Raw(prefix.Length == 0 ? " xmlns=\"" : " xmlns:");
                if (prefix.Length > 0)
                {
                    Text(prefix);
                    Raw("=\"");
                }

                Attribute(uri);
                Raw("\"");
            }
        }

        if (attributes is not null)
        {
            attributes.Sort(static (a, b) =>
            {
                var byNamespace = string.CompareOrdinal(a.NamespaceURI, b.NamespaceURI);
                return byNamespace != 0 ? byNamespace : string.CompareOrdinal(a.LocalName, b.LocalName);
            });
            foreach (var attribute in attributes)
            {
                Raw(" ");
                Text(attribute.Name);
                Raw("=\"");
                Attribute(attribute.Value);
                Raw("\"");
            }
        }

        Raw(">");
        for (var child = element.FirstChild; child is not null; child = child.NextSibling)
        {
            if (ReferenceEquals(child, _omit))
            {
                continue;
            }

            switch (child)
            {
                case XmlElement e:
                    WriteElement(e, rendered);
                    break;
                case XmlText or XmlCDataSection or XmlWhitespace or XmlSignificantWhitespace:
                    Content(child.Value!);
                    break;
                case XmlProcessingInstruction pi:
                    Raw("<?");
                    Text(pi.Target);
                    if (pi.Data.Length > 0)
                    {
                        Raw(" ");
                        Text(pi.Data);
                    }

                    Raw("?>");
                    break;
                case XmlEntityReference:
                    throw new XmlException("entity references are not supported (DTDs are prohibited)");
                default:
                    // Comments are not part of the canonical form without comments.
                    break;
            }
        }

        Raw("</");
        Text(element.Name);
        Raw(">");
    }

    private static void Consider(string prefix, string uri, ref List<(string, string)>? declarations, ref Rendered rendered)
    {
        if (prefix == "xml")
        {
            return;
        }

        var current = rendered.Lookup(prefix);
        if (current is null ? (prefix.Length == 0 && uri.Length == 0) : current == uri)
        {
            return;
        }

        declarations ??= [];
        foreach (var (p, _) in declarations)
        {
            if (p == prefix)
            {
                return;
            }
        }

        declarations.Add((prefix, uri));
        rendered = new Rendered(prefix, uri, rendered);
    }

    private void Raw(string ascii)
    {
        var span = _out.GetSpan(ascii.Length);
        for (var i = 0; i < ascii.Length; i++)
        {
            span[i] = (byte)ascii[i];
        }

        _out.Advance(ascii.Length);
    }

    private void Text(ReadOnlySpan<char> text)
    {
        var span = _out.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        _out.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private void Content(string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var escape = text[i] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\r' => "&#xD;",
                _ => null,
            };
            if (escape is not null)
            {
                Text(text.AsSpan(start, i - start));
                Raw(escape);
                start = i + 1;
            }
        }

        Text(text.AsSpan(start));
    }

    private void Attribute(string value)
    {
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var escape = value[i] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '"' => "&quot;",
                '\t' => "&#x9;",
                '\n' => "&#xA;",
                '\r' => "&#xD;",
                _ => null,
            };
            if (escape is not null)
            {
                Text(value.AsSpan(start, i - start));
                Raw(escape);
                start = i + 1;
            }
        }

        Text(value.AsSpan(start));
    }

    /// <summary>The namespace bindings rendered by output ancestors: an immutable linked list, innermost first.</summary>
    private sealed class Rendered(string prefix, string uri, Rendered? next)
    {
        public static readonly Rendered Empty = new(string.Empty, string.Empty, null);

        private string Prefix { get; } = prefix;

        private string Uri { get; } = uri;

        private Rendered? Next { get; } = next;

        public string? Lookup(string p)
        {
            for (var r = this; r is not null && !ReferenceEquals(r, Empty); r = r.Next)
            {
                if (r.Prefix == p)
                {
                    return r.Uri;
                }
            }

            return null;
        }
    }
}
