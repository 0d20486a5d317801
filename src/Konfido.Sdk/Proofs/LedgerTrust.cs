using System.Text.Json;

namespace Konfido.Sdk.Proofs;

/// <summary>One federation member's ledger keys, as the signed federation trust list lists them.</summary>
/// <param name="LedgerKey">The C2SP verifier key of the member's audit log (type 0x01; its name is the log origin).</param>
/// <param name="WitnessKey">The C2SP cosignature verifier key of the member's witness (type 0x04), or null.</param>
public sealed record LedgerTrustMember(string LedgerKey, string? WitnessKey);

/// <summary>
/// The keys an access report's proofs are checked against, offline: each federation log's key and,
/// for each log, the witnesses of every other member, all of which must have cosigned the checkpoint
/// (the node's own publication quorum). The patient's app ships these keys (from the signed trust list);
/// it never takes them from the node it is checking. Immutable.
/// </summary>
public sealed class LedgerTrust
{
    private readonly Dictionary<string, LogTrust> _logs;

    private LedgerTrust(Dictionary<string, LogTrust> logs) => _logs = logs;

    /// <summary>The log origins this trust covers.</summary>
    public IReadOnlyCollection<string> Logs => _logs.Keys;

    /// <summary>
    /// Creates the trust from the members' keys. Throws <see cref="ArgumentException"/> naming every key that
    /// does not parse, a log key that is not Ed25519, a witness key that is not cosignature/v1, or a log
    /// without another member's witness.
    /// </summary>
    /// <param name="members">The federation's members.</param>
    public static LedgerTrust Create(IEnumerable<LedgerTrustMember> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var list = members.ToArray();
        var problems = new List<string>();
        var parsed = new List<(NoteKey Log, NoteKey? Witness)>();
        foreach (var member in list)
        {
            ArgumentNullException.ThrowIfNull(member, nameof(members));
            if (!NoteKey.TryParse(member.LedgerKey, out var log, out var error) || log.Type != NoteKeyType.Ed25519)
            {
                problems.Add($"ledger key '{member.LedgerKey}': {error ?? "not an Ed25519 (0x01) note key"}");
                continue;
            }

            NoteKey? witness = null;
            if (member.WitnessKey is not null && (!NoteKey.TryParse(member.WitnessKey, out witness, out error) || witness.Type != NoteKeyType.CosignatureV1))
            {
                problems.Add($"witness key '{member.WitnessKey}': {error ?? "not a cosignature/v1 (0x04) key"}");
                continue;
            }

            parsed.Add((log, witness));
        }

        var logs = new Dictionary<string, LogTrust>(StringComparer.Ordinal);
        foreach (var (log, _) in parsed)
        {
            var witnesses = parsed.Where(p => p.Log.Name != log.Name && p.Witness is not null).Select(p => p.Witness!).ToArray();
            if (witnesses.Length == 0)
            {
                problems.Add($"log '{log.Name}' has no witness of another member, so its checkpoints cannot be checked");
            }
            else if (!logs.TryAdd(log.Name, new LogTrust(log, witnesses, witnesses.Length)))
            {
                problems.Add($"log '{log.Name}' is listed twice");
            }
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid ledger trust: " + string.Join("; ", problems), nameof(members));
        }

        return new LedgerTrust(logs);
    }

    /// <summary>
    /// Reads the members' <c>ledgerKey</c> and <c>witnessKey</c> from a federation trust list document
    /// (<c>{"members":[...]}</c>) whose signature the caller has checked. Throws <see cref="ArgumentException"/>
    /// if the JSON is not one, as <see cref="Create"/> does.
    /// </summary>
    /// <param name="trustListJson">The trust list JSON.</param>
    public static LedgerTrust FromTrustListJson(string trustListJson)
    {
        ArgumentNullException.ThrowIfNull(trustListJson);
        try
        {
            using var document = JsonDocument.Parse(trustListJson);
            if (!document.RootElement.TryGetProperty("members", out var members) || members.ValueKind != JsonValueKind.Array)
            {
                throw new ArgumentException("the trust list has no 'members' array", nameof(trustListJson));
            }

            return Create(members.EnumerateArray()
                .Where(m => m.TryGetProperty("ledgerKey", out var k) && k.ValueKind == JsonValueKind.String)
                .Select(m => new LedgerTrustMember(m.GetProperty("ledgerKey").GetString()!,
                    m.TryGetProperty("witnessKey", out var w) && w.ValueKind == JsonValueKind.String ? w.GetString() : null))
                .ToArray());
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"the trust list is not JSON: {ex.Message}", nameof(trustListJson), ex);
        }
    }

    /// <summary>
    /// Verifies a signed federation trust list (flattened JWS, ES256, RFC 7515) with the federation operator's
    /// public key (PEM), checks it is current at <paramref name="now"/>, and reads the ledger keys of its members.
    /// Throws <see cref="ArgumentException"/> if the signature, the freshness or the content does not hold.
    /// </summary>
    /// <param name="signedTrustList">The signed trust list (JSON: protected, payload, signature).</param>
    /// <param name="operatorPublicKeyPem">The federation operator's P-256 public key, PEM.</param>
    /// <param name="now">The current time.</param>
    public static LedgerTrust FromSignedTrustList(string signedTrustList, string operatorPublicKeyPem, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(signedTrustList);
        ArgumentNullException.ThrowIfNull(operatorPublicKeyPem);
        string payloadJson;
        try
        {
            using var document = JsonDocument.Parse(signedTrustList);
            var root = document.RootElement;
            var encodedHeader = root.GetProperty("protected").GetString() ?? string.Empty;
            var encodedPayload = root.GetProperty("payload").GetString() ?? string.Empty;
            var signature = System.Buffers.Text.Base64Url.DecodeFromChars(root.GetProperty("signature").GetString() ?? string.Empty);
            using (var header = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(encodedHeader)))
            {
                if (!header.RootElement.TryGetProperty("alg", out var alg) || alg.GetString() != "ES256")
                {
                    throw new ArgumentException("the trust list is not signed with ES256", nameof(signedTrustList));
                }
            }

            using var key = System.Security.Cryptography.ECDsa.Create();
            key.ImportFromPem(operatorPublicKeyPem);
            var signingInput = System.Text.Encoding.ASCII.GetBytes(encodedHeader + "." + encodedPayload);
            if (!key.VerifyData(signingInput, signature, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            {
                throw new ArgumentException("the trust list's signature does not verify with the operator key", nameof(signedTrustList));
            }

            payloadJson = System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(encodedPayload));
            using var payload = JsonDocument.Parse(payloadJson);
            if (!payload.RootElement.TryGetProperty("nextUpdate", out var next) || !next.TryGetDateTimeOffset(out var nextUpdate) || now > nextUpdate)
            {
                throw new ArgumentException("the trust list is stale or has no nextUpdate", nameof(signedTrustList));
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            throw new ArgumentException($"the signed trust list does not parse: {ex.Message}", nameof(signedTrustList), ex);
        }

        return FromTrustListJson(payloadJson);
    }

    internal LogTrust? Find(string origin) => _logs.GetValueOrDefault(origin);

    internal sealed record LogTrust(NoteKey LogKey, IReadOnlyList<NoteKey> Witnesses, int Threshold);
}
