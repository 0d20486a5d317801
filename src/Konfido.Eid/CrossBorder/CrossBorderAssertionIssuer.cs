using System.Text;
using System.Xml;
using Konfido.Core;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.CrossBorder;

/// <summary>A signed assertion as issued, ready to travel.</summary>
/// <param name="Id">The assertion ID.</param>
/// <param name="Xml">The signed assertion XML.</param>
/// <param name="NotBefore">Start of validity.</param>
/// <param name="NotOnOrAfter">End of validity.</param>
public sealed record IssuedAssertion(string Id, string Xml, DateTimeOffset NotBefore, DateTimeOffset NotOnOrAfter)
{
    /// <summary>The value for an HTTP header: base64 of the UTF-8 XML (no line breaks).</summary>
    public string ToHeaderValue() => Convert.ToBase64String(Encoding.UTF8.GetBytes(Xml));
}

/// <summary>
/// Country B's issuer of the cross-border assertions, as OpenNCP issues them (eHDSI SAML
/// profile): after a professional's login, a signed HCP identity assertion (at most 4 hours) and,
/// per patient, a treatment-relationship confirmation (TRC, at most 2 hours) that references the
/// HCP assertion's ID in its <c>Advice</c>. Both are addressed to
/// <see cref="CrossBorderNames.Audience"/>. ECDSA P-256 keys make verification cheapest.
/// </summary>
public sealed class CrossBorderAssertionIssuer
{
    /// <summary>The longest HCP identity assertion lifetime.</summary>
    public static readonly TimeSpan MaxHcpLifetime = TimeSpan.FromHours(4);

    /// <summary>The longest TRC lifetime.</summary>
    public static readonly TimeSpan MaxTrcLifetime = TimeSpan.FromHours(2);

    private readonly XmlSigningKey _key;
    private readonly TimeProvider _time;

    /// <summary>Creates the issuer of <paramref name="country"/>.</summary>
    /// <param name="country">The issuing country (B).</param>
    /// <param name="signingKey">The signing key; its certificate must be in the trust list for <paramref name="country"/>.</param>
    /// <param name="time">The clock; the system clock by default.</param>
    public CrossBorderAssertionIssuer(CountryCode country, XmlSigningKey signingKey, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(signingKey);
        Country = country;
        _key = signingKey;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The issuing country.</summary>
    public CountryCode Country { get; }

    /// <summary>The issuer name written in the assertions.</summary>
    public string IssuerName => $"urn:konfido:ncp:{Country}";

    /// <summary>Issues an HCP identity assertion. Requires 0 &lt; lifetime &lt;= 4 h.</summary>
    /// <param name="identity">The professional.</param>
    /// <param name="lifetime">Validity; 4 hours when null.</param>
    /// <param name="now">The issue instant; the clock when null.</param>
    public IssuedAssertion IssueHcp(HcpIdentity identity, TimeSpan? lifetime = null, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var span = CheckLifetime(lifetime ?? MaxHcpLifetime, MaxHcpLifetime, nameof(lifetime));
        var (doc, assertion, id, start) = Begin(identity.SubjectId, now);
        var statement = Finish(assertion, start, span, identity.Level);
        SamlXml.AddAttribute(statement, CrossBorderNames.SubjectId, "XSPA Subject", [identity.SubjectName]);
        SamlXml.AddAttribute(statement, CrossBorderNames.Role, "XSPA Role", [identity.Role.IscoCode()]);
        SamlXml.AddAttribute(statement, CrossBorderNames.Organisation, "XSPA Organization", [identity.Organisation]);
        SamlXml.AddAttribute(statement, CrossBorderNames.OrganisationId, "XSPA Organization ID", [identity.OrganisationId]);
        SamlXml.AddAttribute(statement, CrossBorderNames.FacilityType, "eHealth DSI Healthcare Facility Type", [identity.FacilityType.Name()]);
        SamlXml.AddAttribute(statement, CrossBorderNames.PurposeOfUse, "XSPA Purpose Of Use", [identity.PurposeOfUse.Code()]);
        SamlXml.AddAttribute(statement, CrossBorderNames.Locality, "XSPA Locality", [identity.Locality]);
        SamlXml.AddAttribute(statement, CrossBorderNames.Permission, "XSPA Permissions according with Hl7", identity.Permissions.Select(p => p.Urn()));
        var issued = Sign(doc, assertion, id, start, span);
        return issued;
    }

    /// <summary>
    /// Issues a TRC for <paramref name="patientId"/> that references <paramref name="hcpAssertion"/>.
    /// Requires 0 &lt; lifetime &lt;= 2 h and a non-empty patient id.
    /// </summary>
    /// <param name="hcpAssertion">The HCP identity assertion this TRC belongs to.</param>
    /// <param name="identity">The professional the HCP assertion names.</param>
    /// <param name="patientId">The patient identifier as country A knows it.</param>
    /// <param name="purposeOfUse">The purpose of use.</param>
    /// <param name="lifetime">Validity; 2 hours when null.</param>
    /// <param name="now">The issue instant; the clock when null.</param>
    public IssuedAssertion IssueTrc(IssuedAssertion hcpAssertion, HcpIdentity identity, string patientId, PurposeOfUse purposeOfUse, TimeSpan? lifetime = null, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(hcpAssertion);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        var span = CheckLifetime(lifetime ?? MaxTrcLifetime, MaxTrcLifetime, nameof(lifetime));
        var (doc, assertion, id, start) = Begin(identity.SubjectId, now);
        var advice = SamlXml.AddSaml(assertion, "Advice");
        SamlXml.AddSaml(advice, "AssertionIDRef", hcpAssertion.Id);
        var statement = Finish(assertion, start, span, identity.Level);
        SamlXml.AddAttribute(statement, CrossBorderNames.ResourceId, "XACML Resource Id", [patientId]);
        SamlXml.AddAttribute(statement, CrossBorderNames.PurposeOfUse, "XSPA Purpose Of Use", [purposeOfUse.Code()]);
        var issued = Sign(doc, assertion, id, start, span);
        return issued;
    }

    private (XmlDocument Doc, XmlElement Assertion, string Id, DateTimeOffset Start) Begin(string subjectId, DateTimeOffset? now)
    {
        var start = now ?? _time.GetUtcNow();
        var id = SamlXml.NewId();
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        var assertion = doc.CreateElement("saml2", "Assertion", SamlNames.Assertion);
        doc.AppendChild(assertion);
        assertion.SetAttribute("ID", id);
        assertion.SetAttribute("Version", "2.0");
        assertion.SetAttribute("IssueInstant", SamlXml.Time(start));
        SamlXml.AddSaml(assertion, "Issuer", IssuerName).SetAttribute("NameQualifier", "urn:ehdsi:assertions:hcp");
        var subject = SamlXml.AddSaml(assertion, "Subject");
        SamlXml.AddSaml(subject, "NameID", subjectId).SetAttribute("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified");
        SamlXml.AddSaml(subject, "SubjectConfirmation").SetAttribute("Method", SamlNames.SenderVouches);
        return (doc, assertion, id, start);
    }

    private static XmlElement Finish(XmlElement assertion, DateTimeOffset start, TimeSpan span, LevelOfAssurance level)
    {
        var conditions = SamlXml.AddSaml(assertion, "Conditions");
        conditions.SetAttribute("NotBefore", SamlXml.Time(start));
        conditions.SetAttribute("NotOnOrAfter", SamlXml.Time(start + span));
        SamlXml.AddSaml(SamlXml.AddSaml(conditions, "AudienceRestriction"), "Audience", CrossBorderNames.Audience);
        // Advice must precede the statements (SAML core schema); move it behind Conditions.
        var advice = SamlXml.Single(assertion, "Advice");
        if (advice is not null)
        {
            assertion.RemoveChild(advice);
            assertion.AppendChild(advice);
        }

        var authn = SamlXml.AddSaml(assertion, "AuthnStatement");
        authn.SetAttribute("AuthnInstant", SamlXml.Time(start));
        SamlXml.AddSaml(SamlXml.AddSaml(authn, "AuthnContext"), "AuthnContextClassRef", level.ToUri());
        return SamlXml.AddSaml(assertion, "AttributeStatement");
    }

    private IssuedAssertion Sign(XmlDocument doc, XmlElement assertion, string id, DateTimeOffset start, TimeSpan span)
    {
        XmlSignature.SignEnveloped(assertion, _key, SamlXml.Single(assertion, "Issuer"));
        return new IssuedAssertion(id, doc.OuterXml, start, start + span);
    }

    private static TimeSpan CheckLifetime(TimeSpan span, TimeSpan max, string name)
    {
        if (span <= TimeSpan.Zero || span > max)
        {
            throw new ArgumentOutOfRangeException(name, span, $"Lifetime must be positive and at most {max.TotalHours} h.");
        }

        return span;
    }
}
