using System.Text;
using System.Xml.Linq;
using Konfido.Core;
using Konfido.Eid;
using Konfido.Eid.CrossBorder;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;
using Konfido.Ihe.Soap;
using Konfido.Ihe.Transactions;

namespace Konfido.Ihe.Tests;

/// <summary>Assertions issued by an ES key, verified by DK.</summary>
public sealed class AssertionFixture
{
    public AssertionFixture()
    {
        Key = XmlSigningKey.Create(DemoCertificates.CreateEcdsaP256("NCP ES"));
        Signers = new StaticTrustedSigners(new Dictionary<CountryCode, IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2>> { [Es] = [Key.Certificate] });
        var issuer = new CrossBorderAssertionIssuer(Es, Key);
        Hcp = issuer.IssueHcp(Doctor);
        Trc = issuer.IssueTrc(Hcp, Doctor, Patient, PurposeOfUse.Treatment);
        OtherHcp = issuer.IssueHcp(Doctor);
    }

    public static CountryCode Es { get; } = CountryCode.Parse("ES");

    public static CountryCode Dk { get; } = CountryCode.Parse("DK");

    public const string Patient = "0101701234";

    public static HcpIdentity Doctor { get; } = HcpIdentity.Create("ES/DK/12345678Z", "Dra. Lucía García", HcpRole.Doctor,
        "Hospital Clínic de Barcelona", "urn:oid:2.16.724.4.8.10.200.10", HealthcareFacilityType.Hospital, "Barcelona", PurposeOfUse.Treatment);

    public XmlSigningKey Key { get; }

    public StaticTrustedSigners Signers { get; }

    public IssuedAssertion Hcp { get; }

    public IssuedAssertion Trc { get; }

    public IssuedAssertion OtherHcp { get; }
}

public sealed class SoapTests(AssertionFixture fixture) : IClassFixture<AssertionFixture>
{
    private static XElement Payload => Xca.CreateQuery(AssertionFixture.Patient, "1.2.208.176.1.2", IheDocumentClass.PatientSummary);

    private static SoapMessage RoundTrip(XDocument envelope)
    {
        var bytes = SafeXml.ToUtf8(envelope);
        var parsed = SafeXml.TryLoad(bytes, out var error);
        Assert.Null(error);
        return SoapEnvelope.Read(parsed!);
    }

    [Fact]
    public void Assertions_in_the_security_header_still_verify_after_the_round_trip()
    {
        var envelope = SoapEnvelope.Create(IheNames.XcaQueryAction, Payload, security: SecurityHeader.Create(fixture.Hcp.ToHeaderValue(), fixture.Trc.Xml));
        var message = RoundTrip(envelope);
        Assert.Equal(IheNames.XcaQueryAction, message.Action);
        Assert.StartsWith("urn:uuid:", message.MessageId, StringComparison.Ordinal);
        var verifier = new CrossBorderAssertionVerifier(AssertionFixture.Dk, fixture.Signers);
        var result = verifier.Verify(message.Security.HcpAssertion, message.Security.TrcAssertion,
            new CrossBorderRequest(AssertionFixture.Es, AssertionFixture.Patient, CrossBorderPermission.PatientSummary));
        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
        Assert.Equal(fixture.Hcp.Id, result.HcpAssertionId);
        Assert.Equal(fixture.Trc.Id, result.TrcAssertionId);
    }

    [Fact]
    public void A_tampered_assertion_in_the_header_fails_verification()
    {
        var envelope = SoapEnvelope.Create(IheNames.XcaQueryAction, Payload, security: SecurityHeader.Create(fixture.Hcp.Xml, fixture.Trc.Xml));
        var text = Encoding.UTF8.GetString(SafeXml.ToUtf8(envelope)).Replace("Barcelona", "Bercelona", StringComparison.Ordinal);
        var message = SoapEnvelope.Read(SafeXml.TryLoad(text, out _)!);
        var verifier = new CrossBorderAssertionVerifier(AssertionFixture.Dk, fixture.Signers);
        var result = verifier.Verify(message.Security.HcpAssertion, message.Security.TrcAssertion,
            new CrossBorderRequest(AssertionFixture.Es, AssertionFixture.Patient, CrossBorderPermission.PatientSummary));
        Assert.False(result.IsValid);
    }

    [Fact]
    public void A_trc_for_another_hcp_assertion_is_a_security_fault()
    {
        var envelope = SoapEnvelope.Create(IheNames.XcaQueryAction, Payload, security: SecurityHeader.Create(fixture.OtherHcp.Xml, fixture.Trc.Xml));
        var fault = Assert.Throws<SoapFaultException>(() => RoundTrip(envelope));
        Assert.Equal("wsse:InvalidSecurity", fault.Subcode);
        Assert.Equal(SoapFaultCode.Sender, fault.Code);
    }

    [Fact]
    public void Three_assertions_are_a_security_fault()
    {
        var security = SecurityHeader.Create(fixture.Hcp.Xml, fixture.Trc.Xml);
        security.Add(XElement.Parse(fixture.OtherHcp.Xml));
        var fault = Assert.Throws<SoapFaultException>(() => RoundTrip(SoapEnvelope.Create(IheNames.XcaQueryAction, Payload, security: security)));
        Assert.Equal("wsse:InvalidSecurity", fault.Subcode);
    }

    [Theory]
    [InlineData("<env:Envelope xmlns:env=\"http://schemas.xmlsoap.org/soap/envelope/\"><env:Body><x/></env:Body></env:Envelope>", "VersionMismatch")]
    [InlineData("<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Header/></env:Envelope>", "XDSRegistryMetadataError")]
    [InlineData("<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Header/><env:Body><a/><b/></env:Body></env:Envelope>", "XDSRegistryMetadataError")]
    [InlineData("<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body><a/></env:Body></env:Envelope>", "wsa:MessageAddressingHeaderRequired")]
    [InlineData("<html/>", "XDSRegistryMetadataError")]
    public void Malformed_envelopes_are_sender_faults(string xml, string subcode)
    {
        var fault = Assert.Throws<SoapFaultException>(() => SoapEnvelope.Read(SafeXml.TryLoad(xml, out _)!));
        Assert.Equal(subcode, fault.Subcode);
        Assert.Equal(400, fault.HttpStatus);
    }

    [Fact]
    public void A_doctype_is_refused_before_any_entity_is_expanded()
    {
        const string bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><lolz>&lol2;</lolz>";
        Assert.Null(SafeXml.TryLoad(bomb, out var error));
        Assert.Contains("DTD", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Oversized_documents_are_refused()
    {
        var big = "<a>" + new string('x', 5000) + "</a>";
        Assert.Null(SafeXml.TryLoad(big, out _, maxCharacters: 1000));
    }

    [Fact]
    public void A_fault_envelope_reads_back_with_its_code()
    {
        var fault = SoapFaultException.Sender("XDSRegistryMetadataError", "bad request");
        var envelope = fault.ToEnvelope("urn:uuid:1");
        var message = RoundTrip(envelope);
        var read = SoapFaultException.TryRead(message.Payload);
        Assert.NotNull(read);
        Assert.Equal(SoapFaultCode.Sender, read.Code);
        Assert.Equal("XDSRegistryMetadataError", read.Subcode);
        Assert.Equal("bad request", read.Message);
        Assert.Equal("urn:uuid:1", message.RelatesTo);
    }

    [Fact]
    public void Mtom_packages_carry_binary_documents_unchanged()
    {
        var content = new byte[4096];
        new Random(7).NextBytes(content);
        var request = new DocumentRequest("urn:oid:1.2.3", "1.2.3.4", "1.2.3.4.5");
        var (payload, attachments) = Xca.CreateRetrieveResponse(RegistryResult.Ok, [new RetrievedDocument(request, "text/xml", content)]);
        var (body, contentType) = Mtom.Write(SoapEnvelope.Create(IheNames.XcaRetrieveResponseAction, payload), attachments, IheNames.XcaRetrieveResponseAction);
        var package = Mtom.Read(body, contentType);
        var message = SoapEnvelope.Read(package.Envelope);
        var (result, documents) = Xca.ReadRetrieveResponse(message.Payload, package);
        Assert.True(result.Success);
        var document = Assert.Single(documents);
        Assert.Equal(content, document.Content);
        Assert.Equal(request, document.Request);
    }

    [Fact]
    public void Plain_soap_with_inline_base64_documents_is_read_too()
    {
        var content = Encoding.UTF8.GetBytes("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>");
        var payload = new XElement(IheNames.Xdsb + "RetrieveDocumentSetResponse", RegistryObjects.RegistryResponse(RegistryResult.Ok),
            new XElement(IheNames.Xdsb + "DocumentResponse", new XElement(IheNames.Xdsb + "RepositoryUniqueId", "1"), new XElement(IheNames.Xdsb + "DocumentUniqueId", "2"),
                new XElement(IheNames.Xdsb + "mimeType", "text/xml"), new XElement(IheNames.Xdsb + "Document", Convert.ToBase64String(content))));
        var bytes = SafeXml.ToUtf8(SoapEnvelope.Create(IheNames.XcaRetrieveResponseAction, payload));
        var package = Mtom.Read(bytes, "application/soap+xml; charset=utf-8");
        var (_, documents) = Xca.ReadRetrieveResponse(SoapEnvelope.Read(package.Envelope).Payload, package);
        Assert.Equal(content, Assert.Single(documents).Content);
    }

    [Fact]
    public void A_dangling_xop_reference_is_a_sender_fault()
    {
        var (payload, _) = Xca.CreateRetrieveResponse(RegistryResult.Ok, [new RetrievedDocument(new DocumentRequest(null, "1", "2"), "text/xml", [1, 2, 3])]);
        var (body, contentType) = Mtom.Write(SoapEnvelope.Create(IheNames.XcaRetrieveResponseAction, payload), [], IheNames.XcaRetrieveResponseAction);
        var package = Mtom.Read(body, contentType);
        var fault = Assert.Throws<SoapFaultException>(() => Xca.ReadRetrieveResponse(SoapEnvelope.Read(package.Envelope).Payload, package));
        Assert.Equal("XDSMissingDocument", fault.Subcode);
    }

    [Fact]
    public void A_truncated_multipart_body_is_a_sender_fault()
    {
        var (body, contentType) = Mtom.Write(SoapEnvelope.Create(IheNames.XcaQueryAction, Payload), [new MtomAttachment("a@b", "text/xml", [1, 2, 3])], IheNames.XcaQueryAction);
        Assert.Throws<SoapFaultException>(() => Mtom.Read(body[..(body.Length / 2)], contentType));
    }
}
