#nullable disable warnings
using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Konfido.Core;
using Konfido.Exchange;
using Konfido.Fhir;
using Konfido.Ihe.Gateway;
using Konfido.Ihe.Soap;
using Konfido.Ihe.Transactions;
using Konfido.Records;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Ihe.Tests;

/// <summary>Konfido ↔ Konfido over SOAP with mutual TLS: DK runs in OpenNCP mode (IHE only), ES and IT call it through their initiating gateways.</summary>
public sealed class GatewayTests
{
    private const string Identifier = "urn:oid:1.2.208.176.1.2|" + IheTestBackend.PatientId;

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, HttpStatusCode expected) where T : Resource
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        Assert.Equal("ihe", response.Headers.GetValues("X-Konfido-Protocol").Single());
        return FhirJson.Parse<T>(body);
    }

    [Fact]
    public async Task Xcpd_discovers_the_patient_over_soap()
    {
        await using var federation = await IheFederation.StartAsync("DK");
        using var doctor = await federation.DoctorAsync("ES");
        using var response = await doctor.GetAsync("api/DK/Patient?identifier=" + Uri.EscapeDataString(Identifier));
        var bundle = await ReadAsync<Bundle>(response, HttpStatusCode.OK);
        var patient = Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<Patient>());
        Assert.Equal(IheTestBackend.PatientId, patient.Identifier[0].Value);
        Assert.Equal("Hansen", patient.Name[0].Family);
        Assert.Equal("1950-03-14", patient.BirthDate);
        Assert.Equal("ES", response.Headers.GetValues("X-Konfido-Signer").Single());
        Assert.Contains(federation.EventsOf("DK", "atna-iti-55"), e => e.Outcome == EventOutcome.Success && e.SourceCountry == "ES");
        Assert.Contains(federation.EventsOf("ES", "atna-iti-55"), e => e.Outcome == EventOutcome.Success);
        // The home country's own exchange event, from the same service as the FHIR path, names the verified professional.
        Assert.Contains(federation.EventsOf("DK", "patient-discovery"), e => e.Outcome == EventOutcome.Success && e.Actor == DemoProfessionalsId("ES"));
    }

    private static string DemoProfessionalsId(string country) => Konfido.Node.DemoProfessionals.Identifier(country, Konfido.Eid.CrossBorder.HcpRole.Doctor);

    [Fact]
    public async Task Xca_query_and_retrieve_bring_back_a_valid_ips()
    {
        await using var federation = await IheFederation.StartAsync("DK");
        using var doctor = await federation.DoctorAsync("ES");
        using var response = await doctor.GetAsync("api/DK/Patient/$summary?identifier=" + Uri.EscapeDataString(Identifier));
        var ips = await ReadAsync<Bundle>(response, HttpStatusCode.OK);
        Assert.True(IpsValidator.Validate(ips).IsValid, string.Join("; ", IpsValidator.Validate(ips).Issues.Select(i => i.Message)));
        var conditions = ips.Entry.Select(e => e.Resource).OfType<Condition>().ToList();
        Assert.Contains(conditions, c => c.Code.Coding.Any(x => x.Code == "13645005"));
        Assert.Contains(ips.Entry.Select(e => e.Resource).OfType<Medication>(), m => m.Code.Coding.Any(x => x.Code == "R03AC12"));
        Assert.Contains(federation.EventsOf("DK", "atna-iti-38"), e => e.Outcome == EventOutcome.Success);
        var retrieve = Assert.Single(federation.EventsOf("DK", "atna-iti-39"));
        Assert.Equal(EventOutcome.Success, retrieve.Outcome);
        Assert.Equal(IheCommunity.DocumentId("DK", IheDocumentClass.PatientSummary, IheTestBackend.PatientId), retrieve.Attributes["ihe.documents"]);
        Assert.Contains(federation.EventsOf("ES", "ips-retrieve"), e => e.Outcome == EventOutcome.Success && e.Attributes["protocol"] == "ihe");
    }

    [Fact]
    public async Task A_doctor_who_brings_a_key_gets_the_summary_fetched_over_soap_sealed_for_that_key()
    {
        await using var federation = await IheFederation.StartAsync("DK");
        using var doctor = await federation.DoctorAsync("ES");
        using var doctorKey = System.Security.Cryptography.ECDiffieHellman.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/DK/Patient/$summary?identifier=" + Uri.EscapeDataString(Identifier));
        request.Headers.Add(SealedPayloads.RecipientKeyHeader, SealedPayloads.ClientKeyHeaderValue(doctorKey));

        using var response = await doctor.SendAsync(request);
        var envelope = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Konfido.Custody.PayloadEnvelope.MediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("Hansen", envelope, StringComparison.Ordinal);
        var signer = federation["ES"].Components.TrustList().Find(response.Headers.GetValues("X-Konfido-Signer").Single());
        var (payload, _) = SealedPayloads.OpenForClient(envelope, doctorKey, signer);
        Assert.True(IpsValidator.Validate(FhirJson.Parse<Bundle>(payload)).IsValid);
        using var malformed = new HttpRequestMessage(HttpMethod.Get, "api/DK/Patient/$summary?identifier=" + Uri.EscapeDataString(Identifier));
        malformed.Headers.Add(SealedPayloads.RecipientKeyHeader, "AAAA");
        using var refused = await doctor.SendAsync(malformed);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    [Fact]
    public async Task A_peer_flagged_openncp_is_called_on_the_openncp_service_paths()
    {
        await using var federation = await IheFederation.StartAsync(IheEndpoints.OpenNcpProtocol, ["DK"]);
        using var doctor = await federation.DoctorAsync("ES");
        using var response = await doctor.GetAsync("api/DK/Patient/$summary?identifier=" + Uri.EscapeDataString(Identifier));
        var ips = await ReadAsync<Bundle>(response, HttpStatusCode.OK);
        Assert.NotEmpty(ips.Entry.Select(e => e.Resource).OfType<Condition>());
        // Query and retrieve both went to OpenNCP's single XCA service and were told apart by their actions.
        Assert.Contains("services/XCA_Service", Assert.Single(federation.EventsOf("DK", "atna-iti-38")).Attributes["atna.xml"], StringComparison.Ordinal);
        Assert.Contains("services/XCA_Service", Assert.Single(federation.EventsOf("DK", "atna-iti-39")).Attributes["atna.xml"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eprescriptions_are_listed_and_dispensed_over_xca_and_xdr()
    {
        await using var federation = await IheFederation.StartAsync("DK");
        using var pharmacist = await federation.PharmacistAsync("IT");
        using var list = await pharmacist.GetAsync("api/DK/MedicationRequest?patient.identifier=" + Uri.EscapeDataString(Identifier));
        var searchset = await ReadAsync<Bundle>(list, HttpStatusCode.OK);
        var rx = Assert.Single(searchset.Entry.Select(e => e.Resource).OfType<MedicationRequest>());
        Assert.Equal(IheTestBackend.PrescriptionId, rx.Id);
        Assert.Equal("2 inhalations twice daily", rx.DosageInstruction[0].Text);

        var dispense = EDispensation.Create(rx.Id, IheTestBackend.PatientId, "urn:oid:1.2.208.176.1.2", "IT", "Farmacia Centrale, Roma", DateTimeOffset.UtcNow, 1, "package");
        dispense.Medication = rx.Medication;
        using var first = await pharmacist.PostAsync("api/DK/MedicationDispense", new ByteArrayContent(FhirJson.Serialize(dispense)) { Headers = { ContentType = new(FhirJson.MediaType) } });
        await ReadAsync<MedicationDispense>(first, HttpStatusCode.Created);
        var stored = Assert.Single(federation.Backends["DK"].Dispensed);
        Assert.Equal("IT", stored.Contained.OfType<Location>().Single().Address.Country);
        Assert.Contains("Farmacia Centrale, Roma", stored.Performer[0].Actor.Display, StringComparison.Ordinal);

        using var second = await pharmacist.PostAsync("api/DK/MedicationDispense", new ByteArrayContent(FhirJson.Serialize(dispense)) { Headers = { ContentType = new(FhirJson.MediaType) } });
        await ReadAsync<OperationOutcome>(second, HttpStatusCode.Conflict);
        Assert.Equal(2, federation.EventsOf("DK", "atna-iti-41").Count);
        Assert.Single(federation.EventsOf("DK", "atna-iti-41"), e => e.Outcome == EventOutcome.Success);
    }

    [Fact]
    public async Task A_konfido_node_in_openncp_mode_refuses_fhir_and_can_call_fhir_peers_over_soap()
    {
        await using var federation = await IheFederation.StartAsync("DK");
        // The FHIR federation path of DK is closed.
        using var client = new FederationClient(federation["ES"].Components.Credentials, federation["ES"].Components.TrustList);
        var answer = await client.GetAsync("DK", "fhir/Patient?identifier=" + Uri.EscapeDataString(Identifier));
        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
        Assert.Contains("OpenNCP mode", FhirOutcomes.TryReadDiagnostics(answer.Body), StringComparison.Ordinal);

        // DK, SOAP-only, initiates over SOAP too: ES answers through its responding gateway.
        using var doctor = await federation.DoctorAsync("DK");
        using var response = await doctor.GetAsync("api/ES/Patient?identifier=" + Uri.EscapeDataString(Identifier));
        var bundle = await ReadAsync<Bundle>(response, HttpStatusCode.OK);
        Assert.Single(bundle.Entry);
        Assert.Contains(federation.EventsOf("ES", "atna-iti-55"), e => e.SourceCountry == "DK");
    }

    private static async Task<(SoapPackage, SoapMessage)> SendRawAsync(IheFederation federation, string path, string action, System.Xml.Linq.XElement payload, System.Xml.Linq.XElement security = null)
    {
        using var soap = new IheSoapClient(federation["ES"].Components.Credentials);
        return await soap.SendAsync(federation["ES"].Components.TrustList().Find("DK"), path, SoapEnvelope.Create(action, payload, security: security), [], action);
    }

    [Fact]
    public async Task Requests_without_assertions_are_refused_by_the_gate()
    {
        await using var federation = await IheFederation.StartAsync("DK");
        var (_, message) = await SendRawAsync(federation, IheEndpoints.XcaQuery, IheNames.XcaQueryAction, Xca.CreateQuery(IheTestBackend.PatientId, "1.2.208.176.1.2", IheDocumentClass.PatientSummary));
        var (result, entries) = Xca.ReadQueryResponse(message.Payload);
        Assert.False(result.Success);
        Assert.Empty(entries);
        Assert.Equal(IheErrors.InsufficientRights, Assert.Single(result.Errors).ErrorCode);
        Assert.Contains(federation.EventsOf("DK", "atna-iti-38"), e => e.Outcome == EventOutcome.Failure);

        var (_, retrieve) = await SendRawAsync(federation, IheEndpoints.XcaRetrieve, IheNames.XcaRetrieveAction,
            Xca.CreateRetrieve([new DocumentRequest(null, IheCommunity.RepositoryId("DK"), IheCommunity.DocumentId("DK", IheDocumentClass.PatientSummary, IheTestBackend.PatientId))]));
        var (retrieved, documents) = Xca.ReadRetrieveResponse(retrieve.Payload, new SoapPackage(new System.Xml.Linq.XDocument(), new Dictionary<string, byte[]>()));
        Assert.False(retrieved.Success);
        Assert.Empty(documents);
        Assert.Empty(federation.Backends["DK"].Dispensed);
    }

    [Fact]
    public async Task Malformed_requests_get_soap_faults()
    {
        await using var federation = await IheFederation.StartAsync("DK");
        var wrongAction = await Assert.ThrowsAsync<SoapFaultException>(() => SendRawAsync(federation, IheEndpoints.Xcpd, IheNames.XcaQueryAction,
            Xca.CreateQuery(IheTestBackend.PatientId, "1.2.208.176.1.2", IheDocumentClass.PatientSummary)));
        Assert.Equal("wsa:ActionNotSupported", wrongAction.Subcode);
        Assert.Equal(SoapFaultCode.Sender, wrongAction.Code);

        var wrongPayload = await Assert.ThrowsAsync<SoapFaultException>(() => SendRawAsync(federation, IheEndpoints.Xcpd, IheNames.XcpdAction, new System.Xml.Linq.XElement("nonsense")));
        Assert.Equal("XDSRegistryMetadataError", wrongPayload.Subcode);

        // Raw garbage and a DOCTYPE, below the SOAP client, straight at the endpoint.
        var member = federation["ES"].Components.TrustList().Find("DK");
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                ClientCertificates = [federation["ES"].Components.Credentials.TlsCertificate],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = member.Endpoint };
        foreach (var body in new[] { "not xml at all", "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>" })
        {
            using var response = await http.PostAsync(IheEndpoints.XcaQuery, new StringContent(body, Encoding.UTF8, "application/soap+xml"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var envelope = SafeXml.TryLoad(await response.Content.ReadAsByteArrayAsync(), out _);
            var fault = SoapFaultException.TryRead(SoapEnvelope.Read(envelope).Payload);
            Assert.NotNull(fault);
            Assert.Equal(SoapFaultCode.Sender, fault.Code);
        }
    }
}
