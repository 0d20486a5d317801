// Compact range of a Merkle tree prefix [0, n): the roots of the perfect subtrees given by the binary
// expansion of n, largest (leftmost) first. Appending a leaf merges equal-height roots like a binary
// counter; the root of the whole prefix folds them right to left (RFC 9162 §2.1.1 structure).
// See transparency-dev/merkle docs/compact_ranges.md for the idea.
using System.Numerics;

namespace Konfido.Ledger.Merkle;

/// <summary>
/// The compact range of a tree prefix: at most 64 perfect-subtree roots, from which the next root is
/// computed in O(log n) without reading earlier leaves.
/// </summary>
public sealed class CompactRange
{
    private readonly List<MerkleHash> _roots = [];

    /// <summary>Creates the compact range of the empty tree.</summary>
    public CompactRange()
    {
    }

    /// <summary>
    /// Creates the compact range of a tree of <paramref name="size"/> leaves from its perfect-subtree
    /// roots, leftmost first. Requires one root per set bit of <paramref name="size"/>.
    /// </summary>
    /// <param name="size">The number of leaves covered.</param>
    /// <param name="roots">The perfect subtree roots, largest first.</param>
    public CompactRange(long size, IEnumerable<MerkleHash> roots)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentNullException.ThrowIfNull(roots);
        _roots.AddRange(roots);
        if (_roots.Count != BitOperations.PopCount((ulong)size))
        {
            throw new ArgumentException($"A range of size {size} has {BitOperations.PopCount((ulong)size)} roots, not {_roots.Count}.", nameof(roots));
        }

        Size = size;
    }

    /// <summary>The number of leaves covered.</summary>
    public long Size { get; private set; }

    /// <summary>The perfect-subtree roots, largest first.</summary>
    public IReadOnlyList<MerkleHash> Roots => _roots;

    /// <summary>
    /// The (level, index) coordinates of the perfect subtrees of a prefix of <paramref name="size"/>
    /// leaves, largest first.
    /// </summary>
    /// <param name="size">The prefix size.</param>
    public static IReadOnlyList<(int Level, long Index)> RootCoordinates(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var result = new List<(int, long)>();
        long start = 0;
        for (var level = 63; level >= 0; level--)
        {
            if ((size & (1L << level)) != 0)
            {
                result.Add((level, start >> level));
                start += 1L << level;
            }
        }

        return result;
    }

    /// <summary>
    /// Appends one leaf hash. <paramref name="onNode"/>, if given, receives every new perfect node as
    /// (level, index, hash), the leaf itself first (level 0).
    /// </summary>
    /// <param name="leafHash">The new leaf's hash.</param>
    /// <param name="onNode">Receives each node created by this append.</param>
    public void Append(MerkleHash leafHash, Action<int, long, MerkleHash>? onNode = null)
    {
        var index = Size;
        var hash = leafHash;
        var level = 0;
        onNode?.Invoke(0, index, hash);
        // Each trailing 1 bit of the old size is a subtree of equal height to merge with.
        while ((index & 1) == 1)
        {
            var left = _roots[^1];
            _roots.RemoveAt(_roots.Count - 1);
            hash = Rfc6962.HashChildren(left, hash);
            index >>= 1;
            level++;
            onNode?.Invoke(level, index, hash);
        }

        _roots.Add(hash);
        Size++;
    }

    /// <summary>The Merkle Tree Hash of the covered prefix (SHA-256 of nothing for the empty tree).</summary>
    public MerkleHash Root()
    {
        if (_roots.Count == 0)
        {
            return MerkleHash.EmptyTree;
        }

        var hash = _roots[^1];
        for (var i = _roots.Count - 2; i >= 0; i--)
        {
            hash = Rfc6962.HashChildren(_roots[i], hash);
        }

        return hash;
    }

    /// <summary>A copy of this range.</summary>
    public CompactRange Clone() => new(Size, _roots);
}
