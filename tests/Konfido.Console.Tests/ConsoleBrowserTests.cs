using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Konfido.Exchange;
using Konfido.Node;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Konfido.Console.Tests;

/// <summary>
/// End to end, in headless Chromium against the running demo federation: log in with the node's
/// eIDAS flow, click through the console's pages and check what they show against the nodes' state.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class ConsoleBrowserTests(ConsoleDemo demo)
{
    [Fact]
    public async Task Operator_logs_in_with_eid_and_sees_the_federation_peers_and_certificate_expiry()
    {
        var page = await demo.LoginAsync("DK", DemoProfessionals.Operator("DK"));
        await Expect(page.Locator("#who-role")).ToHaveTextAsync("operator");
        await Expect(page.Locator("#node-country")).ToHaveTextAsync("DK");
        var members = page.Locator("#members tbody tr");
        await Expect(members).ToHaveCountAsync(3);
        foreach (var peer in new[] { "ES", "IT" })
        {
            var row = page.Locator($"#members tr[data-country={peer}]");
            await Expect(row.Locator(".badge").First).ToHaveTextAsync("up");
            // Days left on the peer's TLS certificate, as the node's probe read it from the handshake.
            var expected = (demo.Federation[peer].Components.Credentials.TlsCertificate.NotAfter.ToUniversalTime() - DateTime.UtcNow).TotalDays;
            var shown = double.Parse(await row.Locator("td.expiry").First.GetAttributeAsync("data-days") ?? "nan", CultureInfo.InvariantCulture);
            Assert.InRange(shown, expected - 0.2, expected + 0.2);
            // That certificate is short-lived: what the operator watches is its custody-held issuer's expiry, from the trust list.
            var member = demo.Federation["DK"].Components.TrustList().Find(peer)!;
            using var issuer = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(Convert.FromBase64String(member.TlsIssuer!));
            var issuerDays = double.Parse(await row.Locator("td.expiry").First.GetAttributeAsync("data-issuer-days") ?? "nan", CultureInfo.InvariantCulture);
            Assert.InRange(issuerDays, (issuer.NotAfter.ToUniversalTime() - DateTime.UtcNow).TotalDays - 0.2, (issuer.NotAfter.ToUniversalTime() - DateTime.UtcNow).TotalDays + 0.2);
            await Expect(row.Locator("td.expiry").First).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bok\b"));
            await Expect(row.Locator("td.expiry .issuer")).ToContainTextAsync("short-lived");
            await Expect(row.Locator(".badge", new() { HasText = "sealed" })).ToHaveCountAsync(1); // its payload key is listed: answers to it are sealed
        }

        await Expect(page.Locator("#members tr[data-country=DK] .badge").First).ToHaveTextAsync("this node");
        await demo.ScreenshotAsync(page, "1-federation");
        demo.AssertNoPageErrors(page);
    }

    [Fact]
    public async Task Node_health_page_shows_the_start_on_the_ledger_and_the_peers_the_node_probes_as_working()
    {
        var page = await demo.LoginAsync("DK", DemoProfessionals.Auditor("DK"));
        await page.ClickAsync("#tabs a[data-tab=health]");
        var start = page.Locator("#health-events tr[data-action=node-start]");
        await Expect(start).ToHaveCountAsync(1);
        await Expect(start.Locator(".headline")).ToContainTextAsync("DK started at");
        await Expect(start).ToHaveAttributeAsync("data-outcome", "success");
        foreach (var peer in new[] { "ES", "IT" })
        {
            await Expect(page.Locator($"#conditions [data-subject='peer/{peer}']")).ToHaveAttributeAsync("data-healthy", "true");
        }

        // The same event is on DK's audit ledger.
        var id = await start.GetAttributeAsync("data-id");
        var ledger = demo.Federation["DK"].Components.Ledger!;
        var found = false;
        for (long i = 0; i < ledger.Log.Head.Size && !found; i++)
        {
            found = System.Text.Encoding.UTF8.GetString(await ledger.Log.ReadEntryAsync(i)).Contains($"\"id\":\"{id}\"", StringComparison.Ordinal);
        }

        Assert.True(found, $"node-start {id} is not on DK's ledger");
        await demo.ScreenshotAsync(page, "9-health");
        demo.AssertNoPageErrors(page);
    }

    [Fact]
    public async Task Exchanges_page_streams_a_new_retrieval_live_and_charts_events_per_minute()
    {
        var page = await demo.LoginAsync("DK", DemoProfessionals.Auditor("DK"));
        await page.ClickAsync("#tabs a[data-tab=exchanges]");
        await Expect(page.Locator("#live-status")).ToHaveTextAsync("live");
        await Expect(page.Locator("#live-events tr[data-category=exchange]").First).ToBeVisibleAsync();
        var before = await page.Locator("#live-events tr[data-action=ips-retrieve]").CountAsync();

        // A new retrieval while the page is open arrives over the event stream, without a reload.
        using (var doctor = await demo.Federation.LoginAsync("ES", DemoProfessionals.SpanishDoctor))
        {
            using var summary = await doctor.GetAsync($"api/DK/Patient/$summary?identifier={Uri.EscapeDataString(FederationProtocol.JoinToken(Konfido.Records.DanishCpr.System, ConsoleDemo.Patient))}");
            Assert.True(summary.IsSuccessStatusCode);
        }

        await Expect(page.Locator("#live-events tr[data-action=ips-retrieve]")).ToHaveCountAsync(before + 1);
        var newest = page.Locator("#live-events tr").First;
        await Expect(newest).ToContainTextAsync("ips-retrieve");
        await Expect(newest).ToContainTextAsync(DemoProfessionals.SpanishDoctor);
        // Patients appear by their federation pseudonym only.
        await Expect(newest).ToContainTextAsync("hmac-sha256:");
        await Expect(page.Locator("#live-table")).Not.ToContainTextAsync(ConsoleDemo.Patient);

        // The chart's columns add up to the events the node saw in the last 30 minutes.
        await Expect(page.Locator("#events-per-minute svg g.column").First).ToBeAttachedAsync();
        var totals = await page.Locator("#events-per-minute svg g.column").EvaluateAllAsync<int[]>("nodes => nodes.map(n => Number(n.dataset.total))");
        Assert.Equal(30, totals.Length);
        Assert.True(totals.Sum() >= before + 1, $"the chart shows {totals.Sum()} events");
        await page.SelectOptionAsync("#event-filter", "");
        await Expect(page.Locator("#live-events tr[data-category=identity]").First).ToBeVisibleAsync();
        await demo.ScreenshotAsync(page, "2-exchanges");
        demo.AssertNoPageErrors(page);
    }

    [Fact]
    public async Task Alerts_page_shows_the_attacks_with_evidence_and_the_operator_acknowledges_one()
    {
        var page = await demo.LoginAsync("ES", DemoProfessionals.Operator("ES"));
        await page.ClickAsync("#tabs a[data-tab=alerts]");
        var massLookup = page.Locator($"tr[data-alert='{demo.MassLookupAlert}']");
        await Expect(massLookup).ToContainTextAsync("many patients");
        await Expect(page.Locator($"tr[data-alert='{demo.BruteForceAlert}']")).ToContainTextAsync("Brute-force");

        // The alerts-by-rule chart has one bar per rule that fired, with the alert counts.
        var alerts = await demo.Federation["ES"].Siem!.AlertsAsync();
        var bars = page.Locator("#alerts-by-rule g.bar-row");
        await Expect(bars).ToHaveCountAsync(alerts.Select(a => a.RuleId).Distinct().Count());
        var total = await bars.EvaluateAllAsync<int[]>("nodes => nodes.map(n => Number(n.dataset.value))");
        Assert.Equal(alerts.Count, total.Sum());

        // The evidence: the events of the mass lookup, resolved from the node's event path.
        await massLookup.ClickAsync();
        var evidence = page.Locator($"#evidence-{demo.MassLookupAlert}");
        await Expect(evidence).ToContainTextAsync("Evidence:");
        await Expect(evidence.Locator("tr[data-action=patient-discovery]").First).ToBeVisibleAsync();
        await Expect(evidence).ToContainTextAsync(DemoProfessionals.SpanishDoctor);
        await demo.ScreenshotAsync(page, "3-alerts");

        page.Dialog += (_, dialog) => dialog.AcceptAsync("session revoked, DPO informed");
        await massLookup.Locator("button[data-ack]").ClickAsync();
        await Expect(massLookup.Locator(".acked")).ToContainTextAsync("acknowledged");
        await Expect(massLookup.Locator(".acked")).ToContainTextAsync("Olga Operator");

        // Kept by the node, and on the audit trail.
        using var api = await ApiAsync("ES", DemoProfessionals.Auditor("ES"));
        using var detail = JsonDocument.Parse(await api.GetStringAsync($"console/api/alerts/{demo.MassLookupAlert}"));
        var acknowledged = detail.RootElement.GetProperty("alert").GetProperty("acknowledged");
        Assert.Equal(DemoProfessionals.Operator("ES"), acknowledged.GetProperty("by").GetString());
        Assert.Equal("session revoked, DPO informed", acknowledged.GetProperty("note").GetString());
        Assert.Contains(demo.Federation["ES"].WebConsole.Activity.Since(0, ConsoleActivity.Capacity),
            e => e.Event.Action == "alert-acknowledge" && e.Event.Actor == DemoProfessionals.Operator("ES") && e.Event.Attributes["alert.id"] == demo.MassLookupAlert);
        demo.AssertNoPageErrors(page);
    }

    [Fact]
    public async Task An_auditor_reads_alerts_but_is_refused_when_acknowledging()
    {
        var page = await demo.LoginAsync("ES", DemoProfessionals.Auditor("ES"));
        await Expect(page.Locator("#who-role")).ToHaveTextAsync("auditor");
        await page.ClickAsync("#tabs a[data-tab=alerts]");
        var bruteForce = page.Locator($"tr[data-alert='{demo.BruteForceAlert}']");
        await Expect(bruteForce).ToContainTextAsync("Brute-force");
        // The page offers no action to an auditor ...
        await Expect(bruteForce.Locator("button[data-ack]")).ToHaveCountAsync(0);
        await Expect(bruteForce.Locator("button[disabled]")).ToContainTextAsync("operators");
        // ... and the node refuses one all the same, with the auditor's own session.
        var answer = await page.EvaluateAsync<JsonElement>(
            """async id => { const r = await fetch(`/console/api/alerts/${id}/acknowledge`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }); return { status: r.status, text: await r.text() }; }""",
            demo.BruteForceAlert);
        Assert.Equal(403, answer.GetProperty("status").GetInt32());
        Assert.Contains("read-only", answer.GetProperty("text").GetString(), StringComparison.Ordinal);
        using var api = await ApiAsync("ES", DemoProfessionals.Auditor("ES"));
        using var detail = JsonDocument.Parse(await api.GetStringAsync($"console/api/alerts/{demo.BruteForceAlert}"));
        Assert.Equal(JsonValueKind.Null, detail.RootElement.GetProperty("alert").GetProperty("acknowledged").ValueKind);
        Assert.Contains(demo.Federation["ES"].WebConsole.Activity.Since(0, ConsoleActivity.Capacity),
            e => e.Event.Action == "console-action-refused" && e.Event.Actor == DemoProfessionals.Auditor("ES"));

        // The Content-Security-Policy holds in the browser: an injected inline script does not run.
        var ran = await page.EvaluateAsync<bool>(
            "async () => { const s = document.createElement('script'); s.textContent = 'window.injected = true'; document.body.append(s); await new Promise(r => setTimeout(r, 100)); return window.injected === true; }");
        Assert.False(ran);
    }

    [Fact]
    public async Task Breaches_page_counts_down_the_72_hours_of_the_mass_lookup_case()
    {
        var page = await demo.LoginAsync("ES", DemoProfessionals.Auditor("ES"));
        await page.ClickAsync("#tabs a[data-tab=breaches]");
        var cases = await demo.Federation["ES"].Policy!.Breaches!.OpenCasesAsync();
        var breach = Assert.Single(cases, c => c.IncidentId == demo.MassLookupAlert);
        var card = page.Locator($"[data-breach='{breach.Id}']");
        await Expect(card).ToContainTextAsync("Confidentiality breach");
        await Expect(card.Locator(".clock")).ToHaveTextAsync(ClockPattern());
        var first = int.Parse(await card.Locator(".clock").GetAttributeAsync("data-seconds") ?? "-1", CultureInfo.InvariantCulture);
        var expected = (breach.NotificationDeadline - DateTimeOffset.UtcNow).TotalSeconds;
        Assert.InRange(first, expected - 30, expected + 5);
        Assert.InRange(first, 71 * 3600, 72 * 3600);
        // The clock runs down without a reload.
        await Expect(card.Locator(".clock")).Not.ToHaveAttributeAsync("data-seconds", first.ToString(CultureInfo.InvariantCulture), new() { Timeout = 5000 });
        var later = int.Parse(await card.Locator(".clock").GetAttributeAsync("data-seconds") ?? "-1", CultureInfo.InvariantCulture);
        Assert.True(later < first, $"the clock went from {first} to {later}");
        await Expect(page.Locator("#count-breaches")).ToHaveTextAsync(cases.Count.ToString(CultureInfo.InvariantCulture));
        await demo.ScreenshotAsync(page, "8-breaches");
        demo.AssertNoPageErrors(page);
    }

    [Fact]
    public async Task The_operator_records_a_breach_notification_within_the_72_hours()
    {
        // Denmark's own mass-lookup alert (the home side of the same lookups) opened a case at DK.
        var workflow = demo.Federation["DK"].Policy!.Breaches!;
        var breach = Assert.Single(await workflow.OpenCasesAsync());
        var page = await demo.LoginAsync("DK", DemoProfessionals.Operator("DK"));
        await page.ClickAsync("#tabs a[data-tab=breaches]");
        var card = page.Locator($"[data-breach='{breach.Id}']");
        await Expect(card.Locator(".clock")).ToHaveTextAsync(ClockPattern());
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await card.Locator("button", new() { HasText = "Record notification sent" }).ClickAsync();
        await Expect(page.Locator("main .empty")).ToContainTextAsync("No open breach case");
        Assert.Empty(await workflow.OpenCasesAsync());
        Assert.Contains(demo.Federation["DK"].WebConsole.Activity.Since(0, ConsoleActivity.Capacity),
            e => e.Event.Action == "breach-notification-recorded" && e.Event.Actor == DemoProfessionals.Operator("DK") && e.Event.Attributes["breach.id"] == breach.Id);
        demo.AssertNoPageErrors(page);
    }

    [Fact]
    public async Task The_operator_decides_the_break_the_glass_review_in_the_queue()
    {
        var reviews = demo.Federation["DK"].Policy!.Reviews;
        var pending = Assert.Single(await reviews.PendingAsync());
        var page = await demo.LoginAsync("DK", DemoProfessionals.Operator("DK"));
        await page.ClickAsync("#tabs a[data-tab=reviews]");
        var row = page.Locator($"tr[data-review='{pending.Id}']");
        await Expect(row).ToHaveAttributeAsync("data-status", "pending");
        await Expect(row).ToContainTextAsync(DemoProfessionals.SpanishDoctor);
        await Expect(row).ToContainTextAsync("ES → DK");
        await Expect(row).Not.ToContainTextAsync(demo.UnconsciousPatient);
        await demo.ScreenshotAsync(page, "7-reviews");
        await row.Locator("input.note-input").FillAsync("unconscious patient in the ER, confirmed by the hospital");
        await row.Locator("button[data-verdict=justified]").ClickAsync();
        await Expect(row).ToHaveAttributeAsync("data-status", "reviewed");
        await Expect(row).ToContainTextAsync("justified");
        await Expect(row).ToContainTextAsync(DemoProfessionals.Operator("DK"));

        var decided = await reviews.GetAsync(pending.Id);
        Assert.Equal(Konfido.Policy.Decisions.ReviewStatus.Reviewed, decided!.Status);
        Assert.Equal(Konfido.Policy.Decisions.ReviewVerdict.Justified, decided.Verdict);
        Assert.Equal(DemoProfessionals.Operator("DK"), decided.Reviewer);
        Assert.Equal("unconscious patient in the ER, confirmed by the hospital", decided.Note);
        demo.AssertNoPageErrors(page);
    }

    [Fact]
    public async Task Ledger_page_shows_cosignatures_and_witness_state_and_a_proof_verifies_in_the_browser()
    {
        var page = await demo.LoginAsync("DK", DemoProfessionals.Auditor("DK"));
        await page.ClickAsync("#tabs a[data-tab=ledger]");
        var ledger = demo.Federation["DK"].Components.Ledger!;
        var latest = ledger.Publisher!.Latest!;
        await Expect(page.Locator("#cosigners li")).ToHaveCountAsync(latest.Quorum.Cosigners.Count + latest.Refusals.Count);
        await Expect(page.Locator("#cosigners")).ToContainTextAsync(NodeLedger.WitnessName("ES"));
        await Expect(page.Locator("#cosigners")).ToContainTextAsync(NodeLedger.WitnessName("IT"));
        // This node's witness has cosigned the other countries' logs.
        await Expect(page.Locator("#witness-table tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#witness-table")).ToContainTextAsync(NodeLedger.Origin("ES"));

        // The entry of the Spanish doctor's retrieval, proven against the cosigned checkpoint.
        Konfido.Ledger.Notes.Checkpoint.TryParse(latest.Checkpoint.Text, out var checkpoint, out _);
        long index = -1;
        for (var i = checkpoint!.Size - 1; i >= 0 && index < 0; i--)
        {
            if (System.Text.Encoding.UTF8.GetString(await ledger.Log.ReadEntryAsync(i)).Contains("ips-retrieve", StringComparison.Ordinal))
            {
                index = i;
            }
        }

        Assert.True(index >= 0);
        await page.FillAsync("#proof-index", index.ToString(CultureInfo.InvariantCulture));
        await page.ClickAsync("#proof-form button[type=submit]");
        await Expect(page.Locator("#proof-verdict")).ToHaveAttributeAsync("data-valid", "true");
        await Expect(page.Locator("#proof-browser")).ToHaveAttributeAsync("data-valid", "true");
        await Expect(page.Locator("#proof-server")).ToHaveAttributeAsync("data-valid", "true");
        await Expect(page.Locator("#proof-signatures")).ToHaveAttributeAsync("data-valid", "true");
        await Expect(page.Locator("#proof-signatures")).ToContainTextAsync(NodeLedger.WitnessName("IT"));
        await Expect(page.Locator("#proof-result pre.entry")).ToContainTextAsync("ips-retrieve");
        await demo.ScreenshotAsync(page, "4-ledger");

        // The browser's check can fail: a changed entry, or a proof for another index, does not verify.
        var tampered = await page.EvaluateAsync<JsonElement>(
            """
            async index => {
              const m = await import('/console/merkle.js');
              const p = await (await fetch(`/console/api/ledger/proof/${index}`)).json();
              const cp = m.parseCheckpoint(p.checkpoint);
              const entry = m.fromBase64(p.entryBase64);
              const proof = p.proof.map(m.fromBase64);
              const good = await m.verifyInclusion(p.index, cp.size, entry, proof, cp.root);
              const changed = entry.slice(); changed[changed.length - 2] ^= 1;
              const bad = await m.verifyInclusion(p.index, cp.size, changed, proof, cp.root);
              const moved = await m.verifyInclusion(p.index + 1, cp.size, entry, proof, cp.root);
              const n = await import('/console/notes.js');
              const signed = await n.verifyCheckpoint(p.checkpoint, p.keys.log, p.keys.witnesses, p.keys.threshold);
              // A checkpoint with another tree size keeps its signature lines, which no longer verify.
              const lines = p.checkpoint.split('\n');
              lines[1] = String(Number(lines[1]) + 1);
              const forged = await n.verifyCheckpoint(lines.join('\n'), p.keys.log, p.keys.witnesses, p.keys.threshold);
              // A key with the log's name and key ID but other key bytes verifies nothing.
              const [name, id, blob] = [p.keys.log.split('+')[0], p.keys.log.split('+')[1], m.fromBase64(p.keys.log.split('+').slice(2).join('+'))];
              blob[7] ^= 0x10;
              const wrongKeys = (await n.verifyCheckpoint(p.checkpoint, `${name}+${id}+${m.toBase64(blob)}`, p.keys.witnesses, p.keys.threshold)).logSigned;
              return { good: good.valid, bad: bad.valid, moved: moved.valid, signed: signed.logSigned && signed.quorum, cosigners: signed.cosigners.length,
                forgedLog: forged.logSigned, forgedCosigners: forged.cosigners.length, wrongKeys };
            }
            """, index);
        Assert.True(tampered.GetProperty("good").GetBoolean());
        Assert.False(tampered.GetProperty("bad").GetBoolean());
        Assert.False(tampered.GetProperty("moved").GetBoolean());
        Assert.True(tampered.GetProperty("signed").GetBoolean());
        Assert.Equal(latest.Quorum.Cosigners.Count, tampered.GetProperty("cosigners").GetInt32());
        Assert.False(tampered.GetProperty("forgedLog").GetBoolean());
        Assert.Equal(0, tampered.GetProperty("forgedCosigners").GetInt32());
        Assert.False(tampered.GetProperty("wrongKeys").GetBoolean());

        // An entry beyond the published checkpoint cannot be proven yet: said so, not faked.
        await page.FillAsync("#proof-index", (checkpoint.Size + 1000).ToString(CultureInfo.InvariantCulture));
        await page.ClickAsync("#proof-form button[type=submit]");
        await Expect(page.Locator("#proof-error")).ToContainTextAsync("not in the latest published checkpoint");
        demo.AssertNoPageErrors(page);
    }

    [Fact]
    public async Task Devices_and_analytics_pages_show_the_puf_device_and_the_he_jobs()
    {
        var page = await demo.LoginAsync("DK", DemoProfessionals.Auditor("DK"));
        await page.ClickAsync("#tabs a[data-tab=devices]");
        var device = page.Locator("#devices-table tr[data-device='glucose-meter-0001']");
        await Expect(device).ToBeVisibleAsync();
        await Expect(device).ToContainTextAsync("glucose-meter-0001");
        await demo.ScreenshotAsync(page, "5-devices");

        await page.ClickAsync("#tabs a[data-tab=analytics]");
        await Expect(page.Locator("#jobs-table tr[data-action=he-evaluate]").First).ToBeVisibleAsync();
        foreach (var program in demo.Federation["DK"].Analytics.Programs)
        {
            await Expect(page.Locator("main")).ToContainTextAsync(program);
        }

        await demo.ScreenshotAsync(page, "6-analytics");

        // A node with nothing to show says so (ES has no device and ran no HE job).
        var spain = await demo.LoginAsync("ES", DemoProfessionals.Auditor("ES"));
        await spain.ClickAsync("#tabs a[data-tab=devices]");
        await Expect(spain.Locator("main .empty")).ToContainTextAsync("No PUF device");
        demo.AssertNoPageErrors(page);
        demo.AssertNoPageErrors(spain);
    }

    [Fact]
    public async Task The_console_is_for_staff_only_on_the_local_listener_with_a_strict_content_security_policy()
    {
        var node = demo.Federation["DK"];
        using var anonymous = demo.Federation.LocalClient("DK");
        using (var page = await anonymous.GetAsync("console/"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var csp = string.Join(' ', page.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        }

        using (var me = await anonymous.GetAsync("console/api/me"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        }

        // A health professional (or a citizen) is not staff.
        using var doctor = await demo.Federation.LoginAsync("DK", DemoProfessionals.Identifier("DK", Konfido.Eid.CrossBorder.HcpRole.Doctor), "substantial");
        using (var refused = await doctor.GetAsync("console/api/alerts"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // Staff at a low level of assurance are refused too.
        using var lowOperator = await demo.Federation.LoginAsync("DK", DemoProfessionals.Operator("DK"), "low");
        using (var low = await lowOperator.GetAsync("console/api/me"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, low.StatusCode);
        }

        // ... and staff may not fetch patient data across the border.
        using var operatorClient = await ApiAsync("DK", DemoProfessionals.Operator("DK"));
        using (var patient = await operatorClient.GetAsync($"api/ES/Patient?identifier=x"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, patient.StatusCode);
        }

        // A console action needs a JSON body (no cross-site form can post one).
        using (var form = await operatorClient.PostAsync($"console/api/alerts/x/acknowledge", new FormUrlEncodedContent([new("note", "x")])))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        }

        // The federation listener (other countries' nodes) does not serve the console.
        Assert.NotEqual(node.LocalUri.Port, node.FederationUri.Port);
        using var federationClient = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new()
            {
                ClientCertificates = [demo.Federation["ES"].Components.Credentials.TlsCertificate],
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is System.Security.Cryptography.X509Certificates.X509Certificate2 presented
                    && node.Components.TrustList().Find("DK")!.AcceptsTlsCertificate(presented, DateTimeOffset.UtcNow),
            },
        }) { BaseAddress = node.FederationUri };
        using (var fromPeer = await federationClient.GetAsync("console/"))
        {
            Assert.Equal(HttpStatusCode.NotFound, fromPeer.StatusCode);
        }
    }

    /// <summary>An HTTP client logged in as <paramref name="person"/> at substantial.</summary>
    private Task<HttpClient> ApiAsync(string country, string person) => demo.Federation.LoginAsync(country, person, "substantial");

    [GeneratedRegex(@"^7[01]:[0-5]\d:[0-5]\d$")]
    private static partial Regex ClockPattern();
}
