using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Konfido.Ihe.Soap;

/// <summary>
/// Hardened XML reading for everything that arrives from a peer: no DTD (a DOCTYPE is an error, so
/// no entity expansion), no external resolution, a character limit, whitespace preserved (signed
/// assertions inside must keep their exact text).
/// </summary>
public static class SafeXml
{
    /// <summary>The default limit on characters in one document (8 Mi).</summary>
    public const long DefaultMaxCharacters = 8L * 1024 * 1024;

    /// <summary>Parses <paramref name="xml"/>; returns null with <paramref name="error"/> set when it is not acceptable XML.</summary>
    /// <param name="xml">The text.</param>
    /// <param name="error">Why it was refused.</param>
    /// <param name="maxCharacters">The size limit.</param>
    public static XDocument? TryLoad(string xml, out string? error, long maxCharacters = DefaultMaxCharacters)
    {
        ArgumentNullException.ThrowIfNull(xml);
        using var reader = new StringReader(xml);
        return TryLoad(reader, out error, maxCharacters);
    }

    /// <summary>Parses UTF-8 (or BOM-declared) bytes; returns null with <paramref name="error"/> set when not acceptable.</summary>
    /// <param name="utf8">The bytes.</param>
    /// <param name="error">Why it was refused.</param>
    /// <param name="maxCharacters">The size limit.</param>
    public static XDocument? TryLoad(ReadOnlySpan<byte> utf8, out string? error, long maxCharacters = DefaultMaxCharacters)
    {
        if (utf8.Length > maxCharacters * 4)
        {
            error = $"the document exceeds {maxCharacters} characters";
            return null;
        }

        using var reader = new StringReader(Encoding.UTF8.GetString(utf8.StartsWith(Encoding.UTF8.Preamble) ? utf8[3..] : utf8));
        return TryLoad(reader, out error, maxCharacters);
    }

    private static XDocument? TryLoad(TextReader text, out string? error, long maxCharacters)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = maxCharacters,
            MaxCharactersFromEntities = 0,
            IgnoreProcessingInstructions = true,
            IgnoreComments = true,
        };
        try
        {
            using var reader = XmlReader.Create(text, settings);
            var document = XDocument.Load(reader, LoadOptions.PreserveWhitespace);
            error = document.Root is null ? "the document has no root element" : null;
            return error is null ? document : null;
        }
        catch (XmlException ex)
        {
            error = "malformed XML: " + ex.Message;
            return null;
        }
    }

    /// <summary>Serialises without added formatting (what was parsed stays byte-comparable).</summary>
    /// <param name="document">The document.</param>
    public static byte[] ToUtf8(XDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false, OmitXmlDeclaration = false }))
        {
            document.Save(writer);
        }

        return buffer.ToArray();
    }

    /// <summary>The first child of <paramref name="parent"/> named <paramref name="name"/>, or null.</summary>
    internal static XElement? Child(this XElement? parent, XName name) => parent?.Element(name);

    /// <summary>The value of attribute <paramref name="name"/>, or null when absent or blank.</summary>
    internal static string? Attr(this XElement? element, string name) =>
        element?.Attribute(name)?.Value is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value) ? value : null;
}
