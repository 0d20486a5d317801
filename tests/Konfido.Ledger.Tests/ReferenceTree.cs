using System.Security.Cryptography;
using Konfido.Ledger.Merkle;

namespace Konfido.Ledger.Tests;

/// <summary>
/// The naive oracle: RFC 6962 §2.1 definitions written as plain recursion over byte arrays, sharing no
/// code with the library (its own SHA-256 calls, its own PATH and PROOF recursion).
/// </summary>
internal sealed class ReferenceTree(IReadOnlyList<byte[]> leaves)
{
    public static byte[] LeafHash(byte[] data) => SHA256.HashData([0x00, .. data]);

    public static byte[] NodeHash(byte[] l, byte[] r) => SHA256.HashData([0x01, .. l, .. r]);

    private static int Split(int n)
    {
        var k = 1;
        while (k * 2 < n)
        {
            k *= 2;
        }

        return k;
    }

    public byte[] Mth(int start, int end)
    {
        var n = end - start;
        if (n == 0)
        {
            return SHA256.HashData([]);
        }

        if (n == 1)
        {
            return LeafHash(leaves[start]);
        }

        var k = Split(n);
        return NodeHash(Mth(start, start + k), Mth(start + k, end));
    }

    public List<byte[]> Path(int m, int start, int end)
    {
        var n = end - start;
        if (n <= 1)
        {
            return [];
        }

        var k = Split(n);
        if (m < k)
        {
            var p = Path(m, start, start + k);
            p.Add(Mth(start + k, end));
            return p;
        }
        else
        {
            var p = Path(m - k, start + k, end);
            p.Add(Mth(start, start + k));
            return p;
        }
    }

    public List<byte[]> Subproof(int m, int start, int end, bool b)
    {
        var n = end - start;
        if (m == n)
        {
            return b ? [] : [Mth(start, end)];
        }

        var k = Split(n);
        if (m <= k)
        {
            var p = Subproof(m, start, start + k, b);
            p.Add(Mth(start + k, end));
            return p;
        }
        else
        {
            var p = Subproof(m - k, start + k, end, false);
            p.Add(Mth(start, start + k));
            return p;
        }
    }

    public List<byte[]> Consistency(int m, int n) => m == 0 || m == n ? [] : Subproof(m, 0, n, true);

    public static MerkleHash[] ToHashes(IEnumerable<byte[]> list) => list.Select(b => new MerkleHash(b)).ToArray();
}
