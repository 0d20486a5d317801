using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;

namespace Konfido.Ihe.Soap;

/// <summary>One binary part of an MTOM message.</summary>
/// <param name="ContentId">The Content-ID without angle brackets.</param>
/// <param name="ContentType">The media type.</param>
/// <param name="Content">The bytes.</param>
public sealed record MtomAttachment(string ContentId, string ContentType, byte[] Content);

/// <summary>A SOAP message read from the wire: the envelope and, for MTOM, its attachments by Content-ID.</summary>
/// <param name="Envelope">The envelope document.</param>
/// <param name="Attachments">The binary parts (empty for a plain SOAP message).</param>
public sealed record SoapPackage(XDocument Envelope, IReadOnlyDictionary<string, byte[]> Attachments)
{
    /// <summary>
    /// The bytes of an <c>xdsb:Document</c>-style element: its <c>xop:Include</c> target, or its base64 text.
    /// </summary>
    /// <param name="element">The element holding the document.</param>
    /// <exception cref="SoapFaultException">A missing attachment or bad base64.</exception>
    public byte[] ContentOf(XElement element)
    {
        ArgumentNullException.ThrowIfNull(element);
        if (element.Element(IheNames.Xop + "Include") is { } include)
        {
            var href = include.Attribute("href")?.Value ?? string.Empty;
            var id = Uri.UnescapeDataString(href.StartsWith("cid:", StringComparison.OrdinalIgnoreCase) ? href[4..] : href);
            return Attachments.TryGetValue(id, out var bytes)
                ? bytes
                : throw SoapFaultException.Sender("XDSMissingDocument", $"the xop:Include '{href}' names no MIME part");
        }

        try
        {
            return Convert.FromBase64String(element.Value.Trim());
        }
        catch (FormatException)
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", "a document is neither an xop:Include nor base64");
        }
    }
}

/// <summary>
/// SOAP 1.2 MTOM/XOP (W3C SOAP MTOM and XOP 1.0) over multipart/related: writes a root part with the
/// envelope and one binary part per attachment, and reads either MTOM or plain SOAP. Parts are
/// capped in number; the caller caps the body size.
/// </summary>
public static class Mtom
{
    /// <summary>The most parts accepted in one message.</summary>
    public const int MaxParts = 32;

    /// <summary>Writes <paramref name="envelope"/> with <paramref name="attachments"/> as an MTOM package.</summary>
    /// <param name="envelope">The envelope, already holding <c>xop:Include</c> references.</param>
    /// <param name="attachments">The binary parts.</param>
    /// <param name="action">The SOAP action, for the start-info parameter.</param>
    /// <returns>The body and its Content-Type header value.</returns>
    public static (byte[] Body, string ContentType) Write(XDocument envelope, IReadOnlyList<MtomAttachment> attachments, string action)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(attachments);
        var boundary = "MIMEBoundary_" + Guid.NewGuid().ToString("N");
        const string rootId = "root.message@konfido";
        using var body = new MemoryStream();
        void Text(string s) => body.Write(Encoding.ASCII.GetBytes(s));
        Text($"--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{rootId}>\r\n\r\n");
        body.Write(SafeXml.ToUtf8(envelope));
        foreach (var part in attachments)
        {
            Text($"\r\n--{boundary}\r\nContent-Type: {part.ContentType}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <{part.ContentId}>\r\n\r\n");
            body.Write(part.Content);
        }

        Text($"\r\n--{boundary}--\r\n");
        var contentType = $"multipart/related; boundary=\"{boundary}\"; type=\"application/xop+xml\"; start=\"<{rootId}>\"; start-info=\"application/soap+xml; action=\\\"{action}\\\"\"";
        return (body.ToArray(), contentType);
    }

    /// <summary>A <c>xop:Include</c> element pointing at <paramref name="contentId"/>.</summary>
    /// <param name="contentId">The attachment's Content-ID.</param>
    public static XElement Include(string contentId) =>
        new(IheNames.Xop + "Include", new XAttribute(XNamespace.Xmlns + "xop", IheNames.Xop.NamespaceName), new XAttribute("href", "cid:" + Uri.EscapeDataString(contentId).Replace("%40", "@", StringComparison.Ordinal)));

    /// <summary>Reads a SOAP body (MTOM or plain) of Content-Type <paramref name="contentType"/>.</summary>
    /// <param name="body">The HTTP body.</param>
    /// <param name="contentType">The Content-Type header value.</param>
    /// <exception cref="SoapFaultException">A malformed multipart package or envelope.</exception>
    public static SoapPackage Read(byte[] body, string? contentType)
    {
        ArgumentNullException.ThrowIfNull(body);
        MediaTypeHeaderValue? type = null;
        if (contentType is not null && !MediaTypeHeaderValue.TryParse(contentType, out type))
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", "the Content-Type header is malformed");
        }

        if (type?.MediaType is not { } media || !media.Equals("multipart/related", StringComparison.OrdinalIgnoreCase))
        {
            return new SoapPackage(LoadEnvelope(body), new Dictionary<string, byte[]>());
        }

        var boundary = type.Parameters.FirstOrDefault(p => p.Name.Equals("boundary", StringComparison.OrdinalIgnoreCase))?.Value?.Trim('"');
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 200)
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", "the multipart Content-Type has no usable boundary");
        }

        var start = type.Parameters.FirstOrDefault(p => p.Name.Equals("start", StringComparison.OrdinalIgnoreCase))?.Value?.Trim('"').Trim('<', '>');
        var parts = Split(body, Encoding.ASCII.GetBytes("--" + boundary));
        byte[]? root = null;
        var attachments = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (headers, content) in parts)
        {
            var id = headers.TryGetValue("content-id", out var raw) ? raw.Trim().Trim('<', '>') : null;
            if (root is null && (start is null || id == start))
            {
                root = content;
            }
            else if (id is not null)
            {
                attachments[id] = content;
            }
        }

        return root is null
            ? throw SoapFaultException.Sender("XDSRegistryMetadataError", "the multipart message has no root part")
            : new SoapPackage(LoadEnvelope(root), attachments);
    }

    private static XDocument LoadEnvelope(byte[] bytes) =>
        SafeXml.TryLoad(bytes, out var error) ?? throw SoapFaultException.Sender("XDSRegistryMetadataError", "the SOAP envelope is not acceptable XML: " + error);

    private static List<(Dictionary<string, string> Headers, byte[] Content)> Split(byte[] body, byte[] delimiter)
    {
        var parts = new List<(Dictionary<string, string>, byte[])>();
        var span = body.AsSpan();
        var at = span.IndexOf(delimiter);
        if (at < 0)
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", "the multipart body holds no boundary");
        }

        var position = at + delimiter.Length;
        while (true)
        {
            if (span[position..].StartsWith("--"u8))
            {
                return parts;
            }

            var next = span[position..].IndexOf(delimiter);
            if (next < 0)
            {
                throw SoapFaultException.Sender("XDSRegistryMetadataError", "the multipart body is not closed");
            }

            if (parts.Count >= MaxParts)
            {
                throw SoapFaultException.Sender("XDSRegistryMetadataError", $"more than {MaxParts} MIME parts");
            }

            var part = span.Slice(position, next);
            part = part.StartsWith("\r\n"u8) ? part[2..] : part;
            part = part.EndsWith("\r\n"u8) ? part[..^2] : part;
            var split = part.IndexOf("\r\n\r\n"u8);
            if (split < 0)
            {
                throw SoapFaultException.Sender("XDSRegistryMetadataError", "a MIME part has no header block");
            }

            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in Encoding.ASCII.GetString(part[..split]).Split("\r\n"))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
                }
            }

            parts.Add((headers, part[(split + 4)..].ToArray()));
            position += next + delimiter.Length;
        }
    }
}
