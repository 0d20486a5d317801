using System.Globalization;
using System.Security.Cryptography;
using System.Xml;

namespace Konfido.Eid.Saml;

/// <summary>Small building and reading blocks shared by the SAML messages and the cross-border assertions.</summary>
internal static class SamlXml
{
    /// <summary>A fresh SAML ID: an underscore (IDs are NCNames) and 128 random bits in hex.</summary>
    public static string NewId() => "_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>xs:dateTime in UTC with milliseconds, as SAML core section 1.3.3 requires.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static bool TryParseTime(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    public static XmlElement Add(XmlElement parent, string prefix, string localName, string ns, string? text = null)
    {
        var e = parent.OwnerDocument.CreateElement(prefix, localName, ns);
        if (text is not null)
        {
            e.InnerText = text;
        }

        parent.AppendChild(e);
        return e;
    }

    public static XmlElement AddSaml(XmlElement parent, string localName, string? text = null) => Add(parent, "saml2", localName, SamlNames.Assertion, text);

    public static XmlElement AddAttribute(XmlElement statement, string name, string? friendlyName, IEnumerable<string> values)
    {
        var attribute = AddSaml(statement, "Attribute");
        if (friendlyName is not null)
        {
            attribute.SetAttribute("FriendlyName", friendlyName);
        }

        attribute.SetAttribute("Name", name);
        attribute.SetAttribute("NameFormat", SamlNames.UriNameFormat);
        foreach (var value in values)
        {
            AddSaml(attribute, "AttributeValue", value);
        }

        return attribute;
    }

    public static List<XmlElement> Children(XmlElement? parent, string localName, string ns)
    {
        var list = new List<XmlElement>();
        if (parent is null)
        {
            return list;
        }

        foreach (XmlNode n in parent.ChildNodes)
        {
            if (n is XmlElement e && e.LocalName == localName && e.NamespaceURI == ns)
            {
                list.Add(e);
            }
        }

        return list;
    }

    /// <summary>The only such child, or null when there is none or more than one.</summary>
    public static XmlElement? Single(XmlElement? parent, string localName, string ns = SamlNames.Assertion)
    {
        var list = Children(parent, localName, ns);
        return list.Count == 1 ? list[0] : null;
    }

    /// <summary>How many elements with this name the subtree under (and including) <paramref name="root"/> holds.</summary>
    public static int CountDescendants(XmlElement root, string localName, string ns)
    {
        var count = 0;
        var stack = new Stack<XmlElement>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var e = stack.Pop();
            if (e.LocalName == localName && e.NamespaceURI == ns)
            {
                count++;
            }

            foreach (XmlNode child in e.ChildNodes)
            {
                if (child is XmlElement c)
                {
                    stack.Push(c);
                }
            }
        }

        return count;
    }

    /// <summary>
    /// The text content of an element that must hold text only. False when it holds a comment,
    /// processing instruction or child element: exc-c14n without comments drops comments from the
    /// signed form, so a reader that stopped at a comment would see a value other than the one
    /// signed (the NameID comment-truncation attack); such values are refused outright.
    /// </summary>
    public static bool TryGetPlainText(XmlElement element, out string text)
    {
        foreach (XmlNode n in element.ChildNodes)
        {
            if (n.NodeType is not (XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace))
            {
                text = string.Empty;
                return false;
            }
        }

        text = element.InnerText.Trim();
        return true;
    }
}
