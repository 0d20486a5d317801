using System.Text;
using System.Xml.Linq;

namespace Konfido.Ihe.Soap;

/// <summary>The SAML assertions found in a <c>wsse:Security</c> header, as XML text ready for verification.</summary>
/// <param name="HcpAssertion">The HCP identity assertion, or null when absent.</param>
/// <param name="TrcAssertion">The treatment-relationship confirmation, or null when absent.</param>
public sealed record SecurityTokens(string? HcpAssertion, string? TrcAssertion)
{
    /// <summary>No tokens.</summary>
    public static SecurityTokens None { get; } = new(null, null);
}

/// <summary>
/// The WS-Security 1.1 header as OpenNCP builds it (eHDSI SAML profile): the HCP identity assertion
/// and the TRC assertion side by side as <c>saml2:Assertion</c> children of <c>wsse:Security</c>;
/// the TRC is the one whose <c>Advice/AssertionIDRef</c> names the HCP assertion's ID. Signatures are
/// not checked here: the assertions are handed, unchanged, to the cross-border verifier.
/// </summary>
public static class SecurityHeader
{
    /// <summary>Builds the header. Requires the HCP assertion; each may be the XML or its base64 header form.</summary>
    /// <param name="hcpAssertion">The signed HCP identity assertion.</param>
    /// <param name="trcAssertion">The signed TRC, or null (discovery before a TRC exists).</param>
    /// <exception cref="ArgumentException">An assertion that is not a SAML 2.0 assertion.</exception>
    public static XElement Create(string hcpAssertion, string? trcAssertion)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hcpAssertion);
        var security = new XElement(IheNames.Wsse + "Security",
            new XAttribute(XNamespace.Xmlns + "wsse", IheNames.Wsse.NamespaceName),
            new XAttribute(IheNames.Soap + "mustUnderstand", "true"),
            ParseAssertion(hcpAssertion, nameof(hcpAssertion)));
        if (!string.IsNullOrWhiteSpace(trcAssertion))
        {
            security.Add(ParseAssertion(trcAssertion, nameof(trcAssertion)));
        }

        return security;
    }

    /// <summary>Reads the tokens of <paramref name="header"/> (the <c>env:Header</c>), or none when there is no security header.</summary>
    /// <param name="header">The SOAP header, or null.</param>
    /// <exception cref="SoapFaultException"><c>wsse:InvalidSecurity</c> for more than one header, foreign tokens, or a TRC that does not reference the HCP assertion.</exception>
    public static SecurityTokens Read(XElement? header)
    {
        var headers = header?.Elements(IheNames.Wsse + "Security").ToList() ?? [];
        if (headers.Count == 0)
        {
            return SecurityTokens.None;
        }

        if (headers.Count > 1)
        {
            throw SoapFaultException.Sender("wsse:InvalidSecurity", "more than one wsse:Security header");
        }

        var assertions = headers[0].Elements(IheNames.Saml2 + "Assertion").ToList();
        if (assertions.Count > 2)
        {
            throw SoapFaultException.Sender("wsse:InvalidSecurity", $"the security header carries {assertions.Count} assertions; expected the HCP identity assertion and at most one TRC");
        }

        XElement? hcp = null, trc = null;
        foreach (var assertion in assertions)
        {
            var referenced = assertion.Element(IheNames.Saml2 + "Advice")?.Element(IheNames.Saml2 + "AssertionIDRef")?.Value.Trim();
            if (referenced is null)
            {
                hcp = hcp is null ? assertion : throw SoapFaultException.Sender("wsse:InvalidSecurity", "two HCP identity assertions");
            }
            else
            {
                trc = trc is null ? assertion : throw SoapFaultException.Sender("wsse:InvalidSecurity", "two TRC assertions");
            }
        }

        if (trc is not null)
        {
            var referenced = trc.Element(IheNames.Saml2 + "Advice")!.Element(IheNames.Saml2 + "AssertionIDRef")!.Value.Trim();
            if (hcp is null || !string.Equals(hcp.Attribute("ID")?.Value, referenced, StringComparison.Ordinal))
            {
                throw SoapFaultException.Sender("wsse:InvalidSecurity", "the TRC assertion does not reference the HCP identity assertion sent with it");
            }
        }

        return new SecurityTokens(hcp?.ToString(SaveOptions.DisableFormatting), trc?.ToString(SaveOptions.DisableFormatting));
    }

    private static XElement ParseAssertion(string value, string parameter)
    {
        var xml = value.TrimStart().StartsWith('<') ? value : DecodeBase64(value, parameter);
        var document = SafeXml.TryLoad(xml, out var error, 256 * 1024)
            ?? throw new ArgumentException($"The assertion is not XML: {error}", parameter);
        if (document.Root!.Name != IheNames.Saml2 + "Assertion")
        {
            throw new ArgumentException("The token is not a SAML 2.0 assertion.", parameter);
        }

        return document.Root;
    }

    private static string DecodeBase64(string value, string parameter)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(value.Trim()));
        }
        catch (FormatException)
        {
            throw new ArgumentException("The assertion is neither XML nor base64.", parameter);
        }
    }
}
