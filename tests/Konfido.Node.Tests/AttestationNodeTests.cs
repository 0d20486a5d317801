using System.Net;
using Hl7.Fhir.Model;
using Konfido.Core;
using Konfido.Custody;
using Konfido.Custody.Attestation;
using Konfido.Exchange;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Node.Tests;

/// <summary>Peers attest each other (a custody quote of build and configuration) before exchanging data.</summary>
public sealed class AttestationNodeTests
{
    [Fact]
    public async Task A_node_whose_measurement_is_not_the_expected_one_gets_no_request_and_the_refusal_is_a_security_event()
    {
        // Denmark runs something else: its custody quotes another measurement with its enrolled key.
        await using var federation = await TestFederation.StartAsync(["DK", "ES"], configure: (c, directory) => c.Country == "DK" ? Tampered(c, directory) : c);
        using var doctor = await federation.ClientAsync("ES");

        using var response = await doctor.GetAsync($"api/DK/Patient/$summary?identifier={ScriptedBackend.PatientId}");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var outcome = FhirJson.Parse<OperationOutcome>(await response.Content.ReadAsByteArrayAsync());
        Assert.Contains("failed attestation", outcome.Issue[0].Diagnostics);
        Assert.Equal(0, federation.Backends["DK"].SummaryReads);
        Assert.Contains(federation.Events.Events, e => e.Node == "ES" && e.Action == AttestationVerifier.EventAction && e.Outcome == EventOutcome.Failure);
    }

    [Fact]
    public async Task Attested_peers_exchange_and_the_quote_endpoint_refuses_bad_nonces()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var doctor = await federation.ClientAsync("ES");
        using var response = await doctor.GetAsync($"api/DK/Patient/$summary?identifier={ScriptedBackend.PatientId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(federation.Events.Events, e => e.Node == "ES" && e.Action == AttestationVerifier.EventAction && e.Outcome == EventOutcome.Success);

        using var client = ExchangeNodeTests.FederationApiClient(federation["DK"], federation["ES"].Components.Credentials.TlsCertificate);
        using var bad = await client.GetAsync("attestation?nonce=abc");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task The_payload_signing_key_is_generated_and_used_inside_custody_and_never_written_out()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        Assert.Empty(Directory.EnumerateFiles(federation.Federation.Layout.Directory, "??-signing.pem", SearchOption.AllDirectories));
        var dk = federation["DK"].Components;
        Assert.IsType<CustodyECDsa>(dk.Credentials.SigningKey);
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() => dk.Credentials.SigningKey.ExportParameters(includePrivateParameters: true));

        using var doctor = await federation.ClientAsync("ES");
        using var response = await doctor.GetAsync($"api/DK/Patient/$summary?identifier={ScriptedBackend.PatientId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // DK's custody-held key signed it; ES verified it against the trust list
    }

    private static NodeComponents Tampered(NodeComponents components, string federationDirectory)
    {
        // The node's own custody folder: the same attestation key as enrolled in the trust list, another measurement.
        // (The original custody stays open: it holds the node's signing key, which its credentials use.)
        return components with
        {
            Custody = KeyCustody.OpenSoftware(new SoftwareCustodyOptions
            {
                Directory = Path.Combine(federationDirectory, "dk", "custody"),
                Measurement = NodeMeasurement.FromDigest(new byte[NodeMeasurement.Size], "tampered build"),
            }),
        };
    }
}
