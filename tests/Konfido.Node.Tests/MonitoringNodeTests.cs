using System.Net;
using System.Text;
using Konfido.Core;
using Konfido.Eid.Saml;
using Task = System.Threading.Tasks.Task;

namespace Konfido.Node.Tests;

/// <summary>The node's SIEM on its own event path: bundled rules detect attacks on the node, alerts go to the ledger.</summary>
public sealed class MonitoringNodeTests
{
    [Fact]
    public async Task Forged_logins_for_one_account_raise_a_brute_force_alert_that_is_appended_to_the_ledger()
    {
        await using var federation = await TestFederation.StartAsync(["ES"]);
        var node = federation["ES"];
        var victim = await ForgeLoginsAsync(federation, node);

        await node.Siem!.FlushAsync();
        var alert = Assert.Single(await node.Siem.AlertsAsync(), a => a.Title.StartsWith("Brute-force", StringComparison.Ordinal));
        Assert.Equal(victim.PersonIdentifier, alert.Group["user.name"]);
        Assert.All(federation.Events.Events.Where(e => e.Action == "eid-login"), e => Assert.Equal("false", e.Attributes["actor.verified"]));
        var log = node.Components.Ledger!.Log;
        var entries = new List<string>();
        for (long i = 0; i < log.Head.Size; i++)
        {
            entries.Add(Encoding.UTF8.GetString(await log.ReadEntryAsync(i)));
        }

        Assert.Contains(entries, e => e.Contains("\"category\":\"siem\"", StringComparison.Ordinal) && e.Contains(alert.Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_alert_is_shared_with_the_other_countries_and_a_peer_cannot_share_in_anothers_name()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES", "IT"]);
        var node = federation["ES"];
        await ForgeLoginsAsync(federation, node);

        await node.Siem!.FlushAsync();
        var raised = Assert.Single(await node.Siem.AlertsAsync(), a => a.Title.StartsWith("Brute-force", StringComparison.Ordinal));
        foreach (var country in new[] { "DK", "IT" })
        {
            var received = Assert.Single(await federation[country].Siem!.AlertsAsync(), a => a.RuleId == raised.RuleId);
            Assert.Equal("ES", received.Node);
        }

        // ES delivering an alert that claims to come from IT is refused by DK.
        var spoofed = Konfido.Siem.Alerts.SharedAlert.FromAlert(raised) with { Origin = "IT" };
        using var client = ExchangeNodeTests.FederationApiClient(federation["DK"], node.Components.Credentials.TlsCertificate);
        using var content = new ByteArrayContent(spoofed.ToJsonBytes());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var refused = await client.PostAsync("siem/alerts", content);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.DoesNotContain(await federation["DK"].Siem!.AlertsAsync(), a => a.Node == "IT");
    }

    [Fact]
    public async Task An_alert_for_a_peer_that_is_down_waits_in_the_durable_outbox_and_reaches_it_when_it_is_back()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"], notStarted: ["DK"]);
        var node = federation["ES"];
        await ForgeLoginsAsync(federation, node);

        await node.Siem!.FlushAsync(); // DK does not answer: the delivery fails and stays queued
        var raised = Assert.Single(await node.Siem.AlertsAsync(), a => a.Title.StartsWith("Brute-force", StringComparison.Ordinal));
        Assert.True(node.Siem.SharingFailures > 0);
        var own = (await node.Siem.AlertsAsync()).Where(a => a.ReceivedFrom is null).ToArray();
        Assert.Equal(own.Length, node.Siem.SharingPending); // one row per alert for the one peer

        await federation["DK"].StartAsync();
        for (var i = 0; i < 600 && node.Siem.SharingPending > 0; i++)
        {
            await Task.Delay(100); // the outbox retries with backoff (at most a minute apart)
        }

        Assert.Equal(0, node.Siem.SharingPending);
        var received = await federation["DK"].Siem!.AlertsAsync();
        Assert.Equal("ES", Assert.Single(received, a => a.RuleId == raised.RuleId).ReceivedFrom);
        Assert.All(own, a => Assert.Contains(received, r => r.RuleId == a.RuleId && r.ReceivedFrom == "ES"));
    }

    [Fact]
    public async Task A_mass_lookup_opens_a_breach_case_with_its_72_hour_clock_and_the_subjects_from_the_ledger()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var doctor = await federation.ClientAsync("ES");
        for (var i = 0; i < 20; i++)
        {
            using var response = await doctor.GetAsync($"api/DK/Patient?identifier=0101{i:D2}-0000");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await federation["ES"].Siem!.FlushAsync();
        await federation["DK"].Siem!.FlushAsync();
        var alert = Assert.Single(await federation["ES"].Siem!.AlertsAsync(), a => a.Title.Contains("many patients", StringComparison.Ordinal) && a.ReceivedFrom is null);
        var breach = Assert.Single(await federation["ES"].Policy!.Breaches!.OpenCasesAsync(), c => c.IncidentId == alert.Id);
        Assert.Equal(20, breach.AffectedSubjects.Count);
        Assert.All(breach.AffectedSubjects, s => Assert.StartsWith("hmac-sha256:", s, StringComparison.Ordinal)); // pseudonyms, as in the ledger
        Assert.Equal(breach.DetectedAt + TimeSpan.FromHours(72), breach.NotificationDeadline);
        Assert.Contains(DemoProfessionals.SpanishDoctor, breach.DraftNotification, StringComparison.Ordinal);
        // Denmark saw the lookups too (home side) and opens its own case; it never opens one for the alert Spain shared.
        Assert.DoesNotContain(await federation["DK"].Policy!.Breaches!.OpenCasesAsync(), c => c.IncidentId == alert.Id);
    }

    [Fact]
    public async Task Normal_use_raises_no_alert()
    {
        await using var federation = await TestFederation.StartAsync(["DK", "ES"]);
        using var doctor = await federation.ClientAsync("ES");
        using var response = await doctor.GetAsync($"api/DK/Patient/$summary?identifier={ScriptedBackend.PatientId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        foreach (var country in new[] { "DK", "ES" })
        {
            await federation[country].Siem!.Node.DrainAsync();
            Assert.DoesNotContain(await federation[country].Siem!.AlertsAsync(), a => a.Severity >= Konfido.Siem.Sigma.SigmaLevel.Medium);
        }
    }

    /// <summary>Posts five eIDAS responses for the ES doctor signed by a key nobody trusts; each must be refused.</summary>
    private static async Task<EidasPerson> ForgeLoginsAsync(TestFederation federation, KonfidoNode node)
    {
        using var attacker = federation.AnonymousClient("ES");
        var forger = TestEidasIdentityProvider.CreateEphemeral(CountryCode.Parse("ES"));
        var victim = DemoProfessionals.For("ES")[0].Person;
        for (var i = 0; i < 5; i++)
        {
            var request = node.Eid!.ServiceProvider.CreateAuthnRequest(node.Eid.IdpSsoUrl);
            using var form = new FormUrlEncodedContent([new("SAMLResponse", TestEidasIdentityProvider.ToBase64(forger.Respond(request, victim, node.Eid.ServiceProvider.EncryptionCertificate)))]);
            using var response = await attacker.PostAsync("saml/acs", form);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        return victim;
    }
}
