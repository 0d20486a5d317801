using System.Security.Cryptography;
using System.Text;
using Konfido.Ledger.Notes;
using Konfido.Sdk.Proofs;
using Konfido.Sdk.Tests.Vectors;

namespace Konfido.Sdk.Tests;

/// <summary>The SDK's own proof verification: against a naive RFC 6962 tree, published values, and the ledger's real signers.</summary>
public sealed class ProofTests
{
    [Fact]
    public void The_empty_leaf_hash_is_the_published_value() =>
        Assert.Equal(Rfc6962Vectors.EmptyLeafHash, Convert.ToHexStringLower(MerkleInclusion.HashLeaf([])));

    [Fact]
    public void Every_inclusion_proof_of_a_naive_tree_verifies_and_every_altered_one_fails()
    {
        for (var size = 1; size <= 40; size++)
        {
            var leaves = Enumerable.Range(0, size).Select(i => Encoding.UTF8.GetBytes($"entry {i} of {size}")).ToArray();
            var root = NaiveTree.Root(leaves);
            for (var index = 0; index < size; index++)
            {
                var leaf = MerkleInclusion.HashLeaf(leaves[index]);
                var path = NaiveTree.Path(index, leaves);
                Assert.True(MerkleInclusion.Verify(index, size, leaf, path, root), $"index {index} of {size}");
                Assert.False(MerkleInclusion.Verify(index, size, MerkleInclusion.HashLeaf([.. leaves[index], 0]), path, root), $"other leaf {index}/{size}");
                // (Another size can give the same shape from this leaf, e.g. index 0 of 3 and of 4: the signed checkpoint binds the size.)
                Assert.False(MerkleInclusion.Verify(index, index, leaf, path, root), $"index = size {index}/{size}");
                Assert.False(MerkleInclusion.Verify(index, size, leaf, path, NaiveTree.Root([.. leaves, [1]])), $"other root {index}/{size}");
                if (path.Count > 0)
                {
                    Assert.False(MerkleInclusion.Verify(index, size, leaf, path.Take(path.Count - 1).ToArray(), root), $"truncated {index}/{size}");
                    var flipped = path.Select(p => (byte[])p.Clone()).ToArray();
                    flipped[^1][0] ^= 0x80;
                    Assert.False(MerkleInclusion.Verify(index, size, leaf, flipped, root), $"flipped {index}/{size}");
                }

                if (index + 1 < size)
                {
                    Assert.False(MerkleInclusion.Verify(index + 1, size, leaf, path, root), $"next index {index}/{size}");
                }
            }
        }

        Assert.False(MerkleInclusion.Verify(0, 0, new byte[32], [], new byte[32]));
        Assert.False(MerkleInclusion.Verify(-1, 4, new byte[32], [], new byte[32]));
    }

    [Fact]
    public void Note_signatures_and_cosignatures_made_by_the_ledger_verify_and_alterations_fail()
    {
        using var log = Ed25519NoteSigner.Generate("konfido.ncp/DK");
        using var witness = Ed25519NoteSigner.Generate("witness.konfido/ES");
        const string text = "konfido.ncp/DK\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        var note = SignedNote.Unsigned(text).Sign(log, witness.AsCosigner()).ToString();

        Assert.True(SignedNoteText.TryParse(note, out var parsed, out var error), error);
        var logKey = NoteKey.Parse(log.VerifierKey);
        var witnessKey = NoteKey.Parse(witness.CosignatureVerifierKey);
        Assert.Equal(NoteKeyType.Ed25519, logKey.Type);
        Assert.Equal(NoteKeyType.CosignatureV1, witnessKey.Type);
        var bytes = Encoding.UTF8.GetBytes(parsed.Text);
        var logLine = parsed.Signatures.Single(s => s.Name == logKey.Name);
        var witnessLine = parsed.Signatures.Single(s => s.Name == witnessKey.Name);
        Assert.Equal(logKey.KeyId, logLine.KeyId);
        Assert.Equal(witnessKey.KeyId, witnessLine.KeyId);
        Assert.True(logKey.Verify(bytes, logLine.Signature));
        Assert.True(witnessKey.Verify(bytes, witnessLine.Signature));

        var altered = Encoding.UTF8.GetBytes(parsed.Text.Replace("\n3\n", "\n4\n", StringComparison.Ordinal));
        Assert.False(logKey.Verify(altered, logLine.Signature));
        Assert.False(witnessKey.Verify(altered, witnessLine.Signature));
        Assert.False(logKey.Verify(bytes, witnessLine.Signature));
        var timeShifted = (byte[])witnessLine.Signature.Clone();
        timeShifted[7] ^= 1;
        Assert.False(witnessKey.Verify(bytes, timeShifted));
    }

    [Fact]
    public void Malformed_or_foreign_keys_are_refused_with_a_reason()
    {
        using var signer = Ed25519NoteSigner.Generate("konfido.ncp/IT");
        var key = signer.VerifierKey;
        var first = key.IndexOf('+', StringComparison.Ordinal);
        var second = key.IndexOf('+', first + 1);
        var wrongHash = $"{key[..first]}+00000000{key[second..]}";
        Assert.False(NoteKey.TryParse(wrongHash, out _, out var error));
        Assert.Contains("hash", error, StringComparison.Ordinal);
        Assert.False(NoteKey.TryParse("no-plus-signs", out _, out _));
        Assert.False(NoteKey.TryParse($"{key[..second]}+not*base64", out _, out _));
        var mlDsa = MlDsa44Cosigner.Generate("witness.konfido/PQ").VerifierKey;
        Assert.False(NoteKey.TryParse(mlDsa, out _, out error));
        Assert.Contains("unsupported", error, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => LedgerTrust.Create([new LedgerTrustMember(key, null)]));
    }

    /// <summary>RFC 6962 §2.1 written as literally as possible: the oracle.</summary>
    private static class NaiveTree
    {
        public static byte[] Root(byte[][] leaves) => leaves.Length switch
        {
            0 => SHA256.HashData([]),
            1 => MerkleInclusion.HashLeaf(leaves[0]),
            _ => MerkleInclusion.HashChildren(Root(leaves[..Split(leaves.Length)]), Root(leaves[Split(leaves.Length)..])),
        };

        public static List<byte[]> Path(int m, byte[][] leaves)
        {
            if (leaves.Length <= 1)
            {
                return [];
            }

            var k = Split(leaves.Length);
            if (m < k)
            {
                var path = Path(m, leaves[..k]);
                path.Add(Root(leaves[k..]));
                return path;
            }

            var right = Path(m - k, leaves[k..]);
            right.Add(Root(leaves[..k]));
            return right;
        }

        // The largest power of two smaller than n.
        private static int Split(int n)
        {
            var k = 1;
            while (k << 1 < n)
            {
                k <<= 1;
            }

            return k;
        }
    }
}
