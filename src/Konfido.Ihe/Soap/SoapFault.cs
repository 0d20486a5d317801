using System.Xml.Linq;

namespace Konfido.Ihe.Soap;

/// <summary>Who is at fault (SOAP 1.2 Part 1, 5.4.6): the sender's message, or the receiver.</summary>
public enum SoapFaultCode
{
    /// <summary><c>env:Sender</c>: the message is malformed or not acceptable (HTTP 400).</summary>
    Sender,

    /// <summary><c>env:Receiver</c>: the receiver could not process a valid message (HTTP 500).</summary>
    Receiver,
}

/// <summary>
/// A SOAP 1.2 fault, raised while a request is read and answered as a fault envelope. The subcode is
/// an IHE/eHDSI error code (e.g. <c>XDSRegistryMetadataError</c>, <c>ERROR_SEC_GENERIC</c>).
/// </summary>
public sealed class SoapFaultException : Exception
{
    /// <summary>Creates a fault.</summary>
    /// <param name="code">Sender or receiver.</param>
    /// <param name="subcode">The IHE error code.</param>
    /// <param name="reason">A human-readable reason (no secrets, no patient data).</param>
    public SoapFaultException(SoapFaultCode code, string subcode, string reason) : base(reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subcode);
        Code = code;
        Subcode = subcode;
    }

    /// <summary>Not for use: a fault needs a code.</summary>
    public SoapFaultException() : this(SoapFaultCode.Receiver, "Unknown", "unknown fault")
    {
    }

    /// <summary>Not for use: a fault needs a code.</summary>
    /// <param name="message">The reason.</param>
    public SoapFaultException(string message) : this(SoapFaultCode.Receiver, "Unknown", message)
    {
    }

    /// <summary>Not for use: a fault needs a code.</summary>
    /// <param name="message">The reason.</param>
    /// <param name="inner">The cause.</param>
    public SoapFaultException(string message, Exception inner) : base(message, inner)
    {
        Code = SoapFaultCode.Receiver;
        Subcode = "Unknown";
    }

    /// <summary>Sender or receiver.</summary>
    public SoapFaultCode Code { get; }

    /// <summary>The IHE error code carried as <c>env:Subcode/env:Value</c>.</summary>
    public string Subcode { get; }

    /// <summary>The HTTP status of the fault (SOAP 1.2 Part 2, 7.5.1.2): 400 for the sender's fault, 500 otherwise.</summary>
    public int HttpStatus => Code == SoapFaultCode.Sender ? 400 : 500;

    /// <summary>A sender fault.</summary>
    /// <param name="subcode">The IHE error code.</param>
    /// <param name="reason">Why.</param>
    public static SoapFaultException Sender(string subcode, string reason) => new(SoapFaultCode.Sender, subcode, reason);

    /// <summary>The fault envelope, relating to <paramref name="relatesTo"/> when the request's MessageID is known.</summary>
    /// <param name="relatesTo">The request's MessageID, or null.</param>
    public XDocument ToEnvelope(string? relatesTo = null)
    {
        var env = IheNames.Soap;
        var fault = new XElement(env + "Fault",
            new XElement(env + "Code",
                new XElement(env + "Value", Code == SoapFaultCode.Sender ? "env:Sender" : "env:Receiver"),
                new XElement(env + "Subcode", new XElement(env + "Value", Subcode))),
            new XElement(env + "Reason", new XElement(env + "Text", new XAttribute(XNamespace.Xml + "lang", "en"), Message)));
        return SoapEnvelope.Create("http://www.w3.org/2005/08/addressing/soap/fault", fault, relatesTo: relatesTo);
    }

    /// <summary>Reads a fault from a response envelope's body, or null when the body is not a fault.</summary>
    /// <param name="body">The body's first child.</param>
    public static SoapFaultException? TryRead(XElement body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var env = IheNames.Soap;
        if (body.Name != env + "Fault")
        {
            return null;
        }

        var value = body.Element(env + "Code")?.Element(env + "Value")?.Value ?? string.Empty;
        var subcode = body.Element(env + "Code")?.Element(env + "Subcode")?.Element(env + "Value")?.Value;
        var reason = body.Element(env + "Reason")?.Element(env + "Text")?.Value ?? "no reason given";
        return new SoapFaultException(value.EndsWith("Sender", StringComparison.Ordinal) ? SoapFaultCode.Sender : SoapFaultCode.Receiver,
            string.IsNullOrWhiteSpace(subcode) ? "Unknown" : subcode.Trim(), reason.Trim());
    }
}
