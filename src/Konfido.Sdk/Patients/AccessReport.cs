using System.Globalization;
using System.Text.Json;
using Konfido.Sdk.Proofs;

namespace Konfido.Sdk;

/// <summary>One recorded access to the patient's data, with the ledger's proof.</summary>
/// <param name="EntryId">The entry's id: the log origin, '#', the leaf index.</param>
/// <param name="When">When.</param>
/// <param name="Who">Who (the professional's identifier).</param>
/// <param name="Role">Their role, if recorded.</param>
/// <param name="Organisation">Their organisation, if recorded.</param>
/// <param name="Country">The country the access came from.</param>
/// <param name="Purpose">The purpose of use, if any.</param>
/// <param name="What">The transaction (e.g. <c>ips-retrieve</c>).</param>
/// <param name="Outcome">The outcome (with a break-the-glass flag when there was one).</param>
/// <param name="LogId">The ledger that recorded it.</param>
/// <param name="ProofFormat">The proof's format (<see cref="ProofBundles.Format"/>).</param>
/// <param name="Proof">The proof bundle (UTF-8 JSON).</param>
public sealed record RecordedAccess(string EntryId, DateTimeOffset When, string Who, string? Role, string? Organisation, string Country, string? Purpose,
    string What, string Outcome, string LogId, string ProofFormat, byte[] Proof);

/// <summary>A patient's GDPR Art. 15 access report as the home node delivered it.</summary>
/// <param name="PatientId">The patient.</param>
/// <param name="GeneratedAt">When the node assembled it.</param>
/// <param name="Logs">The ledgers consulted.</param>
/// <param name="Accesses">Every recorded access.</param>
/// <param name="NodeVerified">Whether the node said every proof verified (do not rely on it: verify).</param>
/// <param name="Json">The report as received.</param>
public sealed record AccessReport(string PatientId, DateTimeOffset GeneratedAt, IReadOnlyList<string> Logs, IReadOnlyList<RecordedAccess> Accesses, bool NodeVerified, string Json)
{
    /// <summary>Reads a report (the node's JSON). Throws <see cref="KonfidoApiException"/> if it is not one.</summary>
    /// <param name="json">The report JSON.</param>
    public static AccessReport Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var dto = KonfidoClient.Deserialize(json, WireJson.Default.AccessReportDto, "access report");
        var entries = (dto.Countries ?? []).SelectMany(c => c.Entries ?? []).ToArray();
        return new AccessReport(dto.PatientId, dto.GeneratedAt, dto.Logs ?? [],
            [.. entries.Select(e => e.Entry).Select(e => new RecordedAccess(e.EntryId, e.When, e.Who, e.Role, e.Organisation, e.Country, e.Purpose, e.What, e.Outcome, e.LogId, e.ProofFormat, e.Proof ?? []))],
            entries.All(e => e.ProofVerified), json);
    }
}

/// <summary>The verification of one access's proof.</summary>
/// <param name="Access">The access.</param>
/// <param name="Result">Its proof check.</param>
public sealed record AccessVerification(RecordedAccess Access, ProofVerification Result);

/// <summary>The offline verification of a whole access report.</summary>
/// <param name="Entries">Each access with its result.</param>
public sealed record AccessReportVerification(IReadOnlyList<AccessVerification> Entries)
{
    /// <summary>True when every access's proof verified.</summary>
    public bool AllValid => Entries.All(e => e.Result.IsValid);

    /// <summary>The accesses whose proofs did not verify.</summary>
    public IReadOnlyList<AccessVerification> Failures => [.. Entries.Where(e => !e.Result.IsValid)];
}

/// <summary>
/// Verifies an access report offline, with nothing but the ledger keys: each access's proof bundle (log
/// signature, witness cosignatures, RFC 9162 inclusion) and that the access shown is the entry proven.
/// </summary>
public static class AccessReportVerifier
{
    /// <summary>Verifies every access of <paramref name="report"/>. Requires non-null arguments.</summary>
    /// <param name="report">The report.</param>
    /// <param name="trust">The ledger keys.</param>
    public static AccessReportVerification Verify(AccessReport report, LedgerTrust trust)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(trust);
        return new AccessReportVerification([.. report.Accesses.Select(a => new AccessVerification(a, VerifyAccess(a, trust)))]);
    }

    /// <summary>Verifies one access. Requires non-null arguments.</summary>
    /// <param name="access">The access.</param>
    /// <param name="trust">The ledger keys.</param>
    public static ProofVerification VerifyAccess(RecordedAccess access, LedgerTrust trust)
    {
        ArgumentNullException.ThrowIfNull(access);
        ArgumentNullException.ThrowIfNull(trust);
        if (access.ProofFormat != ProofBundles.Format)
        {
            return ProofVerification.Fail(ProofFailure.Malformed, $"unknown proof format '{access.ProofFormat}'");
        }

        var result = ProofBundles.Verify(access.Proof, trust, out var proven);
        if (!result.IsValid)
        {
            return result;
        }

        var mismatch = Compare(access, proven!);
        return mismatch is null ? result : ProofVerification.Fail(ProofFailure.EntryMismatch, mismatch);
    }

    // The ledger entry is the node's security event (JSON): the access shown must be exactly what it records.
    private static string? Compare(RecordedAccess access, ProvenEntry proven)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(proven.Entry);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return "the proven entry is not a JSON event";
        }

        string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var flag = root.TryGetProperty("attributes", out var attributes) && attributes.ValueKind == JsonValueKind.Object
            && attributes.TryGetProperty("flag", out var f) ? f.GetString() : null;
        var outcome = Text("outcome") ?? "unknown";
        var country = proven.Origin.Contains('/', StringComparison.Ordinal) ? proven.Origin[(proven.Origin.LastIndexOf('/') + 1)..] : proven.Origin;
        var when = DateTimeOffset.TryParse(Text("timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : (DateTimeOffset?)null;
        var checks = new (string Field, string? Shown, string? Proven)[]
        {
            ("entryId", access.EntryId, $"{proven.Origin}#{proven.Index.ToString(CultureInfo.InvariantCulture)}"),
            ("logId", access.LogId, proven.Origin),
            ("category", "exchange", Text("category")),
            ("who", access.Who, Text("actor") ?? "unknown"),
            ("role", access.Role, Text("actor_role")),
            ("organisation", access.Organisation, Text("organisation")),
            ("country", access.Country, Text("source_country") ?? country),
            ("purpose", access.Purpose, Text("purpose_of_use")),
            ("what", access.What, Text("action") ?? "unknown"),
            ("outcome", access.Outcome, flag is null ? outcome : $"{outcome} ({flag})"),
        };
        foreach (var (field, shown, provenValue) in checks)
        {
            if (!string.Equals(shown, provenValue, StringComparison.Ordinal))
            {
                return $"the access's {field} '{shown}' is not the proven entry's '{provenValue}'";
            }
        }

        return when == access.When ? null : $"the access's time {access.When:O} is not the proven entry's";
    }
}
