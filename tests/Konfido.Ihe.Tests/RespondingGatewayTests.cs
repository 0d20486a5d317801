#nullable disable warnings
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Konfido.Core;
using Konfido.Exchange;
using Konfido.Ihe.Atna;
using Konfido.Ihe.Cda;
using Konfido.Ihe.Gateway;
using Konfido.Ihe.Soap;
using Konfido.Ihe.Transactions;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Ihe.Tests;

/// <summary>The responding gateway on its own (no access gate): what a request can and cannot reach.</summary>
public sealed class RespondingGatewayTests : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly NodeCredentials _credentials;
    private readonly InMemorySecurityEventSink _events = new();
    private readonly IheTestBackend _backend = new("DK");
    private readonly IheRespondingGateway _gateway;
    private static readonly FederationMember Caller = new("ES", "ES NCP", new Uri("https://es.example/"), new string('0', 64), "AAAA");

    public RespondingGatewayTests()
    {
        var request = new CertificateRequest("CN=DK NCP", _key, HashAlgorithmName.SHA256);
        _credentials = new NodeCredentials("DK", request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1)), _key);
        var home = new HomeCountryService(_backend, _credentials, _events);
        _gateway = new IheRespondingGateway("DK", home, CdaTransformer.Default, new AtnaAuditor(_events, "DK"));
    }

    public void Dispose() => _credentials.Dispose();

    /// <summary>An unsigned TRC naming <paramref name="patient"/> (the gate, absent here, would verify it).</summary>
    private static XElement Security(string patient)
    {
        XNamespace saml = IheNames.Saml2;
        XElement Assertion(string id, XElement advice, string attribute, string value) => new(saml + "Assertion", new XAttribute("ID", id),
            advice, new XElement(saml + "Subject", new XElement(saml + "NameID", "ES/DK/1")),
            new XElement(saml + "AttributeStatement", new XElement(saml + "Attribute", new XAttribute("Name", attribute), new XElement(saml + "AttributeValue", value))));
        var hcp = Assertion("_hcp", null, "urn:oasis:names:tc:xacml:2.0:subject:role", "221");
        var trc = Assertion("_trc", new XElement(saml + "Advice", new XElement(saml + "AssertionIDRef", "_hcp")), "urn:oasis:names:tc:xacml:2.0:resource:resource-id", patient);
        return SecurityHeader.Create(hcp.ToString(), trc.ToString());
    }

    private async Task<(SoapPackage, SoapMessage)> RetrieveAsync(string trcPatient, string documentId)
    {
        var envelope = SoapEnvelope.Create(IheNames.XcaRetrieveAction, Xca.CreateRetrieve([new DocumentRequest(null, IheCommunity.RepositoryId("DK"), documentId)]), security: Security(trcPatient));
        var response = await _gateway.HandleAsync(IheEndpoints.XcaRetrieve, new FederationCall(Caller), SafeXml.ToUtf8(envelope), SoapEnvelope.MediaType, "https://dk/ihe/xca/retrieve");
        var package = Mtom.Read(response.Body, response.ContentType);
        return (package, SoapEnvelope.Read(package.Envelope));
    }

    [Fact]
    public async Task A_trc_for_the_patient_retrieves_their_summary_as_cda()
    {
        var (package, message) = await RetrieveAsync(IheTestBackend.PatientId, IheCommunity.DocumentId("DK", IheDocumentClass.PatientSummary, IheTestBackend.PatientId));
        var (result, documents) = Xca.ReadRetrieveResponse(message.Payload, package);
        Assert.True(result.Success);
        var cda = SafeXml.TryLoad(Assert.Single(documents).Content, out _);
        Assert.Equal(IheDocumentClass.PatientSummary, CdaTransformer.ClassOf(cda));
        var audit = Assert.Single(_events.Events, e => e.Action == "atna-iti-39");
        Assert.Equal(IheTestBackend.PatientId, audit.PatientId);
    }

    [Fact]
    public async Task A_trc_for_another_patient_cannot_reach_this_patients_documents()
    {
        var (package, message) = await RetrieveAsync("9999999999", IheCommunity.DocumentId("DK", IheDocumentClass.PatientSummary, IheTestBackend.PatientId));
        var (result, documents) = Xca.ReadRetrieveResponse(message.Payload, package);
        Assert.False(result.Success);
        Assert.Empty(documents);
    }

    [Fact]
    public async Task A_retrieve_without_a_trc_is_refused()
    {
        var envelope = SoapEnvelope.Create(IheNames.XcaRetrieveAction, Xca.CreateRetrieve([new DocumentRequest(null, "1", "2")]));
        var response = await _gateway.HandleAsync(IheEndpoints.XcaRetrieve, new FederationCall(Caller), SafeXml.ToUtf8(envelope), SoapEnvelope.MediaType, "https://dk/ihe/xca/retrieve");
        var package = Mtom.Read(response.Body, response.ContentType);
        var (result, _) = Xca.ReadRetrieveResponse(SoapEnvelope.Read(package.Envelope).Payload, package);
        Assert.Equal(IheErrors.InsufficientRights, Assert.Single(result.Errors).ErrorCode);
    }

    [Fact]
    public async Task An_xdr_submission_of_a_patient_summary_is_a_sender_fault()
    {
        var entry = new DocumentEntry("2.25.1", "2.25.2", "urn:oid:2.25.3", RegistryObjects.PatientCx(IheTestBackend.PatientId, "1.2.208.176.1.2"), IheDocumentClass.PatientSummary, "PS", DateTimeOffset.UtcNow);
        var (payload, attachments) = Xdr.CreateRequest(entry, [1, 2, 3], "2.25.9");
        var (body, type) = Mtom.Write(SoapEnvelope.Create(IheNames.XdrAction, payload, security: Security(IheTestBackend.PatientId)), attachments, IheNames.XdrAction);
        var response = await _gateway.HandleAsync(IheEndpoints.Xdr, new FederationCall(Caller), body, type, "https://dk/ihe/xdr");
        Assert.Equal(400, response.Status);
        var fault = SoapFaultException.TryRead(SoapEnvelope.Read(SafeXml.TryLoad(response.Body, out _)).Payload);
        Assert.Equal("XDSRegistryMetadataError", fault.Subcode);
        Assert.Empty(_backend.Dispensed);
        Assert.Contains(_events.Events, e => e.Action == "atna-iti-41" && e.Outcome == EventOutcome.Failure);
    }
}
