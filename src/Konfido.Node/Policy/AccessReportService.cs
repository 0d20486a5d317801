using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Konfido.Exchange;
using Konfido.Ledger.Notes;
using Konfido.Ledger.Witnessing;
using Konfido.Policy.Gdpr;

namespace Konfido.Node;

/// <summary>
/// GDPR Art. 15 access reports from the federation's audit ledgers. Every node answers
/// <c>GET /ledger/accesses?patient=PSEUDONYM</c> (members only) with a proof bundle (entry,
/// inclusion proof, cosigned checkpoint) for each exchange entry about that pseudonym in its latest
/// published checkpoint. The patient's home node asks every member, verifies every bundle against
/// the log and witness keys of the trust list, and assembles the report, which the patient can
/// re-verify offline with the same keys.
/// </summary>
internal sealed class AccessReportService(string country, NodeLedger ledger, FederationClient client, Func<TrustList> trustList)
{
    /// <summary>The federation path of the accesses query.</summary>
    public const string AccessesPath = "ledger/accesses";

    /// <summary>The proof format of the report's entries.</summary>
    public const string ProofFormat = ProofBundle.Format;

    /// <summary>The proof bundles of this node's log for <paramref name="pseudonym"/> (entries up to the latest published checkpoint).</summary>
    public static async Task<IReadOnlyList<ProofBundle>> FindAsync(NodeLedger ledger, string pseudonym, CancellationToken cancellationToken)
    {
        var published = ledger.Publisher?.Latest;
        if (published is null || !Checkpoint.TryParse(published.Checkpoint.Text, out var checkpoint, out _))
        {
            return [];
        }

        var needle = Encoding.UTF8.GetBytes($"\"patient\":\"{pseudonym}\"");
        var bundles = new List<ProofBundle>();
        for (long i = 0; i < checkpoint!.Size; i++)
        {
            var entry = await ledger.Log.ReadEntryAsync(i, cancellationToken).ConfigureAwait(false);
            if (entry.AsSpan().IndexOf(needle) < 0)
            {
                continue;
            }

            var proof = await ledger.Log.ProveInclusionAsync(i, checkpoint.Size, cancellationToken).ConfigureAwait(false);
            bundles.Add(new ProofBundle(published.Checkpoint.ToString(), i, entry, proof));
        }

        return bundles;
    }

    /// <summary>Serialises <paramref name="bundles"/> for the federation answer.</summary>
    public static string ToJson(string log, IReadOnlyList<ProofBundle> bundles) =>
        new JsonObject { ["log"] = log, ["bundles"] = new JsonArray([.. bundles.Select(b => JsonNode.Parse(b.ToJson()))]) }.ToJsonString();

    /// <summary>Assembles the report of <paramref name="patientId"/> from every member's ledger.</summary>
    public async Task<AccessReport> AssembleAsync(string patientId, CancellationToken cancellationToken)
    {
        var pseudonym = ledger.Pseudonymiser.Pseudonymise(patientId);
        var list = trustList();
        var logs = list.Members.Select(m => (IAccessLog)new MemberLog(m.Country, country, ledger, client, list, pseudonym)).ToArray();
        return await AccessReport.AssembleAsync(patientId, logs, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks a report's proof with the trust list's keys: the offline check, also made at assembly.</summary>
    internal static AccessProofVerifier VerifierFor(TrustList list, string logCountry) => entry =>
    {
        if (entry.ProofFormat != ProofFormat)
        {
            return ProofCheck.Invalid($"unknown proof format '{entry.ProofFormat}'");
        }

        var member = list.Find(logCountry);
        if (member?.LedgerKey is null || !NoteVerifiers.TryParse(member.LedgerKey, out var logKey, out var keyError))
        {
            return ProofCheck.Invalid($"the trust list has no ledger key for {logCountry}");
        }

        var witnesses = list.Members.Where(m => !string.Equals(m.Country, logCountry, StringComparison.OrdinalIgnoreCase)).Select(m => m.WitnessKey).OfType<string>().ToArray();
        if (!WitnessQuorumPolicy.TryCreate(witnesses.Length, witnesses, out var quorum, out var errors))
        {
            return ProofCheck.Invalid("no witness quorum: " + string.Join("; ", errors));
        }

        if (!ProofBundle.TryParse(Encoding.UTF8.GetString(entry.Proof), out var bundle, out var parseError))
        {
            return ProofCheck.Invalid($"the proof bundle does not parse: {parseError}");
        }

        var verification = BundleVerification.Verify(bundle, logKey, quorum);
        if (!verification.IsValid)
        {
            return ProofCheck.Invalid(verification.Reason ?? verification.Failure.ToString());
        }

        // The entry shown must be the entry proven.
        return Describe(bundle.Entry, logCountry, bundle) is { } proven && proven.EntryId == entry.EntryId && proven.Who == entry.Who
            && proven.What == entry.What && proven.When == entry.When
            ? ProofCheck.Valid
            : ProofCheck.Invalid("the entry does not match its proof");
    };

    /// <summary>The access an exchange ledger entry records, or null for other entries.</summary>
    private static AccessLogEntry? Describe(byte[] entry, string logCountry, ProofBundle bundle)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(entry).RootElement;
        }
        catch (JsonException)
        {
            return null;
        }

        string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        // IHE ATNA records (atna-iti-NN) audit the same transaction as its exchange event: one access, reported once.
        if (Text("category") != Core.EventCategories.Exchange || Text("action")?.StartsWith("atna-", StringComparison.Ordinal) == true)
        {
            return null;
        }

        var flag = root.TryGetProperty("attributes", out var attributes) && attributes.TryGetProperty("flag", out var f) ? f.GetString() : null;
        var outcome = Text("outcome") ?? "unknown";
        return new AccessLogEntry(
            $"{NodeLedger.Origin(logCountry)}#{bundle.Index.ToString(CultureInfo.InvariantCulture)}",
            DateTimeOffset.Parse(Text("timestamp") ?? "1970-01-01T00:00:00Z", CultureInfo.InvariantCulture),
            Text("actor") ?? "unknown",
            Text("actor_role"),
            Text("organisation"),
            Text("source_country") ?? logCountry,
            Text("purpose_of_use"),
            Text("action") ?? "unknown",
            flag is null ? outcome : $"{outcome} ({flag})",
            NodeLedger.Origin(logCountry),
            ProofFormat,
            Encoding.UTF8.GetBytes(bundle.ToJson()));
    }

    /// <summary>One member's ledger, read locally for this node and over mutual TLS for the others.</summary>
    private sealed class MemberLog(string logCountry, string self, NodeLedger ledger, FederationClient client, TrustList list, string pseudonym) : IAccessLog
    {
        public string LogId => NodeLedger.Origin(logCountry);

        public AccessProofVerifier Verifier => VerifierFor(list, logCountry);

        public async IAsyncEnumerable<AccessLogEntry> GetAccessesAsync(string patientId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            IReadOnlyList<ProofBundle> bundles;
            if (string.Equals(logCountry, self, StringComparison.OrdinalIgnoreCase))
            {
                bundles = await FindAsync(ledger, pseudonym, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var response = await client.GetAsync(logCountry, $"{AccessesPath}?patient={Uri.EscapeDataString(pseudonym)}", cancellationToken).ConfigureAwait(false);
                if (response.Status != HttpStatusCode.OK)
                {
                    throw new ExchangeException(HttpStatusCode.BadGateway, "transient", $"the {logCountry} ledger answered {(int)response.Status}");
                }

                bundles = [.. (JsonNode.Parse(response.Body)?["bundles"]?.AsArray() ?? [])
                    .Select(b => ProofBundle.TryParse(b?.ToJsonString(), out var bundle, out _) ? bundle : null).OfType<ProofBundle>()];
            }

            foreach (var bundle in bundles)
            {
                if (Describe(bundle.Entry, logCountry, bundle) is { } access)
                {
                    yield return access;
                }
            }
        }
    }
}

/// <summary>Offline verification of GDPR Art. 15 access reports with the federation trust list's keys.</summary>
public static class AccessReports
{
    /// <summary>
    /// Re-checks every entry of <paramref name="report"/>: its proof bundle verifies against the log
    /// key and the witness quorum that <paramref name="trustList"/> gives, and the entry shown is the
    /// entry proven. Returns the failures (empty when the whole report holds).
    /// </summary>
    public static IReadOnlyList<(AccessLogEntry Entry, string Reason)> Verify(AccessReport report, TrustList trustList)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(trustList);
        return AccessReport.VerifyOfflineByEntry(report, entry => entry.LogId.StartsWith(NodeLedger.OriginPrefix, StringComparison.Ordinal)
            ? AccessReportService.VerifierFor(trustList, entry.LogId[NodeLedger.OriginPrefix.Length..])
            : _ => ProofCheck.Invalid($"'{entry.LogId}' is not a federation ledger"));
    }
}
