using System.Text;

namespace Konfido.Ledger.Notes;

/// <summary>Why a signed note was not accepted.</summary>
public enum NoteFailure
{
    /// <summary>The note was accepted.</summary>
    None,

    /// <summary>The note is not a well-formed signed note.</summary>
    Malformed,

    /// <summary>No signature line is from a trusted key (name and key ID).</summary>
    NoTrustedSignature,

    /// <summary>A signature line from a trusted key does not verify: the whole note is rejected.</summary>
    InvalidSignature,
}

/// <summary>The outcome of opening a signed note with a set of trusted keys.</summary>
/// <param name="Failure">The failure kind, <see cref="NoteFailure.None"/> on success.</param>
/// <param name="Reason">Why it failed, or null.</param>
/// <param name="Note">The parsed note, if it parsed.</param>
/// <param name="Verified">The signatures that verified against trusted keys.</param>
public sealed record NoteVerification(NoteFailure Failure, string? Reason, SignedNote? Note, IReadOnlyList<NoteSignature> Verified)
{
    /// <summary>True if at least one trusted signature verified and none failed.</summary>
    public bool IsValid => Failure == NoteFailure.None;

    /// <summary>
    /// Opens <paramref name="serialised"/> per c2sp.org/signed-note: signatures from unknown keys are
    /// ignored; a known key's signature must verify; at least one must.
    /// </summary>
    /// <param name="serialised">The signed note.</param>
    /// <param name="verifiers">The trusted keys.</param>
    public static NoteVerification Open(string serialised, IEnumerable<INoteVerifier> verifiers)
    {
        ArgumentNullException.ThrowIfNull(verifiers);
        if (!SignedNote.TryParse(serialised, out var note, out var error))
        {
            return new NoteVerification(NoteFailure.Malformed, error, null, []);
        }

        return Open(note, verifiers);
    }

    /// <summary>Verifies a parsed note's signatures; see <see cref="Open(string, IEnumerable{INoteVerifier})"/>.</summary>
    /// <param name="note">The note.</param>
    /// <param name="verifiers">The trusted keys.</param>
    public static NoteVerification Open(SignedNote note, IEnumerable<INoteVerifier> verifiers)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(verifiers);
        var trusted = verifiers.ToArray();
        var text = Encoding.UTF8.GetBytes(note.Text);
        var verified = new List<NoteSignature>();
        foreach (var signature in note.Signatures)
        {
            foreach (var verifier in trusted)
            {
                if (verifier.Name != signature.Name || verifier.KeyId != signature.KeyId)
                {
                    continue;
                }

                if (!verifier.Verify(text, signature.Signature))
                {
                    return new NoteVerification(NoteFailure.InvalidSignature, $"the signature by {signature.Name}+{signature.KeyId:x8} does not verify", note, []);
                }

                verified.Add(signature);
                break;
            }
        }

        return verified.Count == 0
            ? new NoteVerification(NoteFailure.NoTrustedSignature, "no signature is from a trusted key", note, [])
            : new NoteVerification(NoteFailure.None, null, note, verified);
    }
}
