using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using BenchmarkDotNet.Attributes;
using Hl7.Fhir.Model;
using Konfido.Core;
using Konfido.Exchange;
using Konfido.Fhir;
using Konfido.Ihe;
using Konfido.Ihe.Atna;
using Konfido.Ihe.Cda;
using Konfido.Ihe.Gateway;
using Konfido.Ihe.Soap;
using Konfido.Ihe.Transactions;
using Konfido.Records;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Ihe.Benchmarks;

/// <summary>
/// One SOAP request served by the responding gateway in process: envelope parsed, FHIR answer from an
/// in-memory back end, transformed to CDA, MTOM response written, ATNA audit emitted. No TLS and no
/// access gate (assertion verification is measured in Konfido.Eid's benchmarks).
/// </summary>
[MemoryDiagnoser]
public class RespondingGatewayBenchmarks : IDisposable
{
    private const string Patient = "0101701234";
    private NodeCredentials _credentials = null!;
    private IheRespondingGateway _gateway = null!;
    private byte[] _retrieve = null!;
    private byte[] _query = null!;
    private readonly FederationMember _caller = new("ES", "ES NCP", new Uri("https://es.example/"), new string('0', 64), "AAAA");

    [GlobalSetup]
    public void Setup()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _credentials = new NodeCredentials("DK", new CertificateRequest("CN=DK", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1)), key);
        var home = new HomeCountryService(new Backend(), _credentials, new DiscardSink());
        _gateway = new IheRespondingGateway("DK", home, CdaTransformer.Default, new AtnaAuditor(new DiscardSink(), "DK"));
        XNamespace saml = IheNames.Saml2;
        var hcp = new XElement(saml + "Assertion", new XAttribute("ID", "_h"), new XElement(saml + "Subject", new XElement(saml + "NameID", "ES/1")));
        var trc = new XElement(saml + "Assertion", new XAttribute("ID", "_t"), new XElement(saml + "Advice", new XElement(saml + "AssertionIDRef", "_h")),
            new XElement(saml + "AttributeStatement", new XElement(saml + "Attribute", new XAttribute("Name", "urn:oasis:names:tc:xacml:2.0:resource:resource-id"), new XElement(saml + "AttributeValue", Patient))));
        var security = SecurityHeader.Create(hcp.ToString(), trc.ToString());
        _retrieve = SafeXml.ToUtf8(SoapEnvelope.Create(IheNames.XcaRetrieveAction,
            Xca.CreateRetrieve([new DocumentRequest(null, IheCommunity.RepositoryId("DK"), IheCommunity.DocumentId("DK", IheDocumentClass.PatientSummary, Patient))]), security: new XElement(security)));
        _query = SafeXml.ToUtf8(SoapEnvelope.Create(IheNames.XcaQueryAction, Xca.CreateQuery(Patient, "1.2.208.176.1.2", IheDocumentClass.PatientSummary), security: new XElement(security)));
    }

    [Benchmark]
    public Task<SoapHttpResponse> XcaQuery_PatientSummary() =>
        _gateway.HandleAsync(IheEndpoints.XcaQuery, new FederationCall(_caller), _query, SoapEnvelope.MediaType, "https://dk/ihe/xca/query");

    [Benchmark]
    public Task<SoapHttpResponse> XcaRetrieve_PatientSummary() =>
        _gateway.HandleAsync(IheEndpoints.XcaRetrieve, new FederationCall(_caller), _retrieve, SoapEnvelope.MediaType, "https://dk/ihe/xca/retrieve");

    public void Dispose()
    {
        _credentials?.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed class DiscardSink : ISecurityEventSink
    {
        public ValueTask PublishAsync(SecurityEvent securityEvent, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }

    private sealed class Backend : INationalBackend
    {
        private readonly Bundle _ips = PatientSummaryBuilder.Build(new PatientSummaryInput(
            new PatientRecord(Patient, "urn:oid:1.2.208.176.1.2", "Hansen", ["Jens"], new DateOnly(1950, 3, 14), "male", "DK"),
            [new ConditionRecord("COPD", "13645005", "J44.9"), new ConditionRecord("Hypertension", "38341003", "I10")],
            [new AllergyRecord("Penicillin allergy", "91936005", "medication", "high", "Urticaria")],
            [new MedicationRecord("R03AC12", "Salmeterol", "2 inhalations twice daily"), new MedicationRecord("C09AA05", "Ramipril", "5 mg once daily")],
            new AuthorRecord("Aarhus Universitetshospital", "DK")), DateTimeOffset.UtcNow);

        public string Country => "DK";

        public Task<IReadOnlyList<Patient>> FindPatientsAsync(PatientQuery query, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<Patient>>([]);

        public Task<Bundle?> GetPatientSummaryAsync(string nationalId, CancellationToken cancellationToken = default) => Task.FromResult<Bundle?>(nationalId == Patient ? _ips : null);

        public Task<IReadOnlyList<MedicationRequest>?> GetPrescriptionsAsync(string nationalId, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<MedicationRequest>?>([]);

        public Task<DispenseResult> DispenseAsync(MedicationDispense dispense, CancellationToken cancellationToken = default) =>
            Task.FromResult(new DispenseResult(DispenseStatus.UnknownPrescription, "none"));
    }
}
