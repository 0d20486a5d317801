using Konfido.Ledger.Log;

namespace Konfido.Ledger.Notes;

/// <summary>
/// Signs the log's checkpoints: C2SP tlog-checkpoint text under the log's origin, signed with the
/// log's Ed25519 key and, optionally, an ML-DSA-44 cosignature by the log itself (post-quantum).
/// </summary>
public sealed class CheckpointSigner
{
    private readonly INoteSigner[] _signers;

    /// <summary>Creates the signer. Requires the Ed25519 key's name to be the origin.</summary>
    /// <param name="origin">The log origin (also its key name), e.g. <c>ledger.dk.konfido.example</c>.</param>
    /// <param name="key">The log's Ed25519 key.</param>
    /// <param name="postQuantum">An optional ML-DSA-44 key that signs alongside.</param>
    public CheckpointSigner(string origin, Ed25519NoteSigner key, MlDsa44Cosigner? postQuantum = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Name != origin)
        {
            throw new ArgumentException($"The log key is named '{key.Name}', not the origin '{origin}'.", nameof(key));
        }

        Origin = origin;
        Key = key;
        _signers = postQuantum is null ? [key] : [key, postQuantum];
    }

    /// <summary>The log origin.</summary>
    public string Origin { get; }

    /// <summary>The log's Ed25519 key.</summary>
    public Ed25519NoteSigner Key { get; }

    /// <summary>The verifier that checks this log's checkpoint signatures.</summary>
    public INoteVerifier Verifier => NoteVerifiers.Parse(Key.VerifierKey);

    /// <summary>The checkpoint of <paramref name="head"/>, signed.</summary>
    /// <param name="head">The tree head.</param>
    /// <param name="extensions">Optional extension lines.</param>
    public SignedNote Sign(TreeHead head, IReadOnlyList<string>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(head);
        var checkpoint = new Checkpoint(Origin, head.Size, head.Root, extensions);
        return SignedNote.Unsigned(checkpoint.ToText()).Sign(_signers);
    }
}
