using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Notes;

namespace Konfido.Ledger.Witnessing;

/// <summary>
/// A validated k-of-n witness policy: a checkpoint is published when at least <see cref="Threshold"/>
/// distinct witnesses among <see cref="Witnesses"/> have validly cosigned it.
/// </summary>
public sealed class WitnessQuorumPolicy
{
    private WitnessQuorumPolicy(int threshold, IReadOnlyList<INoteVerifier> witnesses)
    {
        Threshold = threshold;
        Witnesses = witnesses;
    }

    /// <summary>k: the cosignatures needed.</summary>
    public int Threshold { get; }

    /// <summary>The n witnesses' cosignature verifiers.</summary>
    public IReadOnlyList<INoteVerifier> Witnesses { get; }

    /// <summary>
    /// Creates the policy from verifier key strings; false with every reason if a key is malformed, two
    /// witnesses share a name, or the threshold is not in 1..n.
    /// </summary>
    /// <param name="threshold">k.</param>
    /// <param name="witnessKeys">The witnesses' verifier keys (type 0x04 or 0x06).</param>
    /// <param name="policy">The policy.</param>
    /// <param name="errors">Why it was refused.</param>
    public static bool TryCreate(int threshold, IEnumerable<string> witnessKeys, [NotNullWhen(true)] out WitnessQuorumPolicy? policy, out IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(witnessKeys);
        var problems = new List<string>();
        var verifiers = new List<INoteVerifier>();
        foreach (var key in witnessKeys)
        {
            if (!NoteVerifiers.TryParse(key, out var verifier, out var error))
            {
                problems.Add($"witness key '{key}': {error}");
            }
            else if (verifier.Type == NoteSignatureType.Ed25519)
            {
                problems.Add($"witness key '{key}': a witness key has type 0x04 (cosignature/v1) or 0x06 (ML-DSA-44), not 0x01");
            }
            else
            {
                verifiers.Add(verifier);
            }
        }

        var names = verifiers.Select(v => v.Name).Distinct(StringComparer.Ordinal).Count();
        if (threshold < 1 || threshold > names)
        {
            problems.Add($"the threshold {threshold} must be between 1 and the number of distinct witnesses ({names})");
        }

        errors = problems;
        policy = problems.Count == 0 ? new WitnessQuorumPolicy(threshold, verifiers) : null;
        return policy is not null;
    }

    /// <summary>
    /// Counts the distinct witnesses whose cosignature on <paramref name="note"/> verifies. A witness
    /// whose signature line fails to verify does not count (and is named in the result).
    /// </summary>
    /// <param name="note">The cosigned checkpoint.</param>
    public QuorumResult Evaluate(SignedNote note)
    {
        ArgumentNullException.ThrowIfNull(note);
        var text = System.Text.Encoding.UTF8.GetBytes(note.Text);
        var valid = new HashSet<string>(StringComparer.Ordinal);
        var invalid = new HashSet<string>(StringComparer.Ordinal);
        foreach (var signature in note.Signatures)
        {
            foreach (var witness in Witnesses)
            {
                if (witness.Name == signature.Name && witness.KeyId == signature.KeyId)
                {
                    (witness.Verify(text, signature.Signature) ? valid : invalid).Add(witness.Name);
                }
            }
        }

        return new QuorumResult(valid.Count >= Threshold, Threshold, valid.Order(StringComparer.Ordinal).ToArray(), invalid.Order(StringComparer.Ordinal).ToArray());
    }
}

/// <summary>The outcome of a quorum check.</summary>
/// <param name="Met">True if at least the threshold of witnesses cosigned.</param>
/// <param name="Threshold">The threshold.</param>
/// <param name="Cosigners">The witnesses whose cosignatures verified.</param>
/// <param name="InvalidCosigners">Witnesses with a cosignature line that did not verify.</param>
public sealed record QuorumResult(bool Met, int Threshold, IReadOnlyList<string> Cosigners, IReadOnlyList<string> InvalidCosigners);

/// <summary>
/// An offline-verifiable proof of publication of one log entry: the cosigned checkpoint, the entry,
/// its index and its inclusion proof. JSON form (<c>konfido-proof-bundle/1</c>): <c>checkpoint</c>
/// (the signed note), <c>index</c>, <c>entry</c> (base64), <c>proof</c> (base64 hashes).
/// </summary>
/// <param name="SignedCheckpoint">The checkpoint with the log's signature and the witnesses' cosignatures.</param>
/// <param name="Index">The entry's index.</param>
/// <param name="Entry">The entry bytes.</param>
/// <param name="Proof">The inclusion proof in the checkpoint's tree.</param>
public sealed record ProofBundle(string SignedCheckpoint, long Index, byte[] Entry, IReadOnlyList<MerkleHash> Proof)
{
    /// <summary>The format tag.</summary>
    public const string Format = "konfido-proof-bundle/1";

    /// <summary>The bundle as a JSON document.</summary>
    public string ToJson() => new JsonObject
    {
        ["format"] = Format,
        ["checkpoint"] = SignedCheckpoint,
        ["index"] = Index,
        ["entry"] = Convert.ToBase64String(Entry),
        ["proof"] = new JsonArray(Proof.Select(p => (JsonNode)p.ToBase64()).ToArray()),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Parses a bundle; false with a reason if it is malformed.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="bundle">The bundle.</param>
    /// <param name="error">Why it is malformed.</param>
    public static bool TryParse(string? json, [NotNullWhen(true)] out ProofBundle? bundle, [NotNullWhen(false)] out string? error)
    {
        bundle = null;
        try
        {
            if (JsonNode.Parse(json ?? string.Empty) is not JsonObject root)
            {
                error = "not a JSON object";
                return false;
            }

            if ((string?)root["format"] != Format)
            {
                error = $"format is not {Format}";
                return false;
            }

            var checkpoint = (string?)root["checkpoint"];
            var index = root["index"]?.GetValue<long>();
            var entry = (string?)root["entry"];
            if (checkpoint is null || index is null || entry is null || root["proof"] is not JsonArray proofArray)
            {
                error = "checkpoint, index, entry and proof are required";
                return false;
            }

            var proof = new List<MerkleHash>();
            foreach (var item in proofArray)
            {
                if (!MerkleHash.TryParseBase64((string?)item, out var hash))
                {
                    error = $"proof element {proof.Count} is not a base64 hash";
                    return false;
                }

                proof.Add(hash);
            }

            bundle = new ProofBundle(checkpoint, index.Value, Convert.FromBase64String(entry), proof);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            error = ex.Message;
            return false;
        }
    }
}

/// <summary>Why a proof bundle did not verify.</summary>
public enum BundleFailure
{
    /// <summary>The bundle verified.</summary>
    None,

    /// <summary>The checkpoint is not a well-formed signed checkpoint.</summary>
    Malformed,

    /// <summary>The log's signature on the checkpoint does not verify.</summary>
    LogSignature,

    /// <summary>Fewer witnesses than the threshold validly cosigned.</summary>
    Quorum,

    /// <summary>The inclusion proof does not prove the entry in the checkpoint's tree.</summary>
    Inclusion,
}

/// <summary>The outcome of verifying a proof bundle.</summary>
/// <param name="Failure">The failure, or <see cref="BundleFailure.None"/>.</param>
/// <param name="Reason">Why it failed.</param>
/// <param name="Checkpoint">The checkpoint, if it parsed.</param>
/// <param name="Quorum">The quorum evaluation, if it got that far.</param>
public sealed record BundleVerification(BundleFailure Failure, string? Reason, Checkpoint? Checkpoint, QuorumResult? Quorum)
{
    /// <summary>True if the bundle proves publication of the entry.</summary>
    public bool IsValid => Failure == BundleFailure.None;

    /// <summary>
    /// Verifies a bundle offline with nothing but keys: the log's signature, the witness quorum, and the
    /// inclusion of the entry's leaf hash at its index in the checkpoint's tree.
    /// </summary>
    /// <param name="bundle">The bundle.</param>
    /// <param name="logKey">The log's verifier key (type 0x01, named by its origin).</param>
    /// <param name="policy">The witness quorum policy.</param>
    public static BundleVerification Verify(ProofBundle bundle, INoteVerifier logKey, WitnessQuorumPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(logKey);
        ArgumentNullException.ThrowIfNull(policy);
        if (!SignedNote.TryParse(bundle.SignedCheckpoint, out var note, out var error) || !Checkpoint.TryParse(note.Text, out var checkpoint, out error))
        {
            return new(BundleFailure.Malformed, $"checkpoint: {error}", null, null);
        }

        if (checkpoint.Origin != logKey.Name)
        {
            return new(BundleFailure.LogSignature, $"the checkpoint's origin '{checkpoint.Origin}' is not the log key's name '{logKey.Name}'", checkpoint, null);
        }

        var logSignature = NoteVerification.Open(note, [logKey]);
        if (!logSignature.IsValid)
        {
            return new(BundleFailure.LogSignature, logSignature.Reason, checkpoint, null);
        }

        var quorum = policy.Evaluate(note);
        if (!quorum.Met)
        {
            return new(BundleFailure.Quorum, $"{quorum.Cosigners.Count} of the required {quorum.Threshold} witnesses cosigned", checkpoint, quorum);
        }

        var inclusion = MerkleProof.VerifyInclusion(bundle.Index, checkpoint.Size, Rfc6962.HashLeaf(bundle.Entry), bundle.Proof.ToArray(), checkpoint.Root);
        return inclusion.IsValid
            ? new(BundleFailure.None, null, checkpoint, quorum)
            : new(BundleFailure.Inclusion, inclusion.ToString(), checkpoint, quorum);
    }
}
