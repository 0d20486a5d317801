using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml;
using Konfido.Core;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Saml;

/// <summary>What the test identity provider puts in one Response.</summary>
/// <param name="Person">The authenticated natural person.</param>
/// <param name="Audience">The SP entity ID (AudienceRestriction).</param>
/// <param name="Recipient">The SP's assertion consumer URL (Destination and bearer Recipient).</param>
public sealed record TestResponseOptions(EidasPerson Person, string Audience, string Recipient)
{
    /// <summary>The AuthnRequest ID answered, or null for an unsolicited Response.</summary>
    public string? InResponseTo { get; init; }

    /// <summary>The level of assurance asserted.</summary>
    public LevelOfAssurance Level { get; init; } = LevelOfAssurance.Substantial;

    /// <summary>The issue instant; null for the identity provider's clock.</summary>
    public DateTimeOffset? IssueInstant { get; init; }

    /// <summary>How long the assertion is valid (default 5 minutes).</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Sign the Assertion (default true).</summary>
    public bool SignAssertion { get; init; } = true;

    /// <summary>Sign the Response (default false).</summary>
    public bool SignResponse { get; init; }

    /// <summary>The SP's encryption certificate (RSA &gt;= 3072); null leaves the assertion in clear.</summary>
    public X509Certificate2? EncryptTo { get; init; }

    /// <summary>The assertion ID; null for a fresh random one.</summary>
    public string? AssertionId { get; init; }
}

/// <summary>
/// The embedded test eIDAS node of one country: answers AuthnRequests with Responses whose
/// assertions carry the natural-person attributes, signed with ECDSA P-256 or RSA-PSS 3072 and
/// encrypted to the SP with AES-256-GCM and RSA-OAEP. It authenticates nobody: it asserts the
/// identity it is given, which is what a demo on one machine needs.
/// </summary>
public sealed class TestEidasIdentityProvider
{
    private readonly XmlSigningKey _signingKey;
    private readonly TimeProvider _time;

    /// <summary>Creates the identity provider of <paramref name="country"/>.</summary>
    /// <param name="country">The country this node serves.</param>
    /// <param name="signingKey">Its signing key.</param>
    /// <param name="entityId">Its entity ID; by default <c>urn:konfido:eidas-node:CC</c>.</param>
    /// <param name="time">The clock; the system clock by default.</param>
    public TestEidasIdentityProvider(CountryCode country, XmlSigningKey signingKey, string? entityId = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(signingKey);
        Country = country;
        _signingKey = signingKey;
        EntityId = entityId ?? $"urn:konfido:eidas-node:{country}";
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The country served.</summary>
    public CountryCode Country { get; }

    /// <summary>The entity ID (the Issuer of its messages).</summary>
    public string EntityId { get; }

    /// <summary>The certificate SPs must trust.</summary>
    public X509Certificate2 SigningCertificate => _signingKey.Certificate;

    /// <summary>An identity provider with a fresh self-signed key: ECDSA P-256, or RSA-PSS 3072 when <paramref name="rsa"/>.</summary>
    /// <param name="country">The country served.</param>
    /// <param name="rsa">Sign with RSA-PSS 3072 instead of ECDSA P-256.</param>
    /// <param name="time">The clock.</param>
    public static TestEidasIdentityProvider CreateEphemeral(CountryCode country, bool rsa = false, TimeProvider? time = null)
    {
        var cert = rsa ? DemoCertificates.CreateRsa($"Test eIDAS node {country}") : DemoCertificates.CreateEcdsaP256($"Test eIDAS node {country}");
        return new TestEidasIdentityProvider(country, XmlSigningKey.Create(cert), null, time);
    }

    /// <summary>
    /// Answers a verified <paramref name="request"/> for <paramref name="person"/> at the level
    /// requested, the assertion signed and, when <paramref name="encryptTo"/> is given, encrypted.
    /// </summary>
    /// <param name="request">The AuthnRequest (see <see cref="EidasAuthnRequest.TryParse"/>).</param>
    /// <param name="person">The person who "logged in".</param>
    /// <param name="encryptTo">The SP's encryption certificate, or null.</param>
    /// <returns>The Response XML.</returns>
    public string Respond(EidasAuthnRequest request, EidasPerson person, X509Certificate2? encryptTo)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(person);
        return IssueResponse(new TestResponseOptions(person, request.Parameters.Issuer, request.Parameters.AssertionConsumerServiceUrl)
        {
            InResponseTo = request.Id,
            Level = request.Parameters.MinimumLevel,
            EncryptTo = encryptTo,
        });
    }

    /// <summary>
    /// The identity provider's SSO endpoint in one call: verifies a posted <c>SAMLRequest</c>
    /// (signed by a trusted SP key), answers it for <paramref name="person"/> and renders the
    /// HTTP-POST page that carries the <c>SAMLResponse</c> to the SP's assertion consumer URL.
    /// A bad request is a result.
    /// </summary>
    /// <param name="samlRequest">The posted <c>SAMLRequest</c> (base64) or its XML.</param>
    /// <param name="spTrust">The trusted SP signing certificates.</param>
    /// <param name="person">The person who "logged in".</param>
    /// <param name="encryptTo">The SP's encryption certificate, or null.</param>
    /// <param name="relayState">The RelayState to echo, or null.</param>
    /// <param name="postForm">The HTML page, when the result is true.</param>
    /// <param name="reason">Why the request was refused, when the result is false.</param>
    public bool TryRespond(string samlRequest, TrustedCertificates spTrust, EidasPerson person, X509Certificate2? encryptTo, string? relayState,
        out string? postForm, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(person);
        postForm = null;
        if (!EidasAuthnRequest.TryParse(samlRequest, spTrust, out var request, out reason))
        {
            return false;
        }

        var response = Respond(request!, person, encryptTo);
        postForm = HttpPostForm.Render(request!.Parameters.AssertionConsumerServiceUrl, "SAMLResponse", ToBase64(response), relayState);
        return true;
    }

    /// <summary>The Response as the HTTP-POST binding's <c>SAMLResponse</c> value (base64).</summary>
    /// <param name="responseXml">A Response from this provider.</param>
    public static string ToBase64(string responseXml) => Convert.ToBase64String(Encoding.UTF8.GetBytes(responseXml));

    /// <summary>Issues a Response exactly as <paramref name="options"/> says (tests use it to build edge cases).</summary>
    /// <param name="options">What to issue.</param>
    /// <returns>The Response XML.</returns>
    public string IssueResponse(TestResponseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var now = options.IssueInstant ?? _time.GetUtcNow();
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        var response = doc.CreateElement("saml2p", "Response", SamlNames.Protocol);
        doc.AppendChild(response);
        response.SetAttribute("xmlns:saml2", SamlNames.Assertion);
        response.SetAttribute("ID", SamlXml.NewId());
        response.SetAttribute("Version", "2.0");
        response.SetAttribute("IssueInstant", SamlXml.Time(now));
        response.SetAttribute("Destination", options.Recipient);
        if (options.InResponseTo is not null)
        {
            response.SetAttribute("InResponseTo", options.InResponseTo);
        }

        var responseIssuer = SamlXml.AddSaml(response, "Issuer", EntityId);
        responseIssuer.SetAttribute("Format", SamlNames.EntityFormat);
        var status = SamlXml.Add(response, "saml2p", "Status", SamlNames.Protocol);
        SamlXml.Add(status, "saml2p", "StatusCode", SamlNames.Protocol).SetAttribute("Value", SamlNames.StatusSuccess);

        var assertion = BuildAssertion(doc, options, now);
        response.AppendChild(assertion);
        if (options.SignAssertion)
        {
            XmlSignature.SignEnveloped(assertion, _signingKey, SamlXml.Single(assertion, "Issuer"));
        }

        if (options.EncryptTo is not null)
        {
            var encrypted = doc.CreateElement("saml2", "EncryptedAssertion", SamlNames.Assertion);
            encrypted.AppendChild(XmlEncryption.Encrypt(assertion, options.EncryptTo, doc));
            response.ReplaceChild(encrypted, assertion);
        }

        if (options.SignResponse)
        {
            XmlSignature.SignEnveloped(response, _signingKey, responseIssuer);
        }

        return doc.OuterXml;
    }

    private XmlElement BuildAssertion(XmlDocument doc, TestResponseOptions options, DateTimeOffset now)
    {
        var assertion = doc.CreateElement("saml2", "Assertion", SamlNames.Assertion);
        assertion.SetAttribute("xmlns:saml2", SamlNames.Assertion);
        assertion.SetAttribute("ID", options.AssertionId ?? SamlXml.NewId());
        assertion.SetAttribute("Version", "2.0");
        assertion.SetAttribute("IssueInstant", SamlXml.Time(now));
        SamlXml.AddSaml(assertion, "Issuer", EntityId).SetAttribute("Format", SamlNames.EntityFormat);

        var until = now + options.Lifetime;
        var subject = SamlXml.AddSaml(assertion, "Subject");
        var nameId = SamlXml.AddSaml(subject, "NameID", options.Person.PersonIdentifier);
        nameId.SetAttribute("Format", SamlNames.PersistentFormat);
        nameId.SetAttribute("NameQualifier", EntityId);
        var confirmation = SamlXml.AddSaml(subject, "SubjectConfirmation");
        confirmation.SetAttribute("Method", SamlNames.Bearer);
        var data = SamlXml.AddSaml(confirmation, "SubjectConfirmationData");
        if (options.InResponseTo is not null)
        {
            data.SetAttribute("InResponseTo", options.InResponseTo);
        }

        data.SetAttribute("NotOnOrAfter", SamlXml.Time(until));
        data.SetAttribute("Recipient", options.Recipient);

        var conditions = SamlXml.AddSaml(assertion, "Conditions");
        conditions.SetAttribute("NotBefore", SamlXml.Time(now));
        conditions.SetAttribute("NotOnOrAfter", SamlXml.Time(until));
        SamlXml.AddSaml(SamlXml.AddSaml(conditions, "AudienceRestriction"), "Audience", options.Audience);

        var authn = SamlXml.AddSaml(assertion, "AuthnStatement");
        authn.SetAttribute("AuthnInstant", SamlXml.Time(now));
        SamlXml.AddSaml(SamlXml.AddSaml(authn, "AuthnContext"), "AuthnContextClassRef", options.Level.ToUri());

        var statement = SamlXml.AddSaml(assertion, "AttributeStatement");
        var person = options.Person;
        Add(statement, SamlNames.PersonIdentifier, person.PersonIdentifier);
        Add(statement, SamlNames.CurrentFamilyName, person.CurrentFamilyName);
        Add(statement, SamlNames.CurrentGivenName, person.CurrentGivenName);
        Add(statement, SamlNames.DateOfBirth, person.DateOfBirthText);
        Add(statement, SamlNames.BirthName, person.BirthName);
        Add(statement, SamlNames.PlaceOfBirth, person.PlaceOfBirth);
        Add(statement, SamlNames.Gender, person.Gender);
        return assertion;
    }

    private static void Add(XmlElement statement, string name, string? value)
    {
        if (value is not null)
        {
            SamlXml.AddAttribute(statement, name, name[SamlNames.NaturalPerson.Length..], [value]);
        }
    }
}
