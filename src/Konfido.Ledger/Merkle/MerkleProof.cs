// Inclusion and consistency proofs of RFC 9162 §2.1.3 and §2.1.4.
//
// Generation follows the recursive definitions (RFC 9162 §2.1.3.1 PATH, §2.1.4.1 SUBPROOF) but only
// plans which subtree hashes MTH(D[a:b]) are needed; the caller supplies stored node hashes. Every
// planned subtree is either perfect (one stored node) or a right-edge subtree folded from the perfect
// subtrees of its binary decomposition, so a proof reads O(log n) stored nodes.
//
// Verification implements the iterative algorithms of RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2
// (consistency) literally. Hashes: SHA-256, 32 bytes.
using System.Numerics;

namespace Konfido.Ledger.Merkle;

/// <summary>A half-open leaf range [Start, End) of the tree whose Merkle Tree Hash is a proof element.</summary>
/// <param name="Start">The first leaf index.</param>
/// <param name="End">One past the last leaf index.</param>
public readonly record struct LeafRange(long Start, long End)
{
    /// <summary>The number of leaves.</summary>
    public long Count => End - Start;

    /// <summary>
    /// The perfect subtrees that make up this range, left to right, as (level, index) node
    /// coordinates. A range produced by proof planning always starts at a multiple of a power of two at
    /// least as large as its length, so the decomposition follows the binary expansion of its length.
    /// </summary>
    public IReadOnlyList<(int Level, long Index)> PerfectSubtrees()
    {
        var nodes = new List<(int, long)>();
        var start = Start;
        var remaining = Count;
        while (remaining > 0)
        {
            var level = 63 - BitOperations.LeadingZeroCount((ulong)remaining);
            // The largest aligned perfect subtree starting at 'start' that fits.
            while (level > 0 && (start & ((1L << level) - 1)) != 0)
            {
                level--;
            }

            nodes.Add((level, start >> level));
            start += 1L << level;
            remaining -= 1L << level;
        }

        return nodes;
    }
}

/// <summary>Generation plans and verification of RFC 9162 Merkle inclusion and consistency proofs.</summary>
public static class MerkleProof
{
    /// <summary>
    /// The subtrees whose hashes form the inclusion proof of leaf <paramref name="index"/> in a tree of
    /// <paramref name="size"/> leaves, in proof order (RFC 9162 §2.1.3.1). Requires 0 &lt;= index &lt; size.
    /// </summary>
    /// <param name="index">The leaf index.</param>
    /// <param name="size">The tree size.</param>
    public static IReadOnlyList<LeafRange> PlanInclusion(long index, long size)
    {
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Requires 0 <= index < size (index {index}, size {size}).");
        }

        var path = new List<LeafRange>();
        PlanPath(index, 0, size, path);
        return path;
    }

    /// <summary>
    /// The subtrees whose hashes form the consistency proof between trees of <paramref name="size1"/>
    /// and <paramref name="size2"/> leaves, in proof order (RFC 9162 §2.1.4.1). Requires
    /// 0 &lt;= size1 &lt;= size2; the proof is empty when size1 is 0 or equals size2.
    /// </summary>
    /// <param name="size1">The older tree size.</param>
    /// <param name="size2">The newer tree size.</param>
    public static IReadOnlyList<LeafRange> PlanConsistency(long size1, long size2)
    {
        if (size1 < 0 || size1 > size2)
        {
            throw new ArgumentOutOfRangeException(nameof(size1), $"Requires 0 <= size1 <= size2 (size1 {size1}, size2 {size2}).");
        }

        var proof = new List<LeafRange>();
        if (size1 > 0 && size1 < size2)
        {
            PlanSubproof(size1, 0, size2, true, proof);
        }

        return proof;
    }

    // PATH(m, D[start:end]) with m relative to start, appended bottom-up (deepest sibling first).
    private static void PlanPath(long m, long start, long end, List<LeafRange> path)
    {
        var n = end - start;
        if (n <= 1)
        {
            return;
        }

        var k = Rfc6962.SplitPoint(n);
        if (m < k)
        {
            PlanPath(m, start, start + k, path);
            path.Add(new LeafRange(start + k, end));
        }
        else
        {
            PlanPath(m - k, start + k, end, path);
            path.Add(new LeafRange(start, start + k));
        }
    }

    // SUBPROOF(m, D[start:end], b).
    private static void PlanSubproof(long m, long start, long end, bool complete, List<LeafRange> proof)
    {
        var n = end - start;
        if (m == n)
        {
            if (!complete)
            {
                proof.Add(new LeafRange(start, end));
            }

            return;
        }

        var k = Rfc6962.SplitPoint(n);
        if (m <= k)
        {
            PlanSubproof(m, start, start + k, complete, proof);
            proof.Add(new LeafRange(start + k, end));
        }
        else
        {
            PlanSubproof(m - k, start + k, end, false, proof);
            proof.Add(new LeafRange(start, start + k));
        }
    }

    /// <summary>
    /// Folds the hashes of a range's perfect subtrees (left to right, see
    /// <see cref="LeafRange.PerfectSubtrees"/>) into the range's Merkle Tree Hash.
    /// </summary>
    /// <param name="subtreeHashes">The perfect subtree hashes, left to right; at least one.</param>
    public static MerkleHash FoldRange(ReadOnlySpan<MerkleHash> subtreeHashes)
    {
        if (subtreeHashes.IsEmpty)
        {
            throw new ArgumentException("A range has at least one subtree.", nameof(subtreeHashes));
        }

        var hash = subtreeHashes[^1];
        for (var i = subtreeHashes.Length - 2; i >= 0; i--)
        {
            hash = Rfc6962.HashChildren(subtreeHashes[i], hash);
        }

        return hash;
    }

    /// <summary>
    /// Verifies that <paramref name="proof"/> proves leaf hash <paramref name="leafHash"/> at
    /// <paramref name="index"/> in the tree of <paramref name="size"/> leaves with root
    /// <paramref name="root"/> (RFC 9162 §2.1.3.2).
    /// </summary>
    /// <param name="index">The 0-based leaf index.</param>
    /// <param name="size">The tree size.</param>
    /// <param name="leafHash">The leaf hash (not the leaf data).</param>
    /// <param name="proof">The audit path, bottom-up.</param>
    /// <param name="root">The expected root hash.</param>
    public static ProofVerification VerifyInclusion(long index, long size, in MerkleHash leafHash, ReadOnlySpan<MerkleHash> proof, in MerkleHash root)
    {
        if (!TryRootFromInclusion(index, size, leafHash, proof, out var computed, out var failure))
        {
            return failure;
        }

        return computed == root
            ? ProofVerification.Valid
            : ProofVerification.Mismatch($"the proof leads to root {computed.ToHex()}, not {root.ToHex()}");
    }

    /// <summary>
    /// Computes the root that an inclusion proof implies (RFC 9162 §2.1.3.2 steps 1-5 without the final
    /// comparison). False with a malformed-proof result if the proof cannot belong to (index, size).
    /// </summary>
    /// <param name="index">The 0-based leaf index.</param>
    /// <param name="size">The tree size.</param>
    /// <param name="leafHash">The leaf hash.</param>
    /// <param name="proof">The audit path.</param>
    /// <param name="root">The implied root.</param>
    /// <param name="failure">Why the proof is malformed.</param>
    public static bool TryRootFromInclusion(long index, long size, in MerkleHash leafHash, ReadOnlySpan<MerkleHash> proof, out MerkleHash root, out ProofVerification failure)
    {
        root = default;
        failure = ProofVerification.Valid;
        if (index < 0 || size <= 0 || index >= size)
        {
            failure = ProofVerification.Malformed($"leaf index {index} is not within a tree of size {size}");
            return false;
        }

        // Step 2: fn = leaf_index, sn = tree_size - 1; step 3: r = leaf hash.
        var fn = (ulong)index;
        var sn = (ulong)(size - 1);
        var r = leafHash;
        using var hasher = new NodeHasher();
        foreach (ref readonly var p in proof)
        {
            // Step 4a.
            if (sn == 0)
            {
                failure = ProofVerification.Malformed($"the proof has {proof.Length} elements, more than a tree of size {size} needs");
                return false;
            }

            // Step 4b.
            if ((fn & 1) == 1 || fn == sn)
            {
                r = hasher.HashChildren(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = hasher.HashChildren(r, p);
            }

            // Step 4c.
            fn >>= 1;
            sn >>= 1;
        }

        // Step 5: sn must be 0.
        if (sn != 0)
        {
            failure = ProofVerification.Malformed($"the proof has {proof.Length} elements, fewer than leaf {index} of a tree of size {size} needs");
            return false;
        }

        root = r;
        return true;
    }

    /// <summary>
    /// Verifies that <paramref name="proof"/> shows the tree of <paramref name="size1"/> leaves with root
    /// <paramref name="root1"/> is a prefix of the tree of <paramref name="size2"/> leaves with root
    /// <paramref name="root2"/> (RFC 9162 §2.1.4.2). Size 0 is a prefix of every tree (empty proof); equal
    /// sizes need equal roots and an empty proof.
    /// </summary>
    /// <param name="size1">The older tree size.</param>
    /// <param name="size2">The newer tree size.</param>
    /// <param name="proof">The consistency proof.</param>
    /// <param name="root1">The older root.</param>
    /// <param name="root2">The newer root.</param>
    public static ProofVerification VerifyConsistency(long size1, long size2, ReadOnlySpan<MerkleHash> proof, in MerkleHash root1, in MerkleHash root2)
    {
        if (size1 < 0 || size2 < size1)
        {
            return ProofVerification.Malformed($"size1 {size1} must be between 0 and size2 {size2}");
        }

        if (size1 == size2)
        {
            if (!proof.IsEmpty)
            {
                return ProofVerification.Malformed("a proof between equal sizes must be empty");
            }

            return root1 == root2 ? ProofVerification.Valid : ProofVerification.Mismatch("equal sizes with different roots");
        }

        if (size1 == 0)
        {
            return proof.IsEmpty ? ProofVerification.Valid : ProofVerification.Malformed("a proof from the empty tree must be empty");
        }

        // Step 1.
        if (proof.IsEmpty)
        {
            return ProofVerification.Malformed($"a proof from size {size1} to {size2} cannot be empty");
        }

        // Step 2: if size1 is an exact power of two, the path starts with first_hash itself.
        var startsWithRoot1 = BitOperations.IsPow2((ulong)size1);
        var path = proof;
        var first = startsWithRoot1 ? root1 : path[0];
        var rest = startsWithRoot1 ? path : path[1..];

        // Steps 3-4.
        var fn = (ulong)(size1 - 1);
        var sn = (ulong)(size2 - 1);
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        // Step 5.
        var fr = first;
        var sr = first;
        using var hasher = new NodeHasher();

        // Step 6.
        foreach (ref readonly var c in rest)
        {
            if (sn == 0)
            {
                return ProofVerification.Malformed($"the proof has {proof.Length} elements, more than sizes {size1} -> {size2} need");
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = hasher.HashChildren(c, fr);
                sr = hasher.HashChildren(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = hasher.HashChildren(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        // Step 7.
        if (sn != 0)
        {
            return ProofVerification.Malformed($"the proof has {proof.Length} elements, fewer than sizes {size1} -> {size2} need");
        }

        if (fr != root1)
        {
            return ProofVerification.Mismatch($"the proof leads to old root {fr.ToHex()}, not {root1.ToHex()}");
        }

        return sr == root2
            ? ProofVerification.Valid
            : ProofVerification.Mismatch($"the proof leads to new root {sr.ToHex()}, not {root2.ToHex()}");
    }
}
