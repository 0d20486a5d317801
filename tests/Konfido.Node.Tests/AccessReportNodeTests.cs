using System.Net;
using System.Text;
using Konfido.Policy.Gdpr;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Node.Tests;

/// <summary>GDPR Art. 15: the patient's access report from every country's ledger, verifiable offline.</summary>
public sealed class AccessReportNodeTests
{
    [Fact]
    public async Task The_patient_sees_every_access_from_every_ledger_with_proofs_that_verify_offline()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES", "IT"]);
        using (var doctor = await federation.ClientAsync("ES"))
        {
            using var response = await doctor.GetAsync($"api/DK/Patient/$summary?identifier={ScriptedBackend.PatientId}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        foreach (var country in new[] { "DK", "ES", "IT" })
        {
            var published = await federation[country].Components.Ledger!.Publisher!.PublishAsync();
            Assert.True(published.Published, string.Join("; ", published.Refusals));
        }

        using var patient = await federation.Federation.LoginAsync("DK", $"DK/DK/{ScriptedBackend.PatientId}");
        var json = await patient.GetStringAsync("patient/access-report");
        var report = AccessReport.FromJson(json)!;
        Assert.True(report.AllProofsVerified);
        Assert.Equal(3, report.Logs.Count);
        var entries = report.Countries.SelectMany(c => c.Entries).Select(e => e.Entry).ToArray();
        // The retrieval is in Denmark's ledger (home side) and Spain's (requesting side).
        Assert.Contains(entries, e => e.What == "ips-retrieve" && e.LogId == "konfido.ncp/DK" && e.Who == DemoProfessionals.SpanishDoctor && e.Role == "221" && e.Country == "ES");
        Assert.Contains(entries, e => e.What == "ips-retrieve" && e.LogId == "konfido.ncp/ES");
        var trustList = NodeLauncher.LoadTrustList(NodeSettings.Load(federation.Federation.Layout.ConfigFiles["DK"]));
        Assert.Empty(AccessReports.Verify(report, trustList));

        // A report whose entry was edited after the fact no longer verifies.
        var edited = report with
        {
            Countries = [.. report.Countries.Select(c => c with
            {
                Entries = [.. c.Entries.Select(e => e with { Entry = e.Entry with { Who = "someone-else" } })],
            })],
        };
        Assert.Equal(entries.Length, AccessReports.Verify(edited, trustList).Count);
    }

    [Fact]
    public async Task The_ledger_accesses_query_takes_only_pseudonyms()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var client = ExchangeNodeTests.FederationApiClient(federation["DK"], federation["ES"].Components.Credentials.TlsCertificate);
        using var clear = await client.GetAsync($"ledger/accesses?patient={ScriptedBackend.PatientId}");
        Assert.Equal(HttpStatusCode.BadRequest, clear.StatusCode);
        Assert.Contains("pseudonym", Encoding.UTF8.GetString(await clear.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task A_professional_cannot_read_a_patients_access_report()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var doctor = await federation.ClientAsync("DK");
        using var response = await doctor.GetAsync("patient/access-report");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
