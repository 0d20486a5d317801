// A robust code-offset fuzzy extractor.
// References: Y. Dodis, L. Reyzin, A. Smith, "Fuzzy extractors", Eurocrypt 2004 (code-offset secure
// sketch, entropy loss n - k); X. Boyen et al., "Secure remote authentication using biometric data",
// Eurocrypt 2005 (robustness: binding the helper data into a MAC keyed from the secret);
// RFC 5869 (HKDF-SHA-256, the strong extractor); J. von Neumann, "Various techniques used in
// connection with random digits" (1951) and Maes, Van Herrewege, Verbauwhede, "PUFKY", CHES 2012
// (index-based debiasing of PUF responses).
// Generation: w = response bits (after optional von Neumann pair selection), s random of B·k bits,
// offset = w XOR C(s); PRK = HKDF-Extract(salt, w); tag = HMAC(HKDF-Expand(PRK, "tag"), helper body);
// key = HKDF-Expand(PRK, "key" || SHA-256(helper body)). Reproduction decodes w' XOR offset to C(s),
// recovers w = offset XOR C(s) and accepts the helper data only if the tag verifies in constant time.
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Konfido.Puf.Keys;

/// <summary>Why a key could not be reproduced.</summary>
public enum KeyReproductionFailure
{
    /// <summary>The key was reproduced.</summary>
    None,

    /// <summary>The helper data is not well-formed.</summary>
    MalformedHelperData,

    /// <summary>The helper data was made for other parameters or another response length.</summary>
    ParameterMismatch,

    /// <summary>The response differs too much from the enrolled one: a block was uncorrectable.</summary>
    Uncorrectable,

    /// <summary>Decoding succeeded but the helper data's integrity tag did not verify: tampering, or a miscorrection.</summary>
    IntegrityCheckFailed,
}

/// <summary>The result of <see cref="FuzzyExtractor.Reproduce"/>: the key, or why there is none.</summary>
/// <param name="Key">The reproduced key, or null.</param>
/// <param name="Failure">Why reproduction failed (<see cref="KeyReproductionFailure.None"/> on success).</param>
/// <param name="CorrectedBits">Outer-code bits corrected (0 on failure).</param>
public sealed record KeyReproduction(byte[]? Key, KeyReproductionFailure Failure, int CorrectedBits)
{
    /// <summary>True when the key was reproduced.</summary>
    public bool Succeeded => Failure == KeyReproductionFailure.None;
}

/// <summary>The result of <see cref="FuzzyExtractor.Generate"/>: the key and its public helper data.</summary>
/// <param name="Key">The key (secret; zeroise after use).</param>
/// <param name="HelperData">The public, integrity-protected helper data.</param>
public sealed record KeyGeneration(byte[] Key, byte[] HelperData);

/// <summary>
/// Turns noisy PUF response bits into a stable 128/256-bit key with public helper data (see the file
/// header). Immutable and thread-safe.
/// </summary>
public sealed class FuzzyExtractor
{
    private static readonly byte[] Magic = "KFE1"u8.ToArray();
    private const int SaltBytes = 16;
    private const int TagBytes = 32;

    /// <summary>Creates the extractor.</summary>
    /// <param name="settings">Validated settings.</param>
    public FuzzyExtractor(FuzzyExtractorSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
    }

    /// <summary>The settings.</summary>
    public FuzzyExtractorSettings Settings { get; }

    /// <summary>Response bits needed without debiasing (the codeword length); about four times as many with it.</summary>
    public int CodewordBits => Settings.Code.CodewordBits;

    /// <summary>
    /// Generates a key and helper data from enrolment response bits (0/1 per byte). Requires at least
    /// <see cref="CodewordBits"/> bits (after debiasing, if enabled); extra bits are ignored.
    /// </summary>
    /// <param name="response">The enrolment response bits (a reliable reference, e.g. a majority of reads).</param>
    public KeyGeneration Generate(ReadOnlySpan<byte> response)
    {
        var p = Settings.Parameters;
        var code = Settings.Code;
        byte[]? pairMap = null;
        byte[] w;
        if (p.Debias)
        {
            // Keep pairs whose bits differ; the kept bit is the first of the pair.
            pairMap = new byte[response.Length / 2];
            var selected = new List<byte>(response.Length / 4);
            for (var i = 0; i < pairMap.Length && selected.Count < code.CodewordBits; i++)
            {
                if (response[2 * i] != response[2 * i + 1])
                {
                    pairMap[i] = 1;
                    selected.Add((byte)(response[2 * i] & 1));
                }
            }

            w = [.. selected];
        }
        else
        {
            w = response.Length >= code.CodewordBits ? response[..code.CodewordBits].ToArray() : response.ToArray();
        }

        if (w.Length < code.CodewordBits)
        {
            throw new ArgumentException($"the response yields {w.Length} usable bits, {code.CodewordBits} are needed", nameof(response));
        }

        var secret = new byte[code.MessageBits];
        var random = RandomNumberGenerator.GetBytes((secret.Length + 7) / 8);
        for (var i = 0; i < secret.Length; i++)
        {
            secret[i] = (byte)(random[i >> 3] >> (i & 7) & 1);
        }

        var codeword = new byte[code.CodewordBits];
        code.Encode(secret, codeword);
        var offset = new byte[code.CodewordBits];
        for (var i = 0; i < offset.Length; i++)
        {
            offset[i] = (byte)(w[i] ^ codeword[i]);
        }

        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var body = WriteBody(p, response.Length, salt, BitPacking.Pack(offset), pairMap is null ? null : BitPacking.Pack(pairMap));
        var (key, tag) = Derive(w, salt, body, p.KeyBytes);
        var helper = new byte[body.Length + TagBytes];
        body.CopyTo(helper, 0);
        tag.CopyTo(helper, body.Length);
        CryptographicOperations.ZeroMemory(w);
        CryptographicOperations.ZeroMemory(secret);
        CryptographicOperations.ZeroMemory(codeword);
        CryptographicOperations.ZeroMemory(random);
        return new KeyGeneration(key, helper);
    }

    /// <summary>
    /// Reproduces the key from a fresh noisy response of the same length as at generation and the helper data.
    /// A failure is a result, never an exception.
    /// </summary>
    /// <param name="response">The fresh response bits.</param>
    /// <param name="helperData">The helper data from <see cref="Generate"/>.</param>
    public KeyReproduction Reproduce(ReadOnlySpan<byte> response, ReadOnlySpan<byte> helperData)
    {
        var p = Settings.Parameters;
        var code = Settings.Code;
        if (!TryReadBody(helperData, out var parsed))
        {
            return new KeyReproduction(null, KeyReproductionFailure.MalformedHelperData, 0);
        }

        if (parsed.Parameters != p || parsed.ResponseBits != response.Length)
        {
            return new KeyReproduction(null, KeyReproductionFailure.ParameterMismatch, 0);
        }

        var offset = BitPacking.Unpack(parsed.Offset, code.CodewordBits);
        var noisy = new byte[code.CodewordBits];
        if (parsed.PairMap is { } packedMap)
        {
            var map = BitPacking.Unpack(packedMap, response.Length / 2);
            var j = 0;
            for (var i = 0; i < map.Length && j < noisy.Length; i++)
            {
                if (map[i] == 1)
                {
                    noisy[j++] = (byte)(response[2 * i] & 1);
                }
            }

            if (j < noisy.Length)
            {
                return new KeyReproduction(null, KeyReproductionFailure.MalformedHelperData, 0);
            }
        }
        else
        {
            response[..code.CodewordBits].CopyTo(noisy);
        }

        for (var i = 0; i < noisy.Length; i++)
        {
            noisy[i] ^= offset[i]; // w' XOR w XOR C(s) = C(s) + error
        }

        var corrected = code.DecodeToCodeword(noisy);
        if (corrected < 0)
        {
            CryptographicOperations.ZeroMemory(noisy);
            return new KeyReproduction(null, KeyReproductionFailure.Uncorrectable, 0);
        }

        for (var i = 0; i < noisy.Length; i++)
        {
            noisy[i] ^= offset[i]; // w = C(s) XOR offset
        }

        var bodyLength = helperData.Length - TagBytes;
        var (key, tag) = Derive(noisy, parsed.Salt, helperData[..bodyLength], p.KeyBytes);
        CryptographicOperations.ZeroMemory(noisy);
        if (!CryptographicOperations.FixedTimeEquals(tag, helperData[bodyLength..]))
        {
            CryptographicOperations.ZeroMemory(key);
            return new KeyReproduction(null, KeyReproductionFailure.IntegrityCheckFailed, 0);
        }

        return new KeyReproduction(key, KeyReproductionFailure.None, corrected);
    }

    private static (byte[] Key, byte[] Tag) Derive(ReadOnlySpan<byte> w, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> body, int keyBytes)
    {
        var ikm = BitPacking.Pack(w);
        Span<byte> prk = stackalloc byte[32];
        HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt, prk);
        CryptographicOperations.ZeroMemory(ikm);
        var tagKey = new byte[32];
        HKDF.Expand(HashAlgorithmName.SHA256, prk, tagKey, "konfido-puf fe v1 helper-tag"u8);
        var tag = HMACSHA256.HashData(tagKey, body);
        CryptographicOperations.ZeroMemory(tagKey);
        var label = "konfido-puf fe v1 key"u8;
        var info = new byte[label.Length + 32];
        label.CopyTo(info);
        SHA256.HashData(body, info.AsSpan(label.Length));
        var key = new byte[keyBytes];
        HKDF.Expand(HashAlgorithmName.SHA256, prk, key, info);
        CryptographicOperations.ZeroMemory(prk);
        return (key, tag);
    }

    // Body: "KFE1" | m | t | r | B | keyBytes | debias | responseBits (u32) | salt (16) |
    //       offsetLength (u32 bytes) | offset | pairMapLength (u32 bytes) | pairMap.   Then the 32-byte tag.
    private static byte[] WriteBody(FuzzyExtractorParameters p, int responseBits, byte[] salt, byte[] offset, byte[]? pairMap)
    {
        using var stream = new MemoryStream();
        stream.Write(Magic);
        stream.Write([(byte)p.BchM, (byte)p.BchT, (byte)p.Repetition, (byte)p.Blocks, (byte)p.KeyBytes, p.Debias ? (byte)1 : (byte)0]);
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(u32, responseBits);
        stream.Write(u32);
        stream.Write(salt);
        BinaryPrimitives.WriteInt32BigEndian(u32, offset.Length);
        stream.Write(u32);
        stream.Write(offset);
        var map = pairMap ?? [];
        BinaryPrimitives.WriteInt32BigEndian(u32, map.Length);
        stream.Write(u32);
        stream.Write(map);
        return stream.ToArray();
    }

    private sealed record ParsedHelper(FuzzyExtractorParameters Parameters, int ResponseBits, byte[] Salt, byte[] Offset, byte[]? PairMap);

    private bool TryReadBody(ReadOnlySpan<byte> helper, out ParsedHelper parsed)
    {
        parsed = null!;
        const int fixedPart = 4 + 6 + 4 + SaltBytes + 4;
        if (helper.Length < fixedPart + 4 + TagBytes || !helper[..4].SequenceEqual(Magic))
        {
            return false;
        }

        var p = new FuzzyExtractorParameters(helper[4], helper[5], helper[6], helper[7], helper[8], helper[9] == 1);
        if (helper[9] > 1)
        {
            return false;
        }

        var responseBits = BinaryPrimitives.ReadInt32BigEndian(helper[10..]);
        var salt = helper.Slice(14, SaltBytes).ToArray();
        var offsetLength = BinaryPrimitives.ReadInt32BigEndian(helper[(14 + SaltBytes)..]);
        var position = fixedPart;
        if (responseBits < 0 || offsetLength != (Settings.Code.CodewordBits + 7) / 8 || helper.Length < position + offsetLength + 4 + TagBytes)
        {
            return false;
        }

        var offset = helper.Slice(position, offsetLength).ToArray();
        position += offsetLength;
        var mapLength = BinaryPrimitives.ReadInt32BigEndian(helper[position..]);
        position += 4;
        if (mapLength < 0 || helper.Length != position + mapLength + TagBytes)
        {
            return false;
        }

        if (p.Debias != (mapLength > 0) || (p.Debias && mapLength != (responseBits / 2 + 7) / 8))
        {
            return false;
        }

        var map = mapLength > 0 ? helper.Slice(position, mapLength).ToArray() : null;
        parsed = new ParsedHelper(p, responseBits, salt, offset, map);
        return true;
    }
}
