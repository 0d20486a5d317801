using System.Text;
using System.Xml;

namespace Konfido.Eid.Xml;

/// <summary>
/// Loads untrusted XML safely: no DTD at all (so no external entities and no entity-expansion
/// bombs), no resolver, and a size limit checked before parsing. Every SAML and XML-DSig input of
/// Konfido goes through here.
/// </summary>
public static class SecureXml
{
    /// <summary>The default limit on a message, in characters: 256 KiB covers any real SAML message.</summary>
    public const int DefaultMaxCharacters = 256 * 1024;

    /// <summary>
    /// Parses <paramref name="xml"/> into a whitespace-preserving <see cref="XmlDocument"/>, or
    /// explains why it refuses. Requires <paramref name="maxCharacters"/> &gt; 0.
    /// </summary>
    /// <param name="xml">The untrusted text.</param>
    /// <param name="document">The parsed document, when the result is true.</param>
    /// <param name="reason">Why the text was refused, when the result is false.</param>
    /// <param name="maxCharacters">The largest accepted message.</param>
    public static bool TryLoad(string xml, out XmlDocument? document, out string? reason, int maxCharacters = DefaultMaxCharacters)
    {
        ArgumentNullException.ThrowIfNull(xml);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCharacters);
        document = null;
        if (xml.Length > maxCharacters)
        {
            reason = $"message of {xml.Length} characters exceeds the limit of {maxCharacters}";
            return false;
        }

        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = maxCharacters,
            MaxCharactersFromEntities = 1024,
            IgnoreProcessingInstructions = false,
            CloseInput = true,
        };
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        try
        {
            using var text = new StringReader(xml);
            using var reader = XmlReader.Create(text, settings);
            doc.Load(reader);
        }
        catch (XmlException ex) when (ex.Message.Contains("DTD", StringComparison.Ordinal) || ex.Message.Contains("DOCTYPE", StringComparison.OrdinalIgnoreCase))
        {
            // A DOCTYPE is never legitimate in a SAML message (the bindings forbid it).
            reason = "DOCTYPE/DTD is prohibited (defence against XML external entities and entity-expansion bombs)";
            return false;
        }
        catch (XmlException ex)
        {
            reason = $"not well-formed XML: {ex.Message}";
            return false;
        }

        if (doc.DocumentElement is null)
        {
            reason = "no document element";
            return false;
        }

        document = doc;
        reason = null;
        return true;
    }

    /// <summary>
    /// Parses XML that this process produced itself (trusted); throws <see cref="XmlException"/>
    /// if it is not well-formed. Same safe settings as <see cref="TryLoad"/>.
    /// </summary>
    /// <param name="xml">The text.</param>
    public static XmlDocument LoadTrusted(string xml)
    {
        if (!TryLoad(xml, out var doc, out var reason, int.MaxValue))
        {
            throw new XmlException(reason);
        }

        return doc!;
    }

    /// <summary>
    /// Decodes a message that is either raw XML or base64 of XML (as the SAML HTTP-POST binding
    /// carries it); null if it is neither.
    /// </summary>
    /// <param name="text">The raw text.</param>
    public static string? DecodeXmlOrBase64(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim().TrimStart('\uFEFF');
        if (trimmed.StartsWith('<'))
        {
            return trimmed;
        }

        var compact = new StringBuilder(trimmed.Length);
        foreach (var c in trimmed)
        {
            if (!char.IsWhiteSpace(c))
            {
                compact.Append(c);
            }
        }

        var bytes = new byte[compact.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64String(compact.ToString(), bytes, out var written))
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, true).GetString(bytes, 0, written).Trim().TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        return decoded.StartsWith('<') ? decoded : null;
    }
}
