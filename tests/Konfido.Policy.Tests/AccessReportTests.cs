using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Konfido.Policy.Gdpr;

namespace Konfido.Policy.Tests;

public sealed class AccessReportTests
{
    /// <summary>
    /// A stand-in ledger: its "proof" is an HMAC over the entry's fields under the ledger's key, so
    /// any change to an entry breaks it (the real ledger supplies inclusion proofs instead).
    /// </summary>
    private sealed class FakeLedger(string logId, byte[] key, params AccessLogEntry[] entries) : IAccessLog
    {
        public string LogId => logId;

        public AccessProofVerifier Verifier => entry =>
            CryptographicOperations.FixedTimeEquals(Mac(key, entry), entry.Proof) ? ProofCheck.Valid : ProofCheck.Invalid("MAC mismatch");

        public async IAsyncEnumerable<AccessLogEntry> GetAccessesAsync(string patientId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (var entry in entries)
            {
                await Task.Yield();
                yield return entry with { Proof = Mac(key, entry) };
            }
        }

        public static byte[] Mac(byte[] key, AccessLogEntry e) =>
            HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{e.EntryId}|{e.When:O}|{e.Who}|{e.Role}|{e.Organisation}|{e.Country}|{e.Purpose}|{e.What}|{e.Outcome}|{e.LogId}"));
    }

    private static AccessLogEntry Entry(string id, int minutes, string who, string country, string log) =>
        new(id, Fixtures.Now.AddMinutes(minutes), who, "221", $"Hospital {country}", country, "TREATMENT", "patient-summary", "permit", log, "fake-hmac", []);

    private static readonly byte[] KeyDk = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] KeyEs = RandomNumberGenerator.GetBytes(32);

    private static IAccessLog[] Logs() =>
    [
        new FakeLedger("ledger.dk", KeyDk, Entry("7", 30, "dr-ruiz", "ES", "ledger.dk"), Entry("3", 10, "dr-bianchi", "IT", "ledger.dk"), Entry("2", 5, "dr-garcia", "ES", "ledger.dk")),
        new FakeLedger("ledger.es", KeyEs, Entry("1", 20, "ph-lopez", "ES", "ledger.es")),
    ];

    private static AccessProofVerifier? VerifierFor(string format) => format == "fake-hmac"
        ? entry => CryptographicOperations.FixedTimeEquals(FakeLedger.Mac(entry.LogId == "ledger.dk" ? KeyDk : KeyEs, entry), entry.Proof) ? ProofCheck.Valid : ProofCheck.Invalid("MAC mismatch")
        : null;

    [Fact]
    public async Task Report_is_grouped_by_country_and_sorted_by_time_with_every_proof_checked()
    {
        var report = await AccessReport.AssembleAsync("DK-0101", Logs(), Fixtures.Now);
        Assert.Equal(["ES", "IT"], report.Countries.Select(c => c.Country));
        Assert.Equal(["dr-garcia", "ph-lopez", "dr-ruiz"], report.Countries[0].Entries.Select(e => e.Entry.Who));
        Assert.Equal(4, report.TotalAccesses);
        Assert.True(report.AllProofsVerified);
        Assert.Equal(["ledger.dk", "ledger.es"], report.Logs);
    }

    [Fact]
    public async Task Json_round_trips_and_verifies_offline_but_a_tampered_entry_fails()
    {
        var report = await AccessReport.AssembleAsync("DK-0101", Logs(), Fixtures.Now);
        var json = report.ToJson();
        Assert.Contains("\"proof\":", json, StringComparison.Ordinal);
        var parsed = AccessReport.FromJson(json)!;
        Assert.Equal(report.TotalAccesses, parsed.TotalAccesses);
        Assert.Empty(AccessReport.VerifyOffline(parsed, VerifierFor));

        var tampered = AccessReport.FromJson(json.Replace("dr-ruiz", "dr-other", StringComparison.Ordinal))!;
        var failure = Assert.Single(AccessReport.VerifyOffline(tampered, VerifierFor));
        Assert.Equal("dr-other", failure.Entry.Who);
        Assert.Equal("MAC mismatch", failure.Reason);

        var unknown = AccessReport.VerifyOffline(parsed, _ => null);
        Assert.Equal(4, unknown.Count);
        Assert.All(unknown, f => Assert.Contains("no verifier", f.Reason, StringComparison.Ordinal));
        Assert.Null(AccessReport.FromJson("{ not json"));
    }

    [Fact]
    public async Task An_entry_whose_proof_does_not_check_is_flagged_in_the_report()
    {
        var broken = new BrokenLog();
        var report = await AccessReport.AssembleAsync("DK-0101", [.. Logs(), broken], Fixtures.Now);
        Assert.False(report.AllProofsVerified);
        var entry = report.Countries.SelectMany(c => c.Entries).Single(e => e.Entry.LogId == "ledger.it");
        Assert.False(entry.ProofVerified);
        Assert.Contains("unreadable proof", entry.ProofFailure, StringComparison.Ordinal);
    }

    private sealed class BrokenLog : IAccessLog
    {
        public string LogId => "ledger.it";

        public AccessProofVerifier Verifier => _ => throw new FormatException("truncated proof");

        public async IAsyncEnumerable<AccessLogEntry> GetAccessesAsync(string patientId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return Entry("9", 1, "dr-rossi", "IT", "ledger.it");
        }
    }
}
