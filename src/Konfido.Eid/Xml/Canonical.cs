using System.Security.Cryptography;
using System.Security.Cryptography.Xml;
using System.Xml;

namespace Konfido.Eid.Xml;

/// <summary>
/// Exclusive XML canonicalisation without comments (W3C xml-exc-c14n, 2002) of one element in its
/// document context, as a reference with the enveloped-signature and exc-c14n transforms digests
/// it (XML-DSig 1.1 sections 4.4.3.2 and 6.6.4). The element is copied into a fresh document
/// together with the namespace declarations in scope from its ancestors, so that exc-c14n renders
/// the visibly utilised ones exactly as it would in place.
/// </summary>
internal static class Canonical
{
    /// <summary>The canonical octets of <paramref name="element"/>, leaving out <paramref name="omitChild"/> if given.</summary>
    public static byte[] Bytes(XmlElement element, XmlNode? omitChild, string? inclusivePrefixes) =>
        string.IsNullOrWhiteSpace(inclusivePrefixes)
            ? ExclusiveCanonicalWriter.ToBytes(element, omitChild)
            : PlatformBytes(element, omitChild, inclusivePrefixes);

    /// <summary>
    /// The canonical octets computed by the platform's <c>XmlDsigExcC14NTransform</c> on a copy:
    /// used when an <c>InclusiveNamespaces PrefixList</c> is present, and as the test oracle.
    /// </summary>
    public static byte[] PlatformBytes(XmlElement element, XmlNode? omitChild, string? inclusivePrefixes)
    {
        var transform = Prepare(element, omitChild, inclusivePrefixes);
        using var stream = (Stream)transform.GetOutput(typeof(Stream));
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>The digest of the canonical octets of <paramref name="element"/> without <paramref name="omitChild"/>.</summary>
    public static byte[] Digest(XmlElement element, XmlNode? omitChild, string? inclusivePrefixes, HashAlgorithmName hash)
    {
        var bytes = Bytes(element, omitChild, inclusivePrefixes);
        return hash.Name switch
        {
            "SHA256" => SHA256.HashData(bytes),
            "SHA384" => SHA384.HashData(bytes),
            "SHA512" => SHA512.HashData(bytes),
            _ => throw new ArgumentOutOfRangeException(nameof(hash)),
        };
    }

    /// <summary>
    /// A copy of <paramref name="element"/> as the document element of a new document, with the
    /// namespace declarations inherited from its ancestors, optionally without one child.
    /// </summary>
    public static XmlDocument StandaloneCopy(XmlElement element, XmlNode? omitChild = null)
    {
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        var copy = (XmlElement)doc.ImportNode(element, true);
        doc.AppendChild(copy);
        if (omitChild is not null)
        {
            var index = IndexOf(element, omitChild);
            copy.RemoveChild(copy.ChildNodes[index]!);
        }

        // Namespace declarations inherited from the ancestors; the nearest ancestor wins.
        for (var node = element.ParentNode; node is XmlElement ancestor; node = node.ParentNode)
        {
            foreach (XmlAttribute attribute in ancestor.Attributes)
            {
                if (attribute.NamespaceURI == XmlNames.Xmlns && !copy.HasAttribute(attribute.Name))
                {
                    copy.SetAttributeNode((XmlAttribute)doc.ImportNode(attribute, true));
                }
            }
        }

        return doc;
    }

    private static XmlDsigExcC14NTransform Prepare(XmlElement element, XmlNode? omitChild, string? inclusivePrefixes)
    {
        var doc = StandaloneCopy(element, omitChild);
        var transform = inclusivePrefixes is null ? new XmlDsigExcC14NTransform(false) : new XmlDsigExcC14NTransform(false, inclusivePrefixes);
        transform.LoadInput(doc);
        return transform;
    }

    private static int IndexOf(XmlElement parent, XmlNode child)
    {
        var i = 0;
        foreach (XmlNode n in parent.ChildNodes)
        {
            if (ReferenceEquals(n, child))
            {
                return i;
            }

            i++;
        }

        throw new ArgumentException("Not a child of the element.", nameof(child));
    }
}
