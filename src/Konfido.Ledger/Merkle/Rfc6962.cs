// RFC 6962 §2.1 / RFC 9162 §2.1.1: the Merkle Tree Hash with SHA-256.
//   leaf hash  MTH({d(0)}) = SHA-256(0x00 || d(0))
//   node hash  SHA-256(0x01 || MTH(left) || MTH(right))
//   empty tree MTH({}) = SHA-256()
// For n > 1, with k the largest power of two smaller than n: MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])).
using System.Numerics;
using System.Security.Cryptography;

namespace Konfido.Ledger.Merkle;

/// <summary>The RFC 6962 / RFC 9162 hashing of a Merkle tree (SHA-256 with domain-separation prefixes).</summary>
public static class Rfc6962
{
    private const byte LeafPrefix = 0x00;
    private const byte NodePrefix = 0x01;

    /// <summary>The leaf hash SHA-256(0x00 || <paramref name="leafData"/>).</summary>
    /// <param name="leafData">The leaf's data (any length, empty allowed).</param>
    public static MerkleHash HashLeaf(ReadOnlySpan<byte> leafData)
    {
        Span<byte> digest = stackalloc byte[MerkleHash.Size];
        if (leafData.Length <= 1024)
        {
            Span<byte> buffer = stackalloc byte[leafData.Length + 1];
            buffer[0] = LeafPrefix;
            leafData.CopyTo(buffer[1..]);
            SHA256.HashData(buffer, digest);
            return new MerkleHash(digest);
        }

        using var hasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hasher.AppendData([LeafPrefix]);
        hasher.AppendData(leafData);
        hasher.GetHashAndReset(digest);
        return new MerkleHash(digest);
    }

    /// <summary>The interior node hash SHA-256(0x01 || <paramref name="left"/> || <paramref name="right"/>).</summary>
    /// <param name="left">The left child's hash.</param>
    /// <param name="right">The right child's hash.</param>
    public static MerkleHash HashChildren(in MerkleHash left, in MerkleHash right)
    {
        Span<byte> buffer = stackalloc byte[1 + (2 * MerkleHash.Size)];
        buffer[0] = NodePrefix;
        left.WriteTo(buffer[1..]);
        right.WriteTo(buffer[(1 + MerkleHash.Size)..]);
        Span<byte> digest = stackalloc byte[MerkleHash.Size];
        SHA256.HashData(buffer, digest);
        return new MerkleHash(digest);
    }

    /// <summary>
    /// The Merkle Tree Hash of the given leaf hashes (RFC 9162 §2.1.1), computed incrementally with a
    /// compact range in O(n) time and O(log n) memory.
    /// </summary>
    /// <param name="leafHashes">The leaf hashes, in order.</param>
    public static MerkleHash RootOf(IEnumerable<MerkleHash> leafHashes)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        var range = new CompactRange();
        foreach (var leaf in leafHashes)
        {
            range.Append(leaf);
        }

        return range.Root();
    }

    /// <summary>The largest power of two strictly smaller than <paramref name="n"/>. Requires n &gt; 1.</summary>
    internal static long SplitPoint(long n)
    {
        System.Diagnostics.Debug.Assert(n > 1);
        return 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));
    }
}
