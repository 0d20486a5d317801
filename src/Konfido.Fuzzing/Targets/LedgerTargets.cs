using System.Text;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Notes;

namespace Konfido.Fuzzing.Targets;

/// <summary>Deterministic ledger keys and checkpoints for the seeds.</summary>
internal static class LedgerSamples
{
    public const string Origin = "ledger.dk.konfido.example";

    public static byte[] Seed(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    public static Checkpoint Checkpoint(long size, byte fill, params string[] extensions) =>
        new(Origin, size, new MerkleHash(Enumerable.Repeat(fill, MerkleHash.Size).ToArray()), extensions);
}

/// <summary>
/// C2SP signed notes (<see cref="NoteVerification.Open(string, IEnumerable{INoteVerifier})"/>: failures are results).
/// Invariant: a note that verifies has exactly the text a trusted key signed: a signature verified over mutated
/// content is a crash.
/// </summary>
public sealed class SignedNoteTarget : TextFuzzTarget
{
    private readonly INoteVerifier[] _verifiers;
    private readonly HashSet<string> _signedTexts = new(StringComparer.Ordinal);
    private readonly List<string> _seeds = [];

    /// <summary>Creates the target with fixed Ed25519 log and witness keys.</summary>
    public SignedNoteTarget()
    {
        using var log = Ed25519NoteSigner.FromSeed(LedgerSamples.Origin, LedgerSamples.Seed(1));
        using var witness = Ed25519NoteSigner.FromSeed("witness.es.konfido.example", LedgerSamples.Seed(2));
        using var other = Ed25519NoteSigner.FromSeed("other.example", LedgerSamples.Seed(3));
        var cosigner = witness.AsCosigner(new FixedTime(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero)));
        _verifiers = [NoteVerifiers.Parse(log.VerifierKey), NoteVerifiers.Parse(witness.CosignatureVerifierKey)];
        string[] texts =
        [
            LedgerSamples.Checkpoint(12345, 0xAB).ToText(),
            LedgerSamples.Checkpoint(0, 0x00, "— extension line").ToText(),
            "Hello, world!\n",
            "a\n\nb with a blank line\n",
        ];
        foreach (var text in texts)
        {
            _signedTexts.Add(text);
            _seeds.Add(SignedNote.Unsigned(text).Sign(log).ToString());
        }

        _seeds.Add(SignedNote.Unsigned(texts[0]).Sign(log, cosigner, other).ToString());
        _seeds.Add(SignedNote.Unsigned(texts[2]).Sign(other).ToString());
    }

    /// <inheritdoc />
    public override string Name => "signed-note";

    /// <inheritdoc />
    public override string Description => "C2SP signed notes with Ed25519 signatures and cosignatures (NoteVerification.Open); invariant: only signed text verifies";

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary => ["\n\n", "\u2014 ", "— ", LedgerSamples.Origin, "witness.es.konfido.example", "+", "AAAA", "=", "\r\n"];

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds() => _seeds;

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        var result = NoteVerification.Open(text, _verifiers);
        if (!result.IsValid)
        {
            return FuzzResult.Reject(result.Reason);
        }

        if (!_signedTexts.Contains(result.Note!.Text))
        {
            throw new FuzzInvariantException("note-signed-content", "a signature verified over a text that was never signed");
        }

        return FuzzResult.Accept;
    }
}

/// <summary>
/// C2SP checkpoint bodies (<see cref="Checkpoint.TryParse"/>: false with the reason). Invariants: an accepted
/// checkpoint re-serialises to the very same text (one text per checkpoint) and parses back equal.
/// </summary>
public sealed class CheckpointTarget : TextFuzzTarget
{
    /// <inheritdoc />
    public override string Name => "checkpoint";

    /// <inheritdoc />
    public override string Description => "C2SP tlog-checkpoint bodies (Checkpoint.TryParse); invariants: canonical text, parses back equal";

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary => ["\n", LedgerSamples.Origin, "9223372036854775807", "-1", "+1", "01", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "==", " "];

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds()
    {
        yield return LedgerSamples.Checkpoint(12345, 0xAB).ToText();
        yield return LedgerSamples.Checkpoint(0, 0x00).ToText();
        yield return LedgerSamples.Checkpoint(long.MaxValue, 0xFF, "ext one", "ext two").ToText();
    }

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        if (!Checkpoint.TryParse(text, out var checkpoint, out var error))
        {
            return FuzzResult.Reject(error);
        }

        var written = checkpoint.ToText();
        if (written != text)
        {
            throw new FuzzInvariantException("checkpoint-canonical", "an accepted checkpoint re-serialises to a different text");
        }

        if (!Checkpoint.TryParse(written, out var again, out _) || again.Origin != checkpoint.Origin || again.Size != checkpoint.Size
            || again.Root != checkpoint.Root || !again.Extensions.SequenceEqual(checkpoint.Extensions))
        {
            throw new FuzzInvariantException("checkpoint-roundtrip", "an accepted checkpoint does not parse back equal");
        }

        return FuzzResult.Accept;
    }
}

/// <summary>
/// Note verifier keys <c>name+hex8+base64(type||key)</c> (<see cref="NoteVerifiers.TryParse"/>) and signer keys
/// <c>PRIVATE+KEY+...</c> (<see cref="Ed25519NoteSigner.TryParse"/>). Invariant: an accepted verifier key formats back
/// to a key that parses to the same name and key ID.
/// </summary>
public sealed class NoteKeyTarget : TextFuzzTarget
{
    /// <inheritdoc />
    public override string Name => "note-keys";

    /// <inheritdoc />
    public override string Description => "C2SP note verifier and signer keys (NoteVerifiers.TryParse, Ed25519NoteSigner.TryParse); invariant: keys format back to the same name and key ID";

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary => ["+", "PRIVATE+KEY+", "AQ", "Ag", "BA", "Bg", "00000000", "ffffffff", "=", "/"];

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds()
    {
        using var log = Ed25519NoteSigner.FromSeed(LedgerSamples.Origin, LedgerSamples.Seed(1));
        yield return log.VerifierKey;
        yield return log.CosignatureVerifierKey;
        yield return log.ExportSignerKey();
        var mldsa = MlDsa44Cosigner.FromSeed("witness.it.konfido.example", LedgerSamples.Seed(4));
        yield return mldsa.VerifierKey;
    }

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        if (text.StartsWith(NoteKeys.PrivateKeyPrefix, StringComparison.Ordinal))
        {
            if (!Ed25519NoteSigner.TryParse(text, out var signer, out var signerError))
            {
                return FuzzResult.Reject(signerError);
            }

            using (signer)
            {
                var verifier = NoteVerifiers.Parse(signer.VerifierKey);
                if (verifier.KeyId != signer.KeyId || verifier.Name != signer.Name)
                {
                    throw new FuzzInvariantException("signer-key-roundtrip", "a parsed signer key's verifier key names another key");
                }

                // The key must sign notes its own verifier accepts.
                var note = SignedNote.Unsigned("fuzz\n").Sign(signer);
                if (!NoteVerification.Open(note.ToString(), [verifier]).IsValid)
                {
                    throw new FuzzInvariantException("signer-key-signs", "a parsed signer key signs notes its verifier refuses");
                }
            }

            return FuzzResult.Accept;
        }

        if (!NoteVerifiers.TryParse(text, out var parsed, out var error))
        {
            return FuzzResult.Reject(error);
        }

        if (!NoteVerifiers.TryParse(parsed.VerifierKey, out var again, out var againError) || again.Name != parsed.Name || again.KeyId != parsed.KeyId)
        {
            throw new FuzzInvariantException("verifier-key-roundtrip", $"an accepted verifier key formats to one that does not parse back: {againError}");
        }

        return FuzzResult.Accept;
    }
}
