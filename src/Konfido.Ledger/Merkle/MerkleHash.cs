// A SHA-256 node hash of an RFC 6962 / RFC 9162 Merkle tree: 32 bytes held inline (no allocation).
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Konfido.Ledger.Merkle;

/// <summary>
/// A 32-byte SHA-256 hash of a Merkle tree node or leaf, as an immutable value (no heap allocation).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct MerkleHash : IEquatable<MerkleHash>
{
    /// <summary>The length of a hash in bytes.</summary>
    public const int Size = 32;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    /// <summary>Creates a hash from exactly 32 bytes. Requires <paramref name="bytes"/> to be 32 bytes long.</summary>
    /// <param name="bytes">The hash bytes.</param>
    public MerkleHash(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"A Merkle hash is {Size} bytes, not {bytes.Length}.", nameof(bytes));
        }

        _a = MemoryMarshal.Read<ulong>(bytes);
        _b = MemoryMarshal.Read<ulong>(bytes[8..]);
        _c = MemoryMarshal.Read<ulong>(bytes[16..]);
        _d = MemoryMarshal.Read<ulong>(bytes[24..]);
    }

    /// <summary>SHA-256 of the empty string: the root hash of the empty tree (RFC 9162 §2.1.1).</summary>
    public static MerkleHash EmptyTree { get; } = new(SHA256.HashData(ReadOnlySpan<byte>.Empty));

    /// <summary>Writes the 32 bytes to <paramref name="destination"/>. Requires at least 32 bytes of room.</summary>
    /// <param name="destination">Where to write.</param>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"Need {Size} bytes of room.", nameof(destination));
        }

        MemoryMarshal.Write(destination, in _a);
        MemoryMarshal.Write(destination[8..], in _b);
        MemoryMarshal.Write(destination[16..], in _c);
        MemoryMarshal.Write(destination[24..], in _d);
    }

    /// <summary>The hash as a new 32-byte array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>The hash in lowercase hex.</summary>
    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>The hash in standard base64 (RFC 4648 §4), as checkpoints and proofs carry it.</summary>
    public string ToBase64()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return Convert.ToBase64String(bytes);
    }

    /// <summary>Parses 64 hex digits (either case); false otherwise.</summary>
    /// <param name="text">The hex text.</param>
    /// <param name="hash">The parsed hash.</param>
    public static bool TryParseHex([NotNullWhen(true)] string? text, out MerkleHash hash)
    {
        hash = default;
        if (text is null || text.Length != Size * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(text, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        hash = new MerkleHash(bytes);
        return true;
    }

    /// <summary>Parses standard base64 of exactly 32 bytes; false otherwise.</summary>
    /// <param name="text">The base64 text.</param>
    /// <param name="hash">The parsed hash.</param>
    public static bool TryParseBase64([NotNullWhen(true)] string? text, out MerkleHash hash)
    {
        hash = default;
        if (text is null || text.Length != 44)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[33];
        if (!Convert.TryFromBase64String(text, bytes, out var written) || written != Size)
        {
            return false;
        }

        hash = new MerkleHash(bytes[..Size]);
        return true;
    }

    /// <summary>Reads the hash at position <paramref name="slot"/> of a packed array of hashes.</summary>
    internal static MerkleHash ReadPacked(ReadOnlySpan<byte> packed, int slot) =>
        new(packed.Slice(slot * Size, Size));

    /// <summary>The first 4 bytes as a big-endian integer (for diagnostics).</summary>
    internal uint Prefix
    {
        get
        {
            Span<byte> bytes = stackalloc byte[Size];
            WriteTo(bytes);
            return BinaryPrimitives.ReadUInt32BigEndian(bytes);
        }
    }

    /// <inheritdoc />
    public bool Equals(MerkleHash other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MerkleHash other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    /// <inheritdoc />
    public override string ToString() => ToHex();

    /// <summary>Equality of the 32 bytes.</summary>
    public static bool operator ==(MerkleHash left, MerkleHash right) => left.Equals(right);

    /// <summary>Inequality of the 32 bytes.</summary>
    public static bool operator !=(MerkleHash left, MerkleHash right) => !left.Equals(right);
}
