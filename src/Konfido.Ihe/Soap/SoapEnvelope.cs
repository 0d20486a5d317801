using System.Xml.Linq;

namespace Konfido.Ihe.Soap;

/// <summary>A SOAP 1.2 message as read: its WS-Addressing headers, security tokens and body payload.</summary>
/// <param name="Action">The <c>wsa:Action</c>.</param>
/// <param name="MessageId">The <c>wsa:MessageID</c>, or null.</param>
/// <param name="RelatesTo">The <c>wsa:RelatesTo</c>, or null.</param>
/// <param name="Payload">The single child element of <c>env:Body</c>.</param>
/// <param name="Security">The assertions of the <c>wsse:Security</c> header.</param>
public sealed record SoapMessage(string Action, string? MessageId, string? RelatesTo, XElement Payload, SecurityTokens Security);

/// <summary>
/// SOAP 1.2 envelopes with WS-Addressing 1.0 headers (Action with mustUnderstand, MessageID, To,
/// RelatesTo), as the IHE ITI TF-2x Appendix V web-services rules require.
/// </summary>
public static class SoapEnvelope
{
    /// <summary>The SOAP 1.2 media type.</summary>
    public const string MediaType = "application/soap+xml";

    /// <summary>Builds an envelope. Requires an action and a payload.</summary>
    /// <param name="action">The WS-Addressing action.</param>
    /// <param name="payload">The body's child element.</param>
    /// <param name="messageId">The message id; a fresh <c>urn:uuid:</c> when null.</param>
    /// <param name="relatesTo">The request's message id, for responses.</param>
    /// <param name="to">The endpoint address, or null.</param>
    /// <param name="security">The <c>wsse:Security</c> header, or null.</param>
    public static XDocument Create(string action, XElement payload, string? messageId = null, string? relatesTo = null, string? to = null, XElement? security = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        ArgumentNullException.ThrowIfNull(payload);
        XNamespace env = IheNames.Soap, wsa = IheNames.Addressing;
        var header = new XElement(env + "Header",
            new XAttribute(XNamespace.Xmlns + "wsa", wsa.NamespaceName),
            new XElement(wsa + "Action", new XAttribute(env + "mustUnderstand", "true"), action),
            new XElement(wsa + "MessageID", messageId ?? "urn:uuid:" + Guid.NewGuid().ToString("D")));
        if (relatesTo is not null)
        {
            header.Add(new XElement(wsa + "RelatesTo", relatesTo));
        }

        if (to is not null)
        {
            header.Add(new XElement(wsa + "To", to));
        }

        if (security is not null)
        {
            header.Add(security);
        }

        return new XDocument(new XElement(env + "Envelope", new XAttribute(XNamespace.Xmlns + "env", env.NamespaceName), header, new XElement(env + "Body", payload)));
    }

    /// <summary>Reads an envelope. A malformed one throws a sender fault naming what is wrong.</summary>
    /// <param name="document">The parsed document (see <see cref="SafeXml"/>).</param>
    /// <exception cref="SoapFaultException">Not a SOAP 1.2 envelope, no single body payload, no action, or a bad security header.</exception>
    public static SoapMessage Read(XDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        XNamespace env = IheNames.Soap, wsa = IheNames.Addressing;
        var root = document.Root!;
        if (root.Name.LocalName == "Envelope" && root.Name.Namespace != env)
        {
            throw SoapFaultException.Sender("VersionMismatch", $"only SOAP 1.2 ({env.NamespaceName}) is accepted, not '{root.Name.NamespaceName}'");
        }

        if (root.Name != env + "Envelope")
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", "the message is not a SOAP envelope");
        }

        var header = root.Element(env + "Header");
        var body = root.Element(env + "Body") ?? throw SoapFaultException.Sender("XDSRegistryMetadataError", "the envelope has no Body");
        var payloads = body.Elements().ToList();
        if (payloads.Count != 1)
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", $"the Body must hold exactly one element, not {payloads.Count}");
        }

        var actions = header?.Elements(wsa + "Action").ToList() ?? [];
        if (actions.Count != 1 || string.IsNullOrWhiteSpace(actions[0].Value))
        {
            throw SoapFaultException.Sender("wsa:MessageAddressingHeaderRequired", "exactly one wsa:Action header is required");
        }

        var security = SecurityHeader.Read(header);
        return new SoapMessage(actions[0].Value.Trim(), header?.Element(wsa + "MessageID")?.Value.Trim(), header?.Element(wsa + "RelatesTo")?.Value.Trim(), payloads[0], security);
    }
}
