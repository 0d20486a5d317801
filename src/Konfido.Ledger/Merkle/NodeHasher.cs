// RFC 6962 interior-node hashing with one reused SHA-256 context: on platforms where a one-shot hash
// creates a native digest context per call (OpenSSL), reusing it removes a third of the cost of the
// 65-byte (two-block) node hashes that dominate proof verification.
using System.Security.Cryptography;

namespace Konfido.Ledger.Merkle;

/// <summary>Hashes interior nodes SHA-256(0x01 || left || right) with one reused context. Not thread-safe.</summary>
internal sealed class NodeHasher : IDisposable
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public MerkleHash HashChildren(in MerkleHash left, in MerkleHash right)
    {
        Span<byte> buffer = stackalloc byte[1 + (2 * MerkleHash.Size)];
        buffer[0] = 0x01;
        left.WriteTo(buffer[1..]);
        right.WriteTo(buffer[(1 + MerkleHash.Size)..]);
        _sha256.AppendData(buffer);
        Span<byte> digest = stackalloc byte[MerkleHash.Size];
        _sha256.GetHashAndReset(digest);
        return new MerkleHash(digest);
    }

    public void Dispose() => _sha256.Dispose();
}
