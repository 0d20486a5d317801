using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Konfido.Custody;
using Konfido.Exchange;
using Microsoft.Extensions.Logging;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Node.Tests;

/// <summary>
/// Issue 10's transformation boundary in the node: clinical answers are sealed end to end for the requesting
/// node's custody, opened, checked and re-sealed only inside its boundary, and never reach its storage or logs.
/// </summary>
public sealed class SealedExchangeNodeTests
{
    private static readonly string Summary = $"api/DK/Patient/$summary?identifier={ScriptedBackend.PatientId}";

    [Fact]
    public async Task A_doctor_who_brings_a_key_gets_the_summary_sealed_for_that_key_and_signed_by_the_home_country_inside()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var doctor = await federation.ClientAsync("ES");
        using var doctorKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var response = await GetSummaryWithKeyAsync(doctor, doctorKey);
        var envelope = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(PayloadEnvelope.MediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("DK", response.Headers.GetValues(LocalApi.SignerHeader).Single());
        Assert.DoesNotContain("Jensen", envelope, StringComparison.Ordinal);
        var dk = federation["ES"].Components.TrustList().Find("DK")!;
        var (payload, signature) = SealedPayloads.OpenForClient(envelope, doctorKey, dk);
        var bundle = FhirJson.Parse<Bundle>(payload);
        Assert.Equal("Jensen", bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single().Name[0].Family);
        using (var dkKey = dk.ImportSigningKey())
        {
            Assert.True(DetachedJws.Verify(signature, payload, dkKey).IsValid); // end to end: the home country's signature over what the doctor reads
        }

        using var otherKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(HttpStatusCode.BadGateway, Assert.Throws<ExchangeException>(() => SealedPayloads.OpenForClient(envelope, otherKey, dk)).Status);
        using var malformed = new HttpRequestMessage(HttpMethod.Get, Summary);
        malformed.Headers.Add(SealedPayloads.RecipientKeyHeader, "not-a-key");
        using var refused = await doctor.SendAsync(malformed);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    [Fact]
    public async Task A_doctors_key_is_honoured_even_when_the_home_node_does_not_seal_for_the_requesting_node()
    {
        // A trust list that lists no payload key for ES (an older list): DK answers in clear over mutual TLS, and ES seals for the doctor.
        static TrustList WithoutEsPayloadKey(TrustList list) => list with { Members = [.. list.Members.Select(m => m.Country == "ES" ? m with { PayloadKey = null } : m)] };
        await using var federation = await TestFederation.StartAsync(["DK", "ES"], configure: (c, _) =>
        {
            var list = WithoutEsPayloadKey(c.TrustList());
            return c with { TrustList = () => list };
        });
        using var doctor = await federation.ClientAsync("ES");
        using var doctorKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var response = await GetSummaryWithKeyAsync(doctor, doctorKey);
        var envelope = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(PayloadEnvelope.MediaType, response.Content.Headers.ContentType?.MediaType);
        var (payload, _) = SealedPayloads.OpenForClient(envelope, doctorKey, federation["ES"].Components.TrustList().Find("DK")!);
        Assert.Equal("Jensen", FhirJson.Parse<Bundle>(payload).Entry.Select(e => e.Resource).OfType<Patient>().Single().Name[0].Family);
    }

    [Fact]
    public async Task The_home_node_seals_its_answer_for_the_requesting_node_so_a_node_without_its_payload_key_serves_nothing_of_it()
    {
        // ES is listed with a payload key but runs without it: DK seals for that key all the same, and ES cannot open it.
        await using var blind = await TestFederation.StartAsync(["DK", "ES"], configure: (c, _) => c.Country == "ES" ? c with { PayloadKey = null } : c);
        using var doctor = await blind.ClientAsync("ES");

        using var response = await doctor.GetAsync(Summary);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("sealed its answer", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Jensen", body, StringComparison.Ordinal);
        Assert.Equal(1, blind.Backends["DK"].SummaryReads); // DK did answer: what crossed was sealed
    }

    [Fact]
    public async Task Without_a_client_key_the_summary_comes_out_of_the_boundary_with_the_home_signature_and_nothing_clinical_is_stored_or_logged()
    {
        var log = new CapturedLog();
        await using var federation = await TestFederation.StartAsync(["DK", "ES"], logging: b => b.AddProvider(log).SetMinimumLevel(LogLevel.Trace));
        using (var doctor = await federation.ClientAsync("ES"))
        {
            using var response = await doctor.GetAsync(Summary);
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(FhirJson.MediaType, response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Jensen", Encoding.UTF8.GetString(body), StringComparison.Ordinal);
            using var dkKey = federation["ES"].Components.TrustList().Find("DK")!.ImportSigningKey();
            Assert.True(DetachedJws.Verify(response.Headers.GetValues(FederationProtocol.SignatureHeader).Single(), body, dkKey).IsValid);

            using var prescriptions = await doctor.GetAsync($"api/DK/MedicationRequest?patient.identifier={ScriptedBackend.PatientId}");
            Assert.Equal(HttpStatusCode.OK, prescriptions.StatusCode);
            Assert.Contains("salmeterol", await prescriptions.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Contains(federation.Events.Events, e => e.Action == "ips-retrieve" && e.Node == "ES" && e.Outcome == Core.EventOutcome.Success);
        foreach (var node in new[] { "DK", "ES" })
        {
            await federation[node].StopAsync();
        }

        Assert.NotEmpty(log.Text);
        var haystacks = Directory.EnumerateFiles(federation.Layout.Directory, "*", SearchOption.AllDirectories)
            .Select(f => (f, File.ReadAllBytes(f))).Append(("log", Encoding.UTF8.GetBytes(log.Text)));
        foreach (var (where, bytes) in haystacks)
        {
            foreach (var clinical in new[] { "Jensen", "salmeterol", "R03AK06" })
            {
                Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(clinical)) >= 0, $"'{clinical}' appears in {where}");
            }
        }
    }

    [Fact]
    public async Task An_edispensation_crosses_sealed_for_the_home_node_so_a_home_node_without_its_payload_key_cannot_read_it()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "IT"], configure: (c, _) => c.Country == "DK" ? c with { PayloadKey = null } : c);
        using var pharmacist = await federation.ClientAsync("IT");
        var dispense = FhirJson.Serialize(new MedicationDispense
        {
            Status = MedicationDispense.MedicationDispenseStatusCodes.Completed,
            Medication = new CodeableConcept("http://www.whocc.no/atc", "R03AK06"),
            Subject = new ResourceReference { Identifier = new Identifier("urn:oid:1.2.208.176.1.2", ScriptedBackend.PatientId) },
            AuthorizingPrescription = [new ResourceReference($"MedicationRequest/{ScriptedBackend.PrescriptionId}")],
        });
        using var content = new ByteArrayContent(dispense);
        content.Headers.ContentType = new MediaTypeHeaderValue(FhirJson.MediaType);

        using var response = await pharmacist.PostAsync("api/DK/MedicationDispense", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("cannot open sealed requests", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var prescriptions = await pharmacist.GetAsync($"api/DK/MedicationRequest?patient.identifier={ScriptedBackend.PatientId}");
        Assert.Contains("\"active\"", await prescriptions.Content.ReadAsStringAsync(), StringComparison.Ordinal); // nothing was dispensed
    }

    /// <summary>GETs the test patient's summary as a doctor whose client brings <paramref name="key"/>.</summary>
    private static async Task<HttpResponseMessage> GetSummaryWithKeyAsync(HttpClient doctor, ECDiffieHellman key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Summary);
        request.Headers.Add(SealedPayloads.RecipientKeyHeader, SealedPayloads.ClientKeyHeaderValue(key));
        return await doctor.SendAsync(request);
    }
}
