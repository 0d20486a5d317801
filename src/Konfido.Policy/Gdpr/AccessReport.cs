using System.Text.Json;
using System.Text.Json.Serialization;

namespace Konfido.Policy.Gdpr;

/// <summary>One access to a patient's data as an audit log records it, with the log's proof of inclusion.</summary>
/// <param name="EntryId">The entry's id in its log (e.g. the leaf index).</param>
/// <param name="When">When the access happened.</param>
/// <param name="Who">The professional (or system) that accessed.</param>
/// <param name="Role">The professional's role.</param>
/// <param name="Organisation">The professional's organisation.</param>
/// <param name="Country">The country the access came from.</param>
/// <param name="Purpose">The purpose of use.</param>
/// <param name="What">The transaction or data accessed (e.g. <c>patient-summary</c>).</param>
/// <param name="Outcome">The outcome (permitted, denied, break-the-glass, ...).</param>
/// <param name="LogId">Which log (ledger) recorded it, e.g. <c>ledger.dk</c>.</param>
/// <param name="ProofFormat">What <paramref name="Proof"/> is, so an offline verifier picks the right checker.</param>
/// <param name="Proof">The opaque proof (e.g. leaf, inclusion proof and cosigned checkpoint).</param>
public sealed record AccessLogEntry(
    [property: JsonPropertyName("entryId")] string EntryId,
    [property: JsonPropertyName("when")] DateTimeOffset When,
    [property: JsonPropertyName("who")] string Who,
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("organisation")] string? Organisation,
    [property: JsonPropertyName("country")] string Country,
    [property: JsonPropertyName("purpose")] string? Purpose,
    [property: JsonPropertyName("what")] string What,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("logId")] string LogId,
    [property: JsonPropertyName("proofFormat")] string ProofFormat,
    [property: JsonPropertyName("proof")] byte[] Proof);

/// <summary>The result of checking one entry's proof.</summary>
/// <param name="IsValid">True if the proof shows the entry is in a published checkpoint.</param>
/// <param name="Reason">Why not, when invalid.</param>
public readonly record struct ProofCheck(bool IsValid, string? Reason)
{
    /// <summary>A valid proof.</summary>
    public static ProofCheck Valid => new(true, null);

    /// <summary>An invalid proof with its reason.</summary>
    public static ProofCheck Invalid(string reason) => new(false, reason);
}

/// <summary>Checks the proof of one entry (supplied by the ledger: inclusion proof against a cosigned checkpoint).</summary>
/// <param name="entry">The entry with its proof.</param>
public delegate ProofCheck AccessProofVerifier(AccessLogEntry entry);

/// <summary>An audit log (one country's ledger) that can list the accesses to a patient's data.</summary>
public interface IAccessLog
{
    /// <summary>The log's id (e.g. <c>ledger.dk</c>).</summary>
    string LogId { get; }

    /// <summary>Checks the proofs this log produces.</summary>
    AccessProofVerifier Verifier { get; }

    /// <summary>Every access to the patient's data this log recorded, each with its proof.</summary>
    /// <param name="patientId">The patient's national identifier (the log pseudonymises it to search).</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    IAsyncEnumerable<AccessLogEntry> GetAccessesAsync(string patientId, CancellationToken cancellationToken = default);
}

/// <summary>One entry of an access report with the result of its proof check.</summary>
/// <param name="Entry">The access.</param>
/// <param name="ProofVerified">True if the proof checked at assembly time.</param>
/// <param name="ProofFailure">Why not.</param>
public sealed record AccessReportEntry(
    [property: JsonPropertyName("entry")] AccessLogEntry Entry,
    [property: JsonPropertyName("proofVerified")] bool ProofVerified,
    [property: JsonPropertyName("proofFailure")] string? ProofFailure);

/// <summary>The accesses from one country.</summary>
/// <param name="Country">The country the accesses came from.</param>
/// <param name="Entries">The accesses, oldest first.</param>
public sealed record AccessReportCountry(
    [property: JsonPropertyName("country")] string Country,
    [property: JsonPropertyName("entries")] IReadOnlyList<AccessReportEntry> Entries);

/// <summary>
/// A GDPR Art. 15 access report: every recorded access to a patient's data across the
/// federation's logs, grouped by the country the access came from, each entry with its opaque
/// inclusion proof so that the patient can re-check it offline (<see cref="VerifyOffline"/>).
/// </summary>
/// <param name="PatientId">The data subject.</param>
/// <param name="GeneratedAt">When the report was assembled.</param>
/// <param name="Logs">The logs consulted.</param>
/// <param name="Countries">The accesses, grouped by country (ordinal order), each group oldest first.</param>
public sealed record AccessReport(
    [property: JsonPropertyName("patientId")] string PatientId,
    [property: JsonPropertyName("generatedAt")] DateTimeOffset GeneratedAt,
    [property: JsonPropertyName("logs")] IReadOnlyList<string> Logs,
    [property: JsonPropertyName("countries")] IReadOnlyList<AccessReportCountry> Countries)
{
    /// <summary>The number of accesses.</summary>
    [JsonPropertyName("totalAccesses")]
    public int TotalAccesses => Countries.Sum(c => c.Entries.Count);

    /// <summary>True if every entry's proof checked at assembly time.</summary>
    [JsonPropertyName("allProofsVerified")]
    public bool AllProofsVerified => Countries.All(c => c.Entries.All(e => e.ProofVerified));

    /// <summary>
    /// Assembles the report from <paramref name="logs"/>, checking each entry's proof with its
    /// log's verifier. Requires non-null arguments.
    /// </summary>
    /// <param name="patientId">The data subject.</param>
    /// <param name="logs">The federation's logs.</param>
    /// <param name="generatedAt">The report time.</param>
    /// <param name="cancellationToken">Cancels the assembly.</param>
    public static async Task<AccessReport> AssembleAsync(string patientId, IEnumerable<IAccessLog> logs, DateTimeOffset generatedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        ArgumentNullException.ThrowIfNull(logs);
        var entries = new List<AccessReportEntry>();
        var logIds = new List<string>();
        foreach (var log in logs)
        {
            ArgumentNullException.ThrowIfNull(log, nameof(logs));
            logIds.Add(log.LogId);
            await foreach (var entry in log.GetAccessesAsync(patientId, cancellationToken).ConfigureAwait(false))
            {
                entries.Add(Check(entry, log.Verifier));
            }
        }

        var countries = entries
            .GroupBy(e => e.Entry.Country, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new AccessReportCountry(g.Key, g
                .OrderBy(e => e.Entry.When)
                .ThenBy(e => e.Entry.LogId, StringComparer.Ordinal)
                .ThenBy(e => e.Entry.EntryId, StringComparer.Ordinal)
                .ToArray()))
            .ToArray();
        return new AccessReport(patientId, generatedAt, logIds, countries);
    }

    /// <summary>
    /// Re-checks every entry of a (deserialised) report offline with the verifier for its proof
    /// format; an entry whose format has no verifier fails. Returns the failures (empty = all valid).
    /// </summary>
    /// <param name="report">The report.</param>
    /// <param name="verifierFor">The verifier for a proof format, or null if unknown.</param>
    public static IReadOnlyList<(AccessLogEntry Entry, string Reason)> VerifyOffline(AccessReport report, Func<string, AccessProofVerifier?> verifierFor)
    {
        ArgumentNullException.ThrowIfNull(verifierFor);
        return VerifyOfflineByEntry(report, entry => verifierFor(entry.ProofFormat));
    }

    /// <summary>
    /// As <see cref="VerifyOffline(AccessReport, Func{string, AccessProofVerifier?})"/>, with the verifier chosen
    /// per entry (e.g. by the log that recorded it: each log has its own keys).
    /// </summary>
    /// <param name="report">The report.</param>
    /// <param name="verifierForEntry">The verifier for an entry, or null if none applies.</param>
    public static IReadOnlyList<(AccessLogEntry Entry, string Reason)> VerifyOfflineByEntry(AccessReport report, Func<AccessLogEntry, AccessProofVerifier?> verifierForEntry)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(verifierForEntry);
        var failures = new List<(AccessLogEntry, string)>();
        foreach (var entry in report.Countries.SelectMany(c => c.Entries).Select(e => e.Entry))
        {
            var verifier = verifierForEntry(entry);
            var check = verifier is null ? ProofCheck.Invalid($"no verifier for proof format '{entry.ProofFormat}'") : Check(entry, verifier).ToCheck();
            if (!check.IsValid)
            {
                failures.Add((entry, check.Reason ?? "invalid proof"));
            }
        }

        return failures;
    }

    /// <summary>The report as indented UTF-8 JSON (proofs in base64).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, GdprJsonContext.Default.AccessReport);

    /// <summary>Reads a report written by <see cref="ToJson"/>; null if <paramref name="json"/> is not one.</summary>
    /// <param name="json">The JSON text.</param>
    public static AccessReport? FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize(json, GdprJsonContext.Default.AccessReport);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static AccessReportEntry Check(AccessLogEntry entry, AccessProofVerifier verifier)
    {
        ProofCheck check;
        try
        {
            check = verifier(entry);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidDataException)
        {
            check = ProofCheck.Invalid($"unreadable proof: {ex.Message}");
        }

        return new AccessReportEntry(entry, check.IsValid, check.IsValid ? null : check.Reason ?? "invalid proof");
    }
}

internal static class AccessReportEntryExtensions
{
    public static ProofCheck ToCheck(this AccessReportEntry entry) =>
        entry.ProofVerified ? ProofCheck.Valid : ProofCheck.Invalid(entry.ProofFailure ?? "invalid proof");
}

/// <summary>Source-generated JSON for the GDPR documents.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AccessReport))]
[JsonSerializable(typeof(ProcessingRecord))]
[JsonSerializable(typeof(ProcessingRecordConfiguration))]
[JsonSerializable(typeof(BreachCase))]
[JsonSerializable(typeof(BreachConfiguration))]
internal sealed partial class GdprJsonContext : JsonSerializerContext;
