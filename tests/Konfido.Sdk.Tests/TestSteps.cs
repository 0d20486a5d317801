using System.Net;
using Konfido.Exchange;
using Konfido.Node;
using Konfido.Records;

namespace Konfido.Sdk.Tests;

/// <summary>Steps other parties take in the tests (a Spanish doctor, the ledgers' publication).</summary>
internal static class TestSteps
{
    /// <summary>The Spanish doctor retrieves the summary of Danish patient <paramref name="patient"/>; returns the status.</summary>
    public static async Task<HttpStatusCode> RetrieveFromSpainAsync(SdkFederation federation, int patient)
    {
        using var doctor = await federation.Federation.LoginAsync("ES", DemoProfessionals.SpanishDoctor);
        var token = FederationProtocol.JoinToken(DanishCpr.System, SdkFederation.Patient(patient));
        using var response = await doctor.GetAsync($"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(token)}");
        return response.StatusCode;
    }

    /// <summary>The patient consents (through the SDK), the Spanish doctor reads their summary, every ledger publishes.</summary>
    public static async Task AccessPatientFromSpainAsync(SdkFederation federation, int patient)
    {
        using var client = federation.Client();
        var patientClient = client.Patient(await client.LoginWithTestEidasAsync(SdkFederation.PatientPerson(patient)));
        await patientClient.GrantConsentAsync(new ConsentRequest("permit", ["TREATMENT"], ["ES"]));
        Assert.Equal(HttpStatusCode.OK, await RetrieveFromSpainAsync(federation, patient));
        await PublishAsync(federation);
    }

    public static async Task PublishAsync(SdkFederation federation)
    {
        foreach (var node in federation.Federation.Nodes.Values)
        {
            var published = await node.Components.Ledger!.Publisher!.PublishAsync();
            Assert.True(published.Published, string.Join("; ", published.Refusals));
        }
    }
}
