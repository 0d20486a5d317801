using System.Xml.Linq;
using Konfido.Ihe.Soap;

namespace Konfido.Ihe.Gateway;

/// <summary>
/// What the (not yet verified) cross-border assertions claim, for routing and the audit trail only:
/// the professional's NameID and role, the purpose of use and the TRC's patient. Nothing here grants
/// access; country A's access gate verifies the assertions before anything is released.
/// </summary>
/// <param name="Subject">The HCP assertion's subject NameID.</param>
/// <param name="Role">The XSPA role attribute.</param>
/// <param name="PurposeOfUse">The purpose of use (TRC first, else HCP).</param>
/// <param name="Patient">The TRC's resource id (the patient).</param>
public sealed record AssertionClaims(string? Subject, string? Role, string? PurposeOfUse, string? Patient)
{
    private static readonly XNamespace Saml = IheNames.Saml2;

    /// <summary>Reads the claims of the HCP and TRC assertions (XML); missing or unreadable ones give nulls.</summary>
    /// <param name="hcp">The HCP assertion XML, or null.</param>
    /// <param name="trc">The TRC assertion XML, or null.</param>
    public static AssertionClaims Read(string? hcp, string? trc)
    {
        var hcpRoot = hcp is null ? null : SafeXml.TryLoad(hcp, out _, 256 * 1024)?.Root;
        var trcRoot = trc is null ? null : SafeXml.TryLoad(trc, out _, 256 * 1024)?.Root;
        return new AssertionClaims(
            hcpRoot?.Element(Saml + "Subject")?.Element(Saml + "NameID")?.Value.Trim(),
            Attribute(hcpRoot, "urn:oasis:names:tc:xacml:2.0:subject:role"),
            Attribute(trcRoot, "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse") ?? Attribute(hcpRoot, "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse"),
            Attribute(trcRoot, "urn:oasis:names:tc:xacml:2.0:resource:resource-id"));
    }

    private static string? Attribute(XElement? assertion, string name) =>
        assertion?.Elements(Saml + "AttributeStatement").Elements(Saml + "Attribute").FirstOrDefault(a => a.Attribute("Name")?.Value == name)
            ?.Element(Saml + "AttributeValue")?.Value.Trim();
}
