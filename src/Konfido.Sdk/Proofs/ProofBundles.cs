// Offline verification of a Konfido proof bundle (konfido-proof-bundle/1): a cosigned C2SP checkpoint,
// an entry, its index and its RFC 9162 inclusion proof. Checked in order: the bundle parses; the
// checkpoint's origin names a trusted log; the log's Ed25519 signature verifies (c2sp.org/signed-note:
// a trusted key's signature must verify); every required witness validly cosigned (cosignature/v1);
// the entry's leaf hash is included at its index in the checkpoint's tree.
using System.Text;
using System.Text.Json;

namespace Konfido.Sdk.Proofs;

/// <summary>Why a proof did not verify.</summary>
public enum ProofFailure
{
    /// <summary>The proof verified.</summary>
    None,

    /// <summary>The proof bundle or its checkpoint is malformed, or in an unknown format.</summary>
    Malformed,

    /// <summary>The checkpoint's log is not one the trust covers.</summary>
    UnknownLog,

    /// <summary>The log's signature on the checkpoint is missing or does not verify.</summary>
    LogSignature,

    /// <summary>Fewer witnesses than required validly cosigned the checkpoint.</summary>
    Quorum,

    /// <summary>The inclusion proof does not prove the entry in the checkpoint's tree.</summary>
    Inclusion,

    /// <summary>The access shown is not the entry the proof proves.</summary>
    EntryMismatch,
}

/// <summary>The outcome of verifying a proof.</summary>
/// <param name="Failure">Why it failed, or <see cref="ProofFailure.None"/>.</param>
/// <param name="Reason">A human-readable reason when it failed.</param>
public sealed record ProofVerification(ProofFailure Failure, string? Reason)
{
    /// <summary>True when the proof verified.</summary>
    public bool IsValid => Failure == ProofFailure.None;

    internal static ProofVerification Valid { get; } = new(ProofFailure.None, null);

    internal static ProofVerification Fail(ProofFailure failure, string reason) => new(failure, reason);
}

/// <summary>A proof bundle that verified: the proven entry and the checkpoint that contains it.</summary>
/// <param name="Origin">The log's origin.</param>
/// <param name="TreeSize">The checkpoint's tree size.</param>
/// <param name="Index">The entry's index.</param>
/// <param name="Entry">The proven entry bytes.</param>
internal sealed record ProvenEntry(string Origin, long TreeSize, long Index, byte[] Entry);

/// <summary>Verifies <c>konfido-proof-bundle/1</c> documents offline.</summary>
public static class ProofBundles
{
    /// <summary>The proof format this SDK verifies.</summary>
    public const string Format = "konfido-proof-bundle/1";

    /// <summary>Verifies a proof bundle (UTF-8 JSON) against <paramref name="trust"/>. Requires non-null arguments.</summary>
    /// <param name="bundle">The bundle JSON bytes.</param>
    /// <param name="trust">The ledger keys.</param>
    public static ProofVerification Verify(ReadOnlySpan<byte> bundle, LedgerTrust trust) => Verify(bundle, trust, out _);

    internal static ProofVerification Verify(ReadOnlySpan<byte> bundle, LedgerTrust trust, out ProvenEntry? proven)
    {
        ArgumentNullException.ThrowIfNull(trust);
        proven = null;
        string? checkpoint;
        long index;
        byte[] entry;
        var path = new List<byte[]>();
        try
        {
            using var document = JsonDocument.Parse(bundle.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.GetString() != Format)
            {
                return ProofVerification.Fail(ProofFailure.Malformed, $"not a {Format} document");
            }

            checkpoint = root.GetProperty("checkpoint").GetString();
            index = root.GetProperty("index").GetInt64();
            entry = Convert.FromBase64String(root.GetProperty("entry").GetString() ?? string.Empty);
            foreach (var hash in root.GetProperty("proof").EnumerateArray())
            {
                path.Add(Convert.FromBase64String(hash.GetString() ?? string.Empty));
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            return ProofVerification.Fail(ProofFailure.Malformed, $"the proof bundle does not parse: {ex.Message}");
        }

        if (!SignedNoteText.TryParse(checkpoint, out var note, out var error))
        {
            return ProofVerification.Fail(ProofFailure.Malformed, $"checkpoint: {error}");
        }

        if (!note.TryReadCheckpoint(out var origin, out var size, out var rootHash))
        {
            return ProofVerification.Fail(ProofFailure.Malformed, "the checkpoint body is not origin, size, root");
        }

        var log = trust.Find(origin);
        if (log is null)
        {
            return ProofVerification.Fail(ProofFailure.UnknownLog, $"no trusted key for log '{origin}'");
        }

        var text = Encoding.UTF8.GetBytes(note.Text);
        var logSigned = false;
        foreach (var line in note.Signatures.Where(s => s.Name == log.LogKey.Name && s.KeyId == log.LogKey.KeyId))
        {
            if (!log.LogKey.Verify(text, line.Signature))
            {
                return ProofVerification.Fail(ProofFailure.LogSignature, $"the signature by {origin} does not verify");
            }

            logSigned = true;
        }

        if (!logSigned)
        {
            return ProofVerification.Fail(ProofFailure.LogSignature, $"the checkpoint carries no signature by {origin}");
        }

        var cosigners = new HashSet<string>(StringComparer.Ordinal);
        foreach (var witness in log.Witnesses)
        {
            if (note.Signatures.Any(s => s.Name == witness.Name && s.KeyId == witness.KeyId && witness.Verify(text, s.Signature)))
            {
                cosigners.Add(witness.Name);
            }
        }

        if (cosigners.Count < log.Threshold)
        {
            return ProofVerification.Fail(ProofFailure.Quorum, $"{cosigners.Count} of the required {log.Threshold} witnesses cosigned");
        }

        if (!MerkleInclusion.Verify(index, size, MerkleInclusion.HashLeaf(entry), path, rootHash))
        {
            return ProofVerification.Fail(ProofFailure.Inclusion, $"the inclusion proof of entry {index} does not lead to the root of tree size {size}");
        }

        proven = new ProvenEntry(origin, size, index, entry);
        return ProofVerification.Valid;
    }
}
