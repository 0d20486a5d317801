using System.Net;
using System.Text;
using System.Xml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Saml;

/// <summary>The eIDAS service-provider sector (<c>eidas:SPType</c>).</summary>
public enum EidasSpType
{
    /// <summary>A public-sector service provider.</summary>
    Public,

    /// <summary>A private-sector service provider.</summary>
    Private,
}

/// <summary>What an SP writes to ask for an authentication (validated by <see cref="EidasAuthnRequest.Create"/>).</summary>
/// <param name="Issuer">The SP's entity ID (its metadata URL in eIDAS).</param>
/// <param name="Destination">The eIDAS node's single-sign-on URL.</param>
/// <param name="AssertionConsumerServiceUrl">Where the Response is posted back.</param>
public sealed record EidasAuthnRequestParameters(string Issuer, string Destination, string AssertionConsumerServiceUrl)
{
    /// <summary>The minimum level of assurance (comparison <c>minimum</c>).</summary>
    public LevelOfAssurance MinimumLevel { get; init; } = LevelOfAssurance.Substantial;

    /// <summary>The SP sector.</summary>
    public EidasSpType SpType { get; init; } = EidasSpType.Public;

    /// <summary>The requested attributes; the minimum data set by default.</summary>
    public IReadOnlyList<RequestedAttribute> RequestedAttributes { get; init; } = RequestedAttribute.MinimumDataSet;

    /// <summary>A human-readable provider name, or null.</summary>
    public string? ProviderName { get; init; }
}

/// <summary>
/// A signed eIDAS AuthnRequest (eIDAS SAML Message Format v1.2 section 3; SAML core 2.0 section
/// 3.4.1): <c>RequestedAuthnContext Comparison="minimum"</c> with an eIDAS level, the
/// <c>eidas:SPType</c> and <c>eidas:RequestedAttributes</c> extensions, for the HTTP-POST binding.
/// </summary>
public sealed class EidasAuthnRequest
{
    private EidasAuthnRequest(string id, string xml, EidasAuthnRequestParameters parameters)
    {
        Id = id;
        Xml = xml;
        Parameters = parameters;
    }

    /// <summary>The request ID, which the Response's <c>InResponseTo</c> must echo.</summary>
    public string Id { get; }

    /// <summary>The signed request XML.</summary>
    public string Xml { get; }

    /// <summary>What was requested.</summary>
    public EidasAuthnRequestParameters Parameters { get; }

    /// <summary>The <c>SAMLRequest</c> form value of the HTTP-POST binding (base64 of the XML).</summary>
    public string Base64 => Convert.ToBase64String(Encoding.UTF8.GetBytes(Xml));

    /// <summary>
    /// Builds and signs a request. Throws <see cref="ArgumentException"/> naming the first
    /// problem if a URL is not absolute or no attribute is requested.
    /// </summary>
    /// <param name="parameters">What to request.</param>
    /// <param name="signingKey">The SP's signing key.</param>
    /// <param name="now">The issue instant.</param>
    public static EidasAuthnRequest Create(EidasAuthnRequestParameters parameters, XmlSigningKey signingKey, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(signingKey);
        RequireAbsolute(parameters.Destination, nameof(parameters.Destination));
        RequireAbsolute(parameters.AssertionConsumerServiceUrl, nameof(parameters.AssertionConsumerServiceUrl));
        if (string.IsNullOrWhiteSpace(parameters.Issuer))
        {
            throw new ArgumentException("Issuer is empty.", nameof(parameters));
        }

        if (parameters.RequestedAttributes.Count == 0)
        {
            throw new ArgumentException("At least one attribute must be requested.", nameof(parameters));
        }

        var id = SamlXml.NewId();
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        var root = doc.CreateElement("saml2p", "AuthnRequest", SamlNames.Protocol);
        doc.AppendChild(root);
        root.SetAttribute("xmlns:saml2", SamlNames.Assertion);
        root.SetAttribute("xmlns:eidas", SamlNames.Eidas);
        root.SetAttribute("ID", id);
        root.SetAttribute("Version", "2.0");
        root.SetAttribute("IssueInstant", SamlXml.Time(now));
        root.SetAttribute("Destination", parameters.Destination);
        root.SetAttribute("AssertionConsumerServiceURL", parameters.AssertionConsumerServiceUrl);
        root.SetAttribute("ProtocolBinding", SamlNames.HttpPostBinding);
        root.SetAttribute("ForceAuthn", "true");
        root.SetAttribute("IsPassive", "false");
        if (parameters.ProviderName is not null)
        {
            root.SetAttribute("ProviderName", parameters.ProviderName);
        }

        var issuer = SamlXml.AddSaml(root, "Issuer", parameters.Issuer);
        issuer.SetAttribute("Format", SamlNames.EntityFormat);
        var extensions = SamlXml.Add(root, "saml2p", "Extensions", SamlNames.Protocol);
        SamlXml.Add(extensions, "eidas", "SPType", SamlNames.Eidas, parameters.SpType == EidasSpType.Public ? "public" : "private");
        var requested = SamlXml.Add(extensions, "eidas", "RequestedAttributes", SamlNames.Eidas);
        foreach (var attribute in parameters.RequestedAttributes)
        {
            var e = SamlXml.Add(requested, "eidas", "RequestedAttribute", SamlNames.Eidas);
            if (attribute.Name.StartsWith(SamlNames.NaturalPerson, StringComparison.Ordinal))
            {
                e.SetAttribute("FriendlyName", attribute.Name[SamlNames.NaturalPerson.Length..]);
            }

            e.SetAttribute("Name", attribute.Name);
            e.SetAttribute("NameFormat", SamlNames.UriNameFormat);
            e.SetAttribute("isRequired", attribute.IsRequired ? "true" : "false");
        }

        var policy = SamlXml.Add(root, "saml2p", "NameIDPolicy", SamlNames.Protocol);
        policy.SetAttribute("AllowCreate", "true");
        policy.SetAttribute("Format", SamlNames.PersistentFormat);
        var context = SamlXml.Add(root, "saml2p", "RequestedAuthnContext", SamlNames.Protocol);
        context.SetAttribute("Comparison", "minimum");
        SamlXml.AddSaml(context, "AuthnContextClassRef", parameters.MinimumLevel.ToUri());

        XmlSignature.SignEnveloped(root, signingKey, issuer);
        return new EidasAuthnRequest(id, doc.OuterXml, parameters);
    }

    /// <summary>
    /// Parses and verifies a request received by an identity provider (raw XML or base64): secure
    /// parsing, a valid signature by a trusted SP key, and the eIDAS elements. A bad request is a
    /// result.
    /// </summary>
    /// <param name="message">The <c>SAMLRequest</c> value or XML.</param>
    /// <param name="trust">The trusted SP signing certificates.</param>
    /// <param name="request">The request, when the result is true.</param>
    /// <param name="reason">Why it was refused, when the result is false.</param>
    public static bool TryParse(string message, TrustedCertificates trust, out EidasAuthnRequest? request, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(trust);
        request = null;
        var xml = SecureXml.DecodeXmlOrBase64(message);
        if (xml is null)
        {
            reason = "request is neither XML nor base64-encoded XML";
            return false;
        }

        if (!SecureXml.TryLoad(xml, out var doc, out reason))
        {
            return false;
        }

        var root = doc!.DocumentElement!;
        if (root.LocalName != "AuthnRequest" || root.NamespaceURI != SamlNames.Protocol)
        {
            reason = $"document element is {root.Name}, not samlp:AuthnRequest";
            return false;
        }

        var check = XmlSignature.VerifyEnveloped(root, trust);
        if (!check.IsValid)
        {
            reason = "AuthnRequest signature: " + check.Reason;
            return false;
        }

        var issuer = SamlXml.Single(root, "Issuer");
        var classRef = SamlXml.Single(SamlXml.Single(root, "RequestedAuthnContext", SamlNames.Protocol), "AuthnContextClassRef");
        var level = LevelsOfAssurance.FromUri(classRef?.InnerText);
        if (issuer is null || level is null)
        {
            reason = "AuthnRequest lacks an Issuer or an eIDAS level of assurance";
            return false;
        }

        var extensions = SamlXml.Single(root, "Extensions", SamlNames.Protocol);
        var spType = SamlXml.Single(extensions, "SPType", SamlNames.Eidas)?.InnerText.Trim() == "private" ? EidasSpType.Private : EidasSpType.Public;
        var attributes = SamlXml.Children(SamlXml.Single(extensions, "RequestedAttributes", SamlNames.Eidas), "RequestedAttribute", SamlNames.Eidas)
            .Select(e => new RequestedAttribute(e.GetAttribute("Name"), e.GetAttribute("isRequired") == "true"))
            .ToList();
        var parameters = new EidasAuthnRequestParameters(issuer.InnerText.Trim(), root.GetAttribute("Destination"), root.GetAttribute("AssertionConsumerServiceURL"))
        {
            MinimumLevel = level.Value,
            SpType = spType,
            RequestedAttributes = attributes,
            ProviderName = root.HasAttribute("ProviderName") ? root.GetAttribute("ProviderName") : null,
        };
        request = new EidasAuthnRequest(root.GetAttribute("ID"), xml, parameters);
        reason = null;
        return true;
    }

    /// <summary>
    /// An HTML page that posts the request to the eIDAS node (SAML bindings 2.0 section 3.5.4):
    /// a form with <c>SAMLRequest</c> and optional <c>RelayState</c>, submitted on load.
    /// </summary>
    /// <param name="relayState">Opaque SP state echoed back, or null.</param>
    public string ToHttpPostForm(string? relayState = null) => HttpPostForm.Render(Parameters.Destination, "SAMLRequest", Base64, relayState);

    private static void RequireAbsolute(string url, string name)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            throw new ArgumentException($"{name} '{url}' is not an absolute URL.", name);
        }
    }
}

/// <summary>The HTML auto-submit form of the SAML HTTP-POST binding.</summary>
public static class HttpPostForm
{
    /// <summary>Renders a page that posts <paramref name="fieldName"/> = <paramref name="value"/> to <paramref name="action"/>.</summary>
    /// <param name="action">The target URL.</param>
    /// <param name="fieldName"><c>SAMLRequest</c> or <c>SAMLResponse</c>.</param>
    /// <param name="value">The base64 message.</param>
    /// <param name="relayState">The RelayState, or null.</param>
    public static string Render(string action, string fieldName, string value, string? relayState)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(fieldName);
        ArgumentNullException.ThrowIfNull(value);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>eIDAS</title></head>\n<body onload=\"document.forms[0].submit()\">\n");
        html.Append("<form method=\"post\" action=\"").Append(WebUtility.HtmlEncode(action)).Append("\">\n");
        html.Append("<input type=\"hidden\" name=\"").Append(WebUtility.HtmlEncode(fieldName)).Append("\" value=\"").Append(WebUtility.HtmlEncode(value)).Append("\"/>\n");
        if (relayState is not null)
        {
            html.Append("<input type=\"hidden\" name=\"RelayState\" value=\"").Append(WebUtility.HtmlEncode(relayState)).Append("\"/>\n");
        }

        html.Append("<noscript><button type=\"submit\">Continue</button></noscript>\n</form>\n</body></html>\n");
        return html.ToString();
    }
}
