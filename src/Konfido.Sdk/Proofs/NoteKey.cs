// C2SP signed-note keys and signatures (https://c2sp.org/signed-note) and witness cosignatures
// (https://c2sp.org/tlog-cosignature), verification only:
//   verifier key  <name>+<hex8 key ID>+base64(type || 32-byte Ed25519 public key)
//   key ID        SHA-256(name || 0x0A || type || public key)[:4], big-endian
//   0x01 Ed25519 note signature over the note text (RFC 8032, 64 bytes)
//   0x04 cosignature/v1: u64 BE timestamp || Ed25519 over "cosignature/v1\ntime <t>\n" || note text
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BcEd25519 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Konfido.Sdk.Proofs;

/// <summary>The signature types a <see cref="NoteKey"/> verifies.</summary>
public enum NoteKeyType : byte
{
    /// <summary>0x01: Ed25519 over the note text (a log's checkpoint signature).</summary>
    Ed25519 = 0x01,

    /// <summary>0x04: a timestamped Ed25519 witness cosignature (cosignature/v1).</summary>
    CosignatureV1 = 0x04,
}

/// <summary>A C2SP signed-note verifier key (Ed25519 or cosignature/v1). Immutable.</summary>
public sealed class NoteKey
{
    private static readonly byte[] CosignatureHeader = "cosignature/v1\ntime "u8.ToArray();
    private readonly byte[] _publicKey;

    private NoteKey(string name, uint keyId, NoteKeyType type, byte[] publicKey, string text)
    {
        Name = name;
        KeyId = keyId;
        Type = type;
        _publicKey = publicKey;
        Text = text;
    }

    /// <summary>The key name (for a log key: the log's origin).</summary>
    public string Name { get; }

    /// <summary>The 32-bit key ID.</summary>
    public uint KeyId { get; }

    /// <summary>The signature type.</summary>
    public NoteKeyType Type { get; }

    /// <summary>The key string as parsed.</summary>
    public string Text { get; }

    /// <summary>Parses a verifier key; false with a reason if it is malformed, of another type, or its ID does not match.</summary>
    /// <param name="text">The key string <c>name+hash+base64</c>.</param>
    /// <param name="key">The key.</param>
    /// <param name="error">Why it was refused.</param>
    public static bool TryParse(string? text, [NotNullWhen(true)] out NoteKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        text = text?.Trim();
        var first = text?.IndexOf('+', StringComparison.Ordinal) ?? -1;
        var second = first < 0 ? -1 : text!.IndexOf('+', first + 1);
        if (text is null || first <= 0 || second < 0)
        {
            error = "expected name+hash+base64";
            return false;
        }

        var name = text[..first];
        if (!SignedNoteText.IsValidKeyName(name))
        {
            error = $"invalid key name '{name}'";
            return false;
        }

        if (!uint.TryParse(text.AsSpan(first + 1, second - first - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var keyId) || second - first - 1 != 8)
        {
            error = "the key hash is not 8 hex digits";
            return false;
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(text[(second + 1)..]);
        }
        catch (FormatException)
        {
            error = "the key material is not base64";
            return false;
        }

        if (blob.Length != 33 || blob[0] is not ((byte)NoteKeyType.Ed25519 or (byte)NoteKeyType.CosignatureV1))
        {
            error = blob.Length == 0 ? "the key material is empty" : $"unsupported key (type 0x{blob[0]:x2}, {blob.Length - 1} bytes): only Ed25519 (0x01) and cosignature/v1 (0x04)";
            return false;
        }

        var publicKey = blob[1..];
        if (ComputeKeyId(name, blob[0], publicKey) != keyId)
        {
            error = "the key hash does not match the name and key";
            return false;
        }

        key = new NoteKey(name, keyId, (NoteKeyType)blob[0], publicKey, text);
        error = null;
        return true;
    }

    /// <summary>Parses a verifier key or throws <see cref="FormatException"/> with the reason.</summary>
    /// <param name="text">The key string.</param>
    public static NoteKey Parse(string text) =>
        TryParse(text, out var key, out var error) ? key : throw new FormatException($"invalid note verifier key: {error}");

    /// <summary>Verifies a signature (the bytes after the key ID) over <paramref name="noteText"/>; false if it does not verify.</summary>
    /// <param name="noteText">The note text (UTF-8, ending in a newline).</param>
    /// <param name="signature">The signature bytes.</param>
    public bool Verify(ReadOnlySpan<byte> noteText, ReadOnlySpan<byte> signature)
    {
        if (Type == NoteKeyType.Ed25519)
        {
            return signature.Length == 64 && BcEd25519.Verify(signature.ToArray(), 0, _publicKey, 0, noteText.ToArray(), 0, noteText.Length);
        }

        if (signature.Length != 72)
        {
            return false;
        }

        var timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature);
        if (timestamp > long.MaxValue)
        {
            return false;
        }

        var time = Encoding.ASCII.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + "\n");
        var message = new byte[CosignatureHeader.Length + time.Length + noteText.Length];
        CosignatureHeader.CopyTo(message, 0);
        time.CopyTo(message, CosignatureHeader.Length);
        noteText.CopyTo(message.AsSpan(CosignatureHeader.Length + time.Length));
        return BcEd25519.Verify(signature[8..].ToArray(), 0, _publicKey, 0, message, 0, message.Length);
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private static uint ComputeKeyId(string name, byte type, ReadOnlySpan<byte> publicKey)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(input, 0);
        input[nameBytes.Length] = 0x0A;
        input[nameBytes.Length + 1] = type;
        publicKey.CopyTo(input.AsSpan(nameBytes.Length + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }
}

/// <summary>One signature line of a signed note.</summary>
/// <param name="Name">The key name.</param>
/// <param name="KeyId">The key ID.</param>
/// <param name="Signature">The signature bytes after the key ID.</param>
internal sealed record NoteSignatureLine(string Name, uint KeyId, byte[] Signature);

/// <summary>A parsed (unverified) signed note and its checkpoint body (c2sp.org/tlog-checkpoint).</summary>
internal sealed record SignedNoteText(string Text, IReadOnlyList<NoteSignatureLine> Signatures)
{
    public static bool IsValidKeyName(string? name) =>
        !string.IsNullOrEmpty(name) && !name.Any(c => c == '+' || char.IsWhiteSpace(c) || char.IsControl(c));

    /// <summary>Parses text, blank line, signature lines "— name base64(keyID || sig)".</summary>
    public static bool TryParse(string? serialised, [NotNullWhen(true)] out SignedNoteText? note, [NotNullWhen(false)] out string? error)
    {
        note = null;
        if (string.IsNullOrEmpty(serialised) || serialised[^1] != '\n')
        {
            error = "the note is empty or does not end in a newline";
            return false;
        }

        var split = serialised.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            error = "the note has no blank line before its signatures";
            return false;
        }

        var text = serialised[..(split + 1)];
        if (text.Any(c => c < 0x20 && c != '\n'))
        {
            error = "the note text holds a control character";
            return false;
        }

        var lines = serialised[(split + 2)..^1].Split('\n');
        var signatures = new List<NoteSignatureLine>();
        foreach (var line in lines)
        {
            if (!line.StartsWith("\u2014 ", StringComparison.Ordinal) || signatures.Count >= 64)
            {
                error = "a signature line does not start with an em dash and a space (or there are more than 64)";
                return false;
            }

            var space = line.IndexOf(' ', 2);
            var name = space < 0 ? null : line[2..space];
            if (!IsValidKeyName(name))
            {
                error = "a signature line has no valid key name";
                return false;
            }

            byte[] blob;
            try
            {
                blob = Convert.FromBase64String(line[(space + 1)..]);
            }
            catch (FormatException)
            {
                error = "a signature is not base64";
                return false;
            }

            if (blob.Length < 5)
            {
                error = "a signature is shorter than a key ID and one byte";
                return false;
            }

            signatures.Add(new NoteSignatureLine(name!, BinaryPrimitives.ReadUInt32BigEndian(blob), blob[4..]));
        }

        note = new SignedNoteText(text, signatures);
        error = null;
        return true;
    }

    /// <summary>Reads the checkpoint body: origin, decimal size, base64 root, extension lines.</summary>
    public bool TryReadCheckpoint(out string origin, out long size, [NotNullWhen(true)] out byte[]? root)
    {
        origin = string.Empty;
        size = 0;
        root = null;
        var lines = Text[..^1].Split('\n');
        if (lines.Length < 3 || lines[0].Length == 0 || lines[1].Length == 0 || (lines[1].Length > 1 && lines[1][0] == '0')
            || !lines[1].All(char.IsAsciiDigit) || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out size))
        {
            return false;
        }

        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            return false;
        }

        origin = lines[0];
        return root.Length == MerkleInclusion.HashSize && lines[3..].All(l => l.Length > 0);
    }
}
