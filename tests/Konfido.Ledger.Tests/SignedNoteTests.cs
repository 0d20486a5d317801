using System.Text;
using System.Text.Json;
using Konfido.Ledger.Merkle;
using Konfido.Ledger.Notes;

namespace Konfido.Ledger.Tests;

/// <summary>C2SP signed-note, checkpoint and cosignature formats, against the published Go vectors.</summary>
public sealed class SignedNoteTests
{
    private static readonly JsonElement Vectors = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "signed-note.json"))).RootElement;

    private static string V(string name) => Vectors.GetProperty(name).GetString()!;

    [Fact]
    public void Published_note_verifies_with_the_published_key()
    {
        var verifier = NoteVerifiers.Parse(V("verifierKey"));
        Assert.Equal("PeterNeumann", verifier.Name);
        Assert.Equal(0xc74f20a3u, verifier.KeyId);
        var result = NoteVerification.Open(V("signedNote"), [verifier]);
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(V("text"), result.Note!.Text);
    }

    [Fact]
    public void Signing_with_the_published_signer_key_reproduces_the_published_note_byte_for_byte()
    {
        Assert.True(Ed25519NoteSigner.TryParse(V("signerKey"), out var signer, out var error), error);
        using (signer)
        {
            Assert.Equal(V("verifierKey"), signer.VerifierKey);
            Assert.Equal(V("signerKey"), signer.ExportSignerKey());
            Assert.Equal(V("signedNote"), SignedNote.Unsigned(V("text")).Sign(signer).ToString());
        }
    }

    [Fact]
    public void A_changed_text_or_signature_fails_and_an_unknown_key_is_no_trusted_signature()
    {
        var verifier = NoteVerifiers.Parse(V("verifierKey"));
        var note = V("signedNote");
        Assert.Equal(NoteFailure.InvalidSignature, NoteVerification.Open(note.Replace("cryptography", "cryptographY", StringComparison.Ordinal), [verifier]).Failure);
        Assert.Equal(NoteFailure.NoTrustedSignature, NoteVerification.Open(note, [NoteVerifiers.Parse(V("otherVerifierKey"))]).Failure);
        var bytes = Encoding.UTF8.GetBytes(note);
        for (var i = bytes.Length - 60; i < bytes.Length - 3; i += 5)
        {
            var mutated = (byte[])bytes.Clone();
            mutated[i] ^= 0x01;
            Assert.False(NoteVerification.Open(Encoding.UTF8.GetString(mutated), [verifier]).IsValid, $"byte {i}");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("no final newline")]
    [InlineData("text\n")]
    [InlineData("text\n\n")]
    [InlineData("text\n\n- PeterNeumann AAAA\n")]
    [InlineData("text\n\n\u2014 PeterNeumann !!!\n")]
    [InlineData("text\n\n\u2014 PeterNeumann AAAA\n")]
    [InlineData("te\u0001xt\n\n\u2014 PeterNeumann AAAAAAAA\n")]
    public void Malformed_notes_are_malformed(string note) =>
        Assert.Equal(NoteFailure.Malformed, NoteVerification.Open(note, [NoteVerifiers.Parse(V("verifierKey"))]).Failure);

    [Theory]
    [InlineData("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")]
    [InlineData("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T")]
    [InlineData("PeterNeumann+c74f20a3+BRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")]
    [InlineData("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")]
    [InlineData("PeterNeumann+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")]
    [InlineData("")]
    public void Mangled_verifier_keys_are_refused(string key) =>
        Assert.False(NoteVerifiers.TryParse(key, out _, out _));

    [Fact]
    public void Published_cosignature_verifier_key_parses_and_its_timestamp_reads()
    {
        Assert.True(NoteVerifiers.TryParse(V("cosignatureVerifierKey"), out var verifier, out var error), error);
        Assert.Equal(NoteSignatureType.CosignatureV1, verifier.Type);
        var blob = Convert.FromBase64String(V("cosignature"));
        Assert.True(CosignatureV1Verifier.TryReadTimestamp(blob.AsSpan(4), out var timestamp));
        Assert.Equal(Vectors.GetProperty("cosignatureTimestamp").GetUInt64(), timestamp);
    }

    [Fact]
    public void Checkpoint_round_trips_and_rejects_malformed_bodies()
    {
        var checkpoint = new Checkpoint("example.com/behind-the-sofa", 20852163, MerkleHash.EmptyTree, ["ext line"]);
        Assert.True(Checkpoint.TryParse(checkpoint.ToText(), out var parsed, out _));
        Assert.Equal(checkpoint.ToText(), parsed.ToText());
        Assert.False(Checkpoint.TryParse("origin\n012\n" + MerkleHash.EmptyTree.ToBase64() + "\n", out _, out _));
        Assert.False(Checkpoint.TryParse("origin\n12\nAAAA\n", out _, out _));
        Assert.False(Checkpoint.TryParse("origin\n12\n", out _, out _));
        Assert.False(Checkpoint.TryParse("\n12\n" + MerkleHash.EmptyTree.ToBase64() + "\n", out _, out _));
    }

    [Fact]
    public void Cosignature_v1_and_ml_dsa_cosignatures_verify_and_bind_the_checkpoint()
    {
        var time = new FixedTime(DateTimeOffset.FromUnixTimeSeconds(1679315147));
        using var witness = Ed25519NoteSigner.Generate("witness.example.com/w1");
        var mlDsa = MlDsa44Cosigner.Generate("witness.example.com/w1-pq", time);
        var text = new Checkpoint("example.com/behind-the-sofa", 20852163, Rfc6962.HashLeaf([1])).ToText();
        var note = SignedNote.Unsigned(text).Sign(witness.AsCosigner(time), mlDsa);
        var verifiers = new[] { NoteVerifiers.Parse(witness.CosignatureVerifierKey), NoteVerifiers.Parse(mlDsa.VerifierKey) };
        var result = NoteVerification.Open(note.ToString(), verifiers);
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(2, result.Verified.Count);
        Assert.True(CosignatureV1Verifier.TryReadTimestamp(note.Signatures[0].Signature, out var ts));
        Assert.Equal(1679315147UL, ts);

        // A cosignature is not a plain note signature (domain separation by type byte and header).
        Assert.Equal(NoteFailure.NoTrustedSignature, NoteVerification.Open(note.ToString(), [NoteVerifiers.Parse(witness.VerifierKey)]).Failure);

        var other = new Checkpoint("example.com/behind-the-sofa", 20852164, Rfc6962.HashLeaf([1])).ToText();
        var moved = note.ToString().Replace(text, other, StringComparison.Ordinal);
        Assert.Equal(NoteFailure.InvalidSignature, NoteVerification.Open(moved, verifiers).Failure);
    }

    [Fact]
    public void An_external_key_signs_notes_and_cosignatures_that_verify_exactly_as_a_held_key_would()
    {
        // The "external" key is a second signer standing in for a key custody: only its public key and sign function are shared.
        using var held = Ed25519NoteSigner.Generate("ledger.konfido/DK");
        using var external = Ed25519NoteSigner.FromExternal(held.Name, held.PublicKey, message => held.Sign(message));
        Assert.Equal(held.VerifierKey, external.VerifierKey);
        Assert.Equal(held.CosignatureVerifierKey, external.CosignatureVerifierKey);
        Assert.Equal(held.KeyId, external.KeyId);

        var text = new Checkpoint("ledger.konfido/DK", 7, Rfc6962.HashLeaf([7])).ToText();
        var signed = SignedNote.Unsigned(text).Sign(external);
        Assert.True(NoteVerification.Open(signed.ToString(), [NoteVerifiers.Parse(held.VerifierKey)]).IsValid);
        var cosigned = SignedNote.Unsigned(text).Sign(external.AsCosigner());
        Assert.True(NoteVerification.Open(cosigned.ToString(), [NoteVerifiers.Parse(held.CosignatureVerifierKey)]).IsValid);

        Assert.Throws<InvalidOperationException>(() => external.ExportSignerKey());
    }

    [Fact]
    public void An_external_key_that_does_not_match_its_public_key_is_refused_at_once()
    {
        using var one = Ed25519NoteSigner.Generate("ledger.konfido/DK");
        using var other = Ed25519NoteSigner.Generate("ledger.konfido/DK");
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() => Ed25519NoteSigner.FromExternal(one.Name, one.PublicKey, message => other.Sign(message)));
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() => Ed25519NoteSigner.FromExternal(one.Name, one.PublicKey, _ => new byte[64]));
        Assert.Throws<ArgumentException>(() => Ed25519NoteSigner.FromExternal(one.Name, new byte[31], message => one.Sign(message)));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
