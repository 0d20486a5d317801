using System.Text.Json;
using System.Text.Json.Nodes;
using Konfido.Node;
using Konfido.Siem.Alerts;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Konfido.Faults.Tests;

/// <summary>
/// Issue 11, faults: the three-node federation as real processes under continuous cross-border traffic,
/// while a node is killed, a peer is cut off, the PostgreSQL server restarts and the ledger's disk fills.
/// After each, no acknowledged exchange, audit entry or alert is lost, the ledgers stay consistent and cosigned,
/// and the node's web console (opened in Chromium, logged in through the node's eIDAS pages) shows what happened.
/// </summary>
public sealed class FaultTests(FaultConsole console) : IClassFixture<FaultConsole>
{
    private static readonly string DkOrigin = NodeLedger.Origin("DK");

    [Fact]
    public async Task A_home_node_killed_mid_traffic_and_restarted_loses_no_acknowledged_exchange_and_its_log_stays_cosigned()
    {
        await using var federation = await ProcessFederation.StartAsync();
        await federation.ConsentAsync();
        using var doctor = await federation.DoctorAsync();
        long sizeAtCrash, witnessedBeforeCrash;
        long acknowledged;
        HashSet<string> retrievedBeforeCrash;
        await using (var traffic = new Traffic(doctor))
        {
            await traffic.WaitForMoreAsync(30);
            await WaitUntilAsync(async () => await federation.WitnessedSizeAsync("ES", DkOrigin) > 0);
            await federation["DK"].KillAsync(); // SIGKILL, requests in flight
            var atCrash = await federation.LedgerEntriesAsync("DK"); // the log as the crash left it
            sizeAtCrash = atCrash.Count;
            retrievedBeforeCrash = [.. atCrash.Where(e => e.GetProperty("action").GetString() == "ips-retrieve").Select(e => e.GetProperty("id").GetString()!)];
            witnessedBeforeCrash = await federation.WitnessedSizeAsync("ES", DkOrigin);
            await federation["DK"].StartAsync();
            await traffic.WaitForMoreAsync(30);
            acknowledged = traffic.Acknowledged;
        }

        // The witnesses cosign the restarted log only with a valid consistency proof from what they cosigned before the crash.
        await WaitUntilAsync(async () => await federation.WitnessedSizeAsync("ES", DkOrigin) > sizeAtCrash && await federation.WitnessedSizeAsync("IT", DkOrigin) > sizeAtCrash);

        // DK's console: the unclean restart, the exchanges from before the crash, and a cosigned checkpoint covering the log the crash left.
        var page = await console.OpenAsync(federation["DK"], "health");
        await Expect(page.Locator("#health-events tr[data-action=node-start]")).ToHaveCountAsync(federation["DK"].Starts);
        var unclean = page.Locator("#health-events tr[data-action=node-start][data-outcome=failure]");
        await Expect(unclean).ToHaveCountAsync(federation["DK"].Starts - 1);
        await Expect(unclean.Locator(".headline")).ToContainTextAsync("DK restarted after an unclean stop at");
        await console.Browser.ScreenshotAsync(page, "fault-1-sigkill-health");
        await page.ClickAsync("#tabs a[data-tab=exchanges]");
        await Expect(page.Locator("#live-events tr.run-boundary")).ToContainTextAsync("DK restarted after an unclean stop");
        var earlier = page.Locator("#live-events tr.earlier-run[data-action=ips-retrieve]");
        await Expect(earlier.First).ToBeVisibleAsync();
        var shown = await earlier.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.id)");
        Assert.NotEmpty(shown);
        Assert.All(shown, id => Assert.Contains(id, retrievedBeforeCrash)); // each one an exchange the crashed run had audited
        await console.Browser.ScreenshotAsync(page, "fault-1-sigkill-exchanges");
        await page.ClickAsync("#tabs a[data-tab=ledger]");
        var published = page.Locator("#published-card");
        await Expect(published).ToHaveAttributeAsync("data-published", "true");
        Assert.True(long.Parse(await published.GetAttributeAsync("data-size") ?? "-1", System.Globalization.CultureInfo.InvariantCulture) >= sizeAtCrash);
        await Expect(page.Locator("#cosigners")).ToContainTextAsync(NodeLedger.WitnessName("ES"));
        await Expect(page.Locator("#cosigners")).ToContainTextAsync(NodeLedger.WitnessName("IT"));
        await console.Browser.ScreenshotAsync(page, "fault-1-sigkill-ledger");
        console.Browser.AssertNoPageErrors(page);
        await federation.StopAllAsync();

        Assert.True(witnessedBeforeCrash > 0);
        Assert.True(await federation.WitnessedSizeAsync("IT", DkOrigin) > sizeAtCrash);
        await AssertEveryAcknowledgedExchangeIsAuditedAsync(federation, acknowledged);
        Assert.Equal(2, federation["DK"].Starts);
    }

    [Fact]
    public async Task A_peer_cut_off_catches_up_on_the_checkpoints_it_missed_and_receives_every_alert_shared_meanwhile()
    {
        await using var federation = await ProcessFederation.StartAsync();
        await federation.ConsentAsync();
        using var doctor = await federation.DoctorAsync();
        long acknowledged, witnessedAtCut;
        DateTimeOffset cut, reconnected;
        await using (var traffic = new Traffic(doctor))
        {
            await traffic.WaitForMoreAsync(20);
            await WaitUntilAsync(async () => await federation.WitnessedSizeAsync("IT", DkOrigin) > 0);
            cut = DateTimeOffset.UtcNow;
            federation["IT"].Signal("STOP"); // IT's sockets stay open but nothing answers: a network cut, not a clean refusal
            witnessedAtCut = await federation.WitnessedSizeAsync("IT", DkOrigin);
            await traffic.WaitForMoreAsync(30); // DK keeps serving ES without IT
            await MassLookupAsync(doctor); // raises alerts at ES and DK that must reach IT
            await FaultConsole.WaitForConditionAsync(federation["DK"], "peer/IT", healthy: false); // the cut lasts until DK has noticed
            reconnected = DateTimeOffset.UtcNow;
            federation["IT"].Signal("CONT");
            await traffic.WaitForMoreAsync(20);
            acknowledged = traffic.Acknowledged;
        }

        await WaitUntilAsync(async () => await federation.WitnessedSizeAsync("IT", DkOrigin) >= witnessedAtCut + 50);
        await WaitUntilAsync(() => Task.FromResult(OutboxRows(federation, "ES") == 0 && OutboxRows(federation, "DK") == 0));

        // DK's console: IT unreachable during the cut, reachable again after it.
        var page = await console.OpenAsync(federation["DK"], "health");
        await Expect(page.Locator("#health-events tr[data-action=peer-reachable][data-peer=IT]").First).ToBeVisibleAsync();
        var (lost, back) = await FaultConsole.LostAndRestoredAsync(page, "peer-unreachable", "peer-reachable", cut);
        await Expect(lost).ToHaveAttributeAsync("data-peer", "IT");
        await Expect(lost.Locator(".headline")).ToContainTextAsync("IT unreachable since");
        await Expect(back).ToHaveAttributeAsync("data-peer", "IT");
        await Expect(back.Locator(".headline")).ToContainTextAsync("IT reachable again at");
        Assert.True(await FaultConsole.TimeOfAsync(back) >= reconnected);
        await Expect(page.Locator("#conditions [data-subject='peer/IT']")).ToHaveAttributeAsync("data-healthy", "true");
        await console.Browser.ScreenshotAsync(page, "fault-2-cut-health");
        console.Browser.AssertNoPageErrors(page);

        // IT's console: every alert ES and DK raised, shared with IT while it was cut off.
        var raisedBy = new Dictionary<string, Alert[]>(StringComparer.Ordinal);
        foreach (var origin in new[] { "ES", "DK" })
        {
            raisedBy[origin] = [.. (await AlertsAsync(federation, origin)).Where(a => a.ReceivedFrom is null)];
        }

        var italy = await console.OpenAsync(federation["IT"], "alerts");
        foreach (var (origin, raised) in raisedBy)
        {
            foreach (var rule in raised.Select(a => a.RuleId).Distinct())
            {
                await Expect(italy.Locator($"#alerts-table tr[data-rule='{rule}']", new() { HasText = $"raised by {origin}" }).First).ToBeVisibleAsync();
            }
        }

        await console.Browser.ScreenshotAsync(italy, "fault-2-cut-alerts-at-IT");
        console.Browser.AssertNoPageErrors(italy);
        await federation.StopAllAsync();

        await AssertEveryAcknowledgedExchangeIsAuditedAsync(federation, acknowledged);
        var atItaly = await AlertsAsync(federation, "IT");
        foreach (var origin in new[] { "ES", "DK" })
        {
            var raised = (await AlertsAsync(federation, origin)).Where(a => a.ReceivedFrom is null).ToArray();
            Assert.Contains(raised, a => a.Title.Contains("many patients", StringComparison.Ordinal));
            Assert.All(raised, a => Assert.Contains(atItaly, r => r.ReceivedFrom == origin && r.RuleId == a.RuleId));
        }
    }

    [Fact]
    public async Task A_restart_of_the_PostgreSQL_server_interrupts_the_home_node_only_while_it_is_down()
    {
        using var postgres = await PrivatePostgres.StartAsync();
        foreach (var country in new[] { "dk", "es", "it" })
        {
            await postgres.CreateDatabaseAsync($"konfido_{country}");
        }

        await using var federation = await ProcessFederation.StartAsync(postgres: cc => postgres.ConnectionString($"konfido_{cc.ToLowerInvariant()}"));
        await federation.ConsentAsync();
        using var doctor = await federation.DoctorAsync();
        long acknowledged;
        DateTimeOffset restarted;
        await using (var traffic = new Traffic(doctor))
        {
            await traffic.WaitForMoreAsync(30);
            restarted = DateTimeOffset.UtcNow;
            postgres.Restart();
            await traffic.WaitForMoreAsync(30); // the back end reconnects by itself
            acknowledged = traffic.Acknowledged;
        }

        Assert.True(federation["DK"].IsRunning);

        // DK's console: its database lost while the server restarted, and restored.
        var page = await console.OpenAsync(federation["DK"], "health");
        await Expect(page.Locator("#health-events tr[data-action=database-restored]").First).ToBeVisibleAsync();
        var (lost, back) = await FaultConsole.LostAndRestoredAsync(page, "database-unavailable", "database-restored", restarted);
        await Expect(lost.Locator(".headline")).ToContainTextAsync("National database unavailable since");
        await Expect(back.Locator(".headline")).ToContainTextAsync("National database restored at");
        await Expect(page.Locator("#conditions [data-subject=database]")).ToHaveAttributeAsync("data-healthy", "true");
        await console.Browser.ScreenshotAsync(page, "fault-3-postgres-health");
        console.Browser.AssertNoPageErrors(page);
        await federation.StopAllAsync();
        await AssertEveryAcknowledgedExchangeIsAuditedAsync(federation, acknowledged);
    }

    [Fact]
    public async Task A_full_ledger_disk_stops_the_home_node_from_serving_unaudited_data_and_it_recovers_when_space_is_freed()
    {
        var mount = Path.Combine(Path.GetTempPath(), $"konfido-ledger-disk-{Guid.NewGuid():N}");
        Directory.CreateDirectory(mount);
        Mount(mount, "size=24m");
        try
        {
            await using var federation = await ProcessFederation.StartAsync((country, json) =>
            {
                if (country == "DK")
                {
                    json["dataDirectory"] = mount; // the ledger (and DK's other stores) on a small disk of its own
                }
            });
            await federation.ConsentAsync();
            using var doctor = await federation.DoctorAsync();
            long acknowledged;
            Dictionary<string, long> answersWhileFull;
            DateTimeOffset filled;
            await using (var traffic = new Traffic(doctor))
            {
                await traffic.WaitForMoreAsync(20);
                var filler = Path.Combine(mount, "filler");
                filled = DateTimeOffset.UtcNow;
                Fill(filler);
                var answersBefore = new Dictionary<string, long>(traffic.Answers);
                await WaitUntilAsync(() => Task.FromResult(traffic.Answers.Any(a => a.Key.StartsWith('5') && a.Value > answersBefore.GetValueOrDefault(a.Key))));
                await Task.Delay(1000);
                answersWhileFull = traffic.Answers.ToDictionary(a => a.Key, a => a.Value - answersBefore.GetValueOrDefault(a.Key));
                File.Delete(filler);
                await traffic.WaitForMoreAsync(30); // space is back: the node serves again, without a restart
                acknowledged = traffic.Acknowledged;
            }

            Assert.True(federation["DK"].IsRunning);
            Assert.Equal(1, federation["DK"].Starts);
            Assert.Contains(answersWhileFull, a => a.Key.StartsWith('5') && a.Value > 0);
            await WaitUntilAsync(async () => await federation.WitnessedSizeAsync("ES", DkOrigin) > 0);

            // DK's console: the ledger failing while the disk was full (an event the full ledger could not take), then resuming.
            var page = await console.OpenAsync(federation["DK"], "health");
            await Expect(page.Locator("#health-events tr[data-action=ledger-write-resumed]").First).ToBeVisibleAsync();
            var (failing, resumed) = await FaultConsole.LostAndRestoredAsync(page, "ledger-write-failed", "ledger-write-resumed", filled);
            await Expect(failing.Locator(".headline")).ToContainTextAsync("Ledger writes failing since");
            await Expect(failing.Locator(".reason")).ToContainTextAsync(new System.Text.RegularExpressions.Regex("full|space", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
            await Expect(resumed.Locator(".headline")).ToContainTextAsync("Ledger writes resumed at");
            var failedIds = await page.Locator("#health-events tr[data-action=ledger-write-failed]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.id)");
            await Expect(page.Locator("#conditions [data-subject=ledger]")).ToHaveAttributeAsync("data-healthy", "true");
            await console.Browser.ScreenshotAsync(page, "fault-4-disk-full-health");
            console.Browser.AssertNoPageErrors(page);
            var resumedId = await resumed.GetAttributeAsync("data-id");
            await federation.StopAllAsync();
            await AssertEveryAcknowledgedExchangeIsAuditedAsync(federation, acknowledged, dkData: mount);

            // The (last) recovery is on the ledger, with the failed appends counted; no failure could be.
            var dk = await federation.LedgerEntriesAsync("DK", mount);
            var onLedger = Assert.Single(dk, e => e.GetProperty("id").GetString() == resumedId);
            Assert.True(int.Parse(onLedger.GetProperty("attributes").GetProperty("failures").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.DoesNotContain(dk, e => failedIds.Contains(e.GetProperty("id").GetString()));
        }
        finally
        {
            Unmount(mount);
        }
    }

    /// <summary>Every exchange ES acknowledged has its audit entry at DK (served) and at ES (routed), and both logs verify.</summary>
    private static async Task AssertEveryAcknowledgedExchangeIsAuditedAsync(ProcessFederation federation, long acknowledged, string? dkData = null)
    {
        Assert.True(acknowledged > 0);
        var dk = await federation.LedgerEntriesAsync("DK", dkData);
        var es = await federation.LedgerEntriesAsync("ES");
        Assert.True(Served(dk, "DK") >= acknowledged, $"DK's ledger has {Served(dk, "DK")} served summaries for {acknowledged} acknowledged");
        Assert.True(Served(es, "ES") >= acknowledged, $"ES's ledger has {Served(es, "ES")} routed summaries for {acknowledged} acknowledged");

        static int Served(IReadOnlyList<JsonElement> entries, string node) => entries.Count(e =>
            e.GetProperty("node").GetString() == node && e.GetProperty("action").GetString() == "ips-retrieve" && e.GetProperty("outcome").GetString() == "success");
    }

    /// <summary>One doctor looks up 20 different Danish patients: the bundled mass-lookup rule fires at ES and DK.</summary>
    private static async Task MassLookupAsync(HttpClient doctor)
    {
        for (var i = 0; i < 20; i++)
        {
            using var response = await doctor.GetAsync($"api/DK/Patient?identifier={Uri.EscapeDataString($"{Konfido.Records.DanishCpr.System}|0101{i:D2}-0000")}");
        }
    }

    private static async Task<IReadOnlyList<Alert>> AlertsAsync(ProcessFederation federation, string country)
    {
        var store = SqliteAlertStore.ForFile(Path.Combine(federation.Directory, country.ToLowerInvariant(), "alerts.db"));
        return await store.ListAsync(null, 1000);
    }

    private static long OutboxRows(ProcessFederation federation, string country)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(federation.Directory, country.ToLowerInvariant(), "alert-outbox.db")};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM outbox";
        return (long)command.ExecuteScalar()!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 900; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("the condition did not hold within 90 s");
    }

    private static void Fill(string path)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        var block = new byte[64 * 1024];
        try
        {
            while (true)
            {
                file.Write(block);
                file.Flush(flushToDisk: true);
            }
        }
        catch (IOException)
        {
            // the disk is full
        }
    }

    private static void Mount(string path, string options) => Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", path);

    private static void Unmount(string path)
    {
        Run("umount", "-l", path);
        Directory.Delete(path);
    }

    private static void Run(string file, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(Environment.UserName == "root" ? file : "sudo") { RedirectStandardError = true };
        if (Environment.UserName != "root")
        {
            start.ArgumentList.Add(file);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
    }
}
