using System.Text.Json;
using System.Text.Json.Nodes;
using Konfido.Node;
using Konfido.Siem.Alerts;

namespace Konfido.Faults.Tests;

/// <summary>
/// Issue 11, faults: the three-node federation as real processes under continuous cross-border traffic,
/// while a node is killed, a peer is cut off, the PostgreSQL server restarts and the ledger's disk fills.
/// After each, no acknowledged exchange, audit entry or alert is lost and the ledgers stay consistent and cosigned.
/// </summary>
public sealed class FaultTests
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
        await using (var traffic = new Traffic(doctor))
        {
            await traffic.WaitForMoreAsync(30);
            await WaitUntilAsync(async () => await federation.WitnessedSizeAsync("ES", DkOrigin) > 0);
            await federation["DK"].KillAsync(); // SIGKILL, requests in flight
            sizeAtCrash = (await federation.LedgerEntriesAsync("DK")).Count; // the log as the crash left it
            witnessedBeforeCrash = await federation.WitnessedSizeAsync("ES", DkOrigin);
            await federation["DK"].StartAsync();
            await traffic.WaitForMoreAsync(30);
            acknowledged = traffic.Acknowledged;
        }

        // The witnesses cosign the restarted log only with a valid consistency proof from what they cosigned before the crash.
        await WaitUntilAsync(async () => await federation.WitnessedSizeAsync("ES", DkOrigin) > sizeAtCrash && await federation.WitnessedSizeAsync("IT", DkOrigin) > sizeAtCrash);
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
        await using (var traffic = new Traffic(doctor))
        {
            await traffic.WaitForMoreAsync(20);
            await WaitUntilAsync(async () => await federation.WitnessedSizeAsync("IT", DkOrigin) > 0);
            federation["IT"].Signal("STOP"); // IT's sockets stay open but nothing answers: a network cut, not a clean refusal
            witnessedAtCut = await federation.WitnessedSizeAsync("IT", DkOrigin);
            await traffic.WaitForMoreAsync(30); // DK keeps serving ES without IT
            await MassLookupAsync(doctor); // raises alerts at ES and DK that must reach IT
            federation["IT"].Signal("CONT");
            await traffic.WaitForMoreAsync(20);
            acknowledged = traffic.Acknowledged;
        }

        await WaitUntilAsync(async () => await federation.WitnessedSizeAsync("IT", DkOrigin) >= witnessedAtCut + 50);
        await WaitUntilAsync(() => Task.FromResult(OutboxRows(federation, "ES") == 0 && OutboxRows(federation, "DK") == 0));
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
        await using (var traffic = new Traffic(doctor))
        {
            await traffic.WaitForMoreAsync(30);
            postgres.Restart();
            await traffic.WaitForMoreAsync(30); // the back end reconnects by itself
            acknowledged = traffic.Acknowledged;
        }

        Assert.True(federation["DK"].IsRunning);
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
            await using (var traffic = new Traffic(doctor))
            {
                await traffic.WaitForMoreAsync(20);
                var filler = Path.Combine(mount, "filler");
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
            await federation.StopAllAsync();
            await AssertEveryAcknowledgedExchangeIsAuditedAsync(federation, acknowledged, dkData: mount);
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
