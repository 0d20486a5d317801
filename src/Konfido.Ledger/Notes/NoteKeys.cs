// Key encodings of C2SP signed-note (https://c2sp.org/signed-note, "Ed25519 signatures") as the Go
// reference (golang.org/x/mod/sumdb/note) writes them:
//   verifier key: <name>+<hex8 key ID>+base64(type || public key)
//   signer key:   PRIVATE+KEY+<name>+<hex8 key ID>+base64(type || private key)
//   key ID = SHA-256(name || 0x0A || type || public key)[:4], big-endian.
// Types: 0x01 Ed25519 note signature (32-byte key, 32-byte seed), 0x04 Ed25519 cosignature/v1
// (c2sp.org/tlog-cosignature), 0x06 ML-DSA-44 cosignature (1312-byte public key, 32-byte seed).
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Konfido.Ledger.Notes;

/// <summary>The signature type identifier bytes of C2SP signed-note that Konfido uses.</summary>
public enum NoteSignatureType : byte
{
    /// <summary>0x01: Ed25519 over the note text.</summary>
    Ed25519 = 0x01,

    /// <summary>0x04: timestamped Ed25519 witness cosignature (cosignature/v1).</summary>
    CosignatureV1 = 0x04,

    /// <summary>0x06: timestamped ML-DSA-44 cosignature (subtree/v1 message).</summary>
    MlDsa44Cosignature = 0x06,
}

/// <summary>Key names, key IDs and key-string encodings of C2SP signed notes.</summary>
public static class NoteKeys
{
    /// <summary>The prefix of a signer (private) key string.</summary>
    public const string PrivateKeyPrefix = "PRIVATE+KEY+";

    /// <summary>Whether <paramref name="name"/> is a valid key name: non-empty, no Unicode space, no '+'.</summary>
    /// <param name="name">The candidate name.</param>
    public static bool IsValidName([NotNullWhen(true)] string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c == '+' || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The key ID SHA-256(name || 0x0A || type || publicKey)[:4] as a big-endian integer.</summary>
    /// <param name="name">The key name.</param>
    /// <param name="type">The signature type byte.</param>
    /// <param name="publicKey">The encoded public key.</param>
    public static uint KeyId(string name, NoteSignatureType type, ReadOnlySpan<byte> publicKey)
    {
        ArgumentNullException.ThrowIfNull(name);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(input, 0);
        input[nameBytes.Length] = 0x0A;
        input[nameBytes.Length + 1] = (byte)type;
        publicKey.CopyTo(input.AsSpan(nameBytes.Length + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }

    /// <summary>Encodes a verifier key string <c>name+hash+base64(type||key)</c>.</summary>
    /// <param name="name">The key name.</param>
    /// <param name="type">The signature type.</param>
    /// <param name="publicKey">The public key.</param>
    public static string FormatVerifierKey(string name, NoteSignatureType type, ReadOnlySpan<byte> publicKey)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid key name.", nameof(name));
        }

        var blob = new byte[1 + publicKey.Length];
        blob[0] = (byte)type;
        publicKey.CopyTo(blob.AsSpan(1));
        return $"{name}+{KeyId(name, type, publicKey):x8}+{Convert.ToBase64String(blob)}";
    }

    /// <summary>The parts of a key string: name, key ID, type and key material.</summary>
    /// <param name="Name">The key name.</param>
    /// <param name="KeyId">The key ID written in the string.</param>
    /// <param name="Type">The signature type byte.</param>
    /// <param name="Key">The key material after the type byte.</param>
    internal readonly record struct KeyParts(string Name, uint KeyId, NoteSignatureType Type, byte[] Key);

    /// <summary>Splits <c>name+hash+base64</c> (the base64 may itself contain '+').</summary>
    internal static bool TrySplit(string text, out KeyParts parts, [NotNullWhen(false)] out string? error)
    {
        parts = default;
        var first = text.IndexOf('+', StringComparison.Ordinal);
        var second = first < 0 ? -1 : text.IndexOf('+', first + 1);
        if (first <= 0 || second < 0)
        {
            error = "expected name+hash+base64";
            return false;
        }

        var name = text[..first];
        if (!IsValidName(name))
        {
            error = $"invalid key name '{name}'";
            return false;
        }

        var hash = text[(first + 1)..second];
        if (hash.Length != 8 || !uint.TryParse(hash, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var keyId))
        {
            error = $"the key hash '{hash}' is not 8 hex digits";
            return false;
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(text[(second + 1)..]);
        }
        catch (FormatException)
        {
            error = "the key material is not valid base64";
            return false;
        }

        if (blob.Length < 2)
        {
            error = "the key material is empty";
            return false;
        }

        parts = new KeyParts(name, keyId, (NoteSignatureType)blob[0], blob[1..]);
        error = null;
        return true;
    }
}
