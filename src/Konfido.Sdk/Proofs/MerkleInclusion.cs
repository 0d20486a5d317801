// Merkle inclusion proofs of RFC 6962 / RFC 9162 trees, re-implemented for offline verification on
// a device (no dependency on the node's ledger).
// References: RFC 9162 §2.1.1 (MTH: leaf hash SHA-256(0x00 || d), node hash SHA-256(0x01 || l || r)),
// §2.1.3.2 (verifying an inclusion proof). Hash size 32 bytes; a proof has at most 63 hashes.
using System.Security.Cryptography;

namespace Konfido.Sdk.Proofs;

/// <summary>RFC 9162 Merkle tree hashing and inclusion-proof verification (SHA-256).</summary>
public static class MerkleInclusion
{
    /// <summary>The hash size in bytes.</summary>
    public const int HashSize = 32;

    /// <summary>The leaf hash SHA-256(0x00 || <paramref name="entry"/>).</summary>
    /// <param name="entry">The leaf data.</param>
    public static byte[] HashLeaf(ReadOnlySpan<byte> entry)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([0x00]);
        hash.AppendData(entry);
        return hash.GetHashAndReset();
    }

    /// <summary>The interior node hash SHA-256(0x01 || <paramref name="left"/> || <paramref name="right"/>). Requires 32-byte hashes.</summary>
    /// <param name="left">The left child.</param>
    /// <param name="right">The right child.</param>
    public static byte[] HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        if (left.Length != HashSize || right.Length != HashSize)
        {
            throw new ArgumentException("node hashes are 32 bytes");
        }

        Span<byte> buffer = stackalloc byte[1 + (2 * HashSize)];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + HashSize)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>
    /// Verifies that <paramref name="leafHash"/> is the leaf at <paramref name="index"/> of the tree of
    /// <paramref name="size"/> leaves with root <paramref name="root"/> (RFC 9162 §2.1.3.2). A bad proof is
    /// a false result, never an exception. Requires non-null proof elements.
    /// </summary>
    /// <param name="index">The 0-based leaf index.</param>
    /// <param name="size">The tree size.</param>
    /// <param name="leafHash">The leaf hash (32 bytes).</param>
    /// <param name="proof">The audit path, leaf to root.</param>
    /// <param name="root">The root hash (32 bytes).</param>
    public static bool Verify(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (index < 0 || index >= size || leafHash.Length != HashSize || root.Length != HashSize || proof.Count > 63)
        {
            return false;
        }

        var fn = index;
        var sn = size - 1;
        var r = leafHash.ToArray();
        foreach (var p in proof)
        {
            if (p is null || p.Length != HashSize || sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = HashChildren(p, r);
                if ((fn & 1) == 0)
                {
                    // A right-most node without a sibling: climb until it is a right child or the root.
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = HashChildren(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, root);
    }
}
