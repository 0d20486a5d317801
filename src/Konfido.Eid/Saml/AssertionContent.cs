using System.Xml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Saml;

/// <summary>
/// The parts of one verified <c>saml2:Assertion</c> Konfido uses, read only from that element.
/// Reading refuses markup or comments inside values and records every problem as a reason.
/// </summary>
internal sealed class AssertionContent
{
    private AssertionContent(XmlElement element) => Element = element;

    public XmlElement Element { get; }

    public string Id { get; private set; } = string.Empty;

    public string Issuer { get; private set; } = string.Empty;

    public DateTimeOffset IssueInstant { get; private set; }

    public string? NameId { get; private set; }

    public DateTimeOffset? NotBefore { get; private set; }

    public DateTimeOffset? NotOnOrAfter { get; private set; }

    public List<List<string>> AudienceRestrictions { get; } = [];

    public List<(string Method, string? Recipient, string? InResponseTo, DateTimeOffset? NotOnOrAfter)> Confirmations { get; } = [];

    public string? AuthnContextClassRef { get; private set; }

    public Dictionary<string, List<string>> Attributes { get; } = new(StringComparer.Ordinal);

    public List<string> AdviceAssertionIdRefs { get; } = [];

    public string? First(string attribute) => Attributes.TryGetValue(attribute, out var v) && v.Count > 0 ? v[0] : null;

    /// <summary>Reads <paramref name="assertion"/>; false (with reasons) if it is structurally unusable.</summary>
    public static bool TryRead(XmlElement assertion, List<string> reasons, out AssertionContent content)
    {
        content = new AssertionContent(assertion);
        var start = reasons.Count;
        if (assertion.GetAttribute("Version") != "2.0")
        {
            reasons.Add("assertion Version is not 2.0");
        }

        content.Id = assertion.GetAttribute("ID");
        if (content.Id.Length == 0)
        {
            reasons.Add("assertion has no ID");
        }

        if (!SamlXml.TryParseTime(assertion.GetAttribute("IssueInstant"), out var issued))
        {
            reasons.Add("assertion has no valid IssueInstant");
        }

        content.IssueInstant = issued;
        var issuer = SamlXml.Single(assertion, "Issuer");
        if (issuer is null || !SamlXml.TryGetPlainText(issuer, out var issuerText) || issuerText.Length == 0)
        {
            reasons.Add("assertion lacks exactly one plain-text Issuer");
        }
        else
        {
            content.Issuer = issuerText;
        }

        var subject = SamlXml.Single(assertion, "Subject");
        var nameId = SamlXml.Single(subject, "NameID");
        if (nameId is not null)
        {
            if (SamlXml.TryGetPlainText(nameId, out var name))
            {
                content.NameId = name;
            }
            else
            {
                reasons.Add("NameID contains a comment or markup (comment-truncation attack)");
            }
        }

        foreach (var confirmation in SamlXml.Children(subject, "SubjectConfirmation", SamlNames.Assertion))
        {
            var data = SamlXml.Single(confirmation, "SubjectConfirmationData");
            DateTimeOffset? notOnOrAfter = null;
            if (data is not null && data.HasAttribute("NotOnOrAfter"))
            {
                if (SamlXml.TryParseTime(data.GetAttribute("NotOnOrAfter"), out var t))
                {
                    notOnOrAfter = t;
                }
                else
                {
                    reasons.Add("SubjectConfirmationData NotOnOrAfter is not a valid time");
                }
            }

            content.Confirmations.Add((confirmation.GetAttribute("Method"), data?.HasAttribute("Recipient") == true ? data.GetAttribute("Recipient") : null,
                data?.HasAttribute("InResponseTo") == true ? data.GetAttribute("InResponseTo") : null, notOnOrAfter));
        }

        var conditions = SamlXml.Children(assertion, "Conditions", SamlNames.Assertion);
        if (conditions.Count != 1)
        {
            reasons.Add("assertion lacks exactly one Conditions element");
        }
        else
        {
            content.NotBefore = ReadTime(conditions[0], "NotBefore", reasons);
            content.NotOnOrAfter = ReadTime(conditions[0], "NotOnOrAfter", reasons);
            foreach (var restriction in SamlXml.Children(conditions[0], "AudienceRestriction", SamlNames.Assertion))
            {
                var audiences = new List<string>();
                foreach (var audience in SamlXml.Children(restriction, "Audience", SamlNames.Assertion))
                {
                    if (SamlXml.TryGetPlainText(audience, out var a))
                    {
                        audiences.Add(a);
                    }
                }

                content.AudienceRestrictions.Add(audiences);
            }
        }

        var classRef = SamlXml.Single(SamlXml.Single(SamlXml.Single(assertion, "AuthnStatement"), "AuthnContext"), "AuthnContextClassRef");
        if (classRef is not null && SamlXml.TryGetPlainText(classRef, out var loa))
        {
            content.AuthnContextClassRef = loa;
        }

        foreach (var statement in SamlXml.Children(assertion, "AttributeStatement", SamlNames.Assertion))
        {
            foreach (var attribute in SamlXml.Children(statement, "Attribute", SamlNames.Assertion))
            {
                var name = attribute.GetAttribute("Name");
                if (content.Attributes.ContainsKey(name))
                {
                    reasons.Add($"attribute '{name}' occurs more than once");
                    continue;
                }

                var values = new List<string>();
                foreach (var value in SamlXml.Children(attribute, "AttributeValue", SamlNames.Assertion))
                {
                    if (SamlXml.TryGetPlainText(value, out var v))
                    {
                        values.Add(v);
                    }
                    else
                    {
                        reasons.Add($"attribute '{name}' value contains a comment or markup");
                    }
                }

                content.Attributes[name] = values;
            }
        }

        foreach (var advice in SamlXml.Children(assertion, "Advice", SamlNames.Assertion))
        {
            foreach (var idRef in SamlXml.Children(advice, "AssertionIDRef", SamlNames.Assertion))
            {
                if (SamlXml.TryGetPlainText(idRef, out var r))
                {
                    content.AdviceAssertionIdRefs.Add(r);
                }
            }
        }

        return reasons.Count == start;
    }

    /// <summary>Checks the Conditions time window at <paramref name="now"/> with <paramref name="skew"/> either way.</summary>
    public void CheckWindow(DateTimeOffset now, TimeSpan skew, List<string> reasons)
    {
        if (NotBefore is { } nb && now + skew < nb)
        {
            reasons.Add($"assertion is not yet valid (NotBefore {SamlXml.Time(nb)}, now {SamlXml.Time(now)})");
        }

        if (NotOnOrAfter is not { } noa)
        {
            reasons.Add("assertion has no NotOnOrAfter");
        }
        else if (now - skew >= noa)
        {
            reasons.Add($"assertion has expired (NotOnOrAfter {SamlXml.Time(noa)}, now {SamlXml.Time(now)})");
        }
    }

    /// <summary>Every AudienceRestriction must name <paramref name="audience"/> (SAML core section 2.5.1.4); at least one must exist.</summary>
    public void CheckAudience(string audience, List<string> reasons)
    {
        if (AudienceRestrictions.Count == 0)
        {
            reasons.Add($"assertion has no AudienceRestriction (expected audience '{audience}')");
            return;
        }

        foreach (var restriction in AudienceRestrictions)
        {
            if (!restriction.Contains(audience, StringComparer.Ordinal))
            {
                reasons.Add($"wrong audience: '{string.Join("', '", restriction)}' does not include '{audience}'");
                return;
            }
        }
    }

    private static DateTimeOffset? ReadTime(XmlElement e, string name, List<string> reasons)
    {
        if (!e.HasAttribute(name))
        {
            return null;
        }

        if (SamlXml.TryParseTime(e.GetAttribute(name), out var t))
        {
            return t;
        }

        reasons.Add($"Conditions {name} is not a valid time");
        return null;
    }

    /// <summary>
    /// Loads a standalone signed assertion securely and verifies it: exactly one Assertion in the
    /// document, at the root, with a valid enveloped signature by a trusted key.
    /// </summary>
    public static XmlElement? LoadSignedStandalone(string xml, TrustedCertificates trust, int maxCharacters, List<string> reasons, out XmlSignatureCheck? check)
    {
        check = null;
        if (!SecureXml.TryLoad(xml, out var doc, out var reason, maxCharacters))
        {
            reasons.Add(reason!);
            return null;
        }

        var root = doc!.DocumentElement!;
        if (root.LocalName != "Assertion" || root.NamespaceURI != SamlNames.Assertion)
        {
            reasons.Add($"document element is {root.Name}, not saml2:Assertion");
            return null;
        }

        var count = SamlXml.CountDescendants(root, "Assertion", SamlNames.Assertion);
        if (count != 1)
        {
            reasons.Add($"message holds {count} assertions; exactly one is allowed (signature wrapping)");
            return null;
        }

        check = XmlSignature.VerifyEnveloped(root, trust);
        if (!check.IsValid)
        {
            reasons.Add(check.Reason!);
            return null;
        }

        return root;
    }
}
