using System.Security.Cryptography;
using System.Text;
using Konfido.Core;

namespace Konfido.Siem.Parsing;

/// <summary>
/// Replaces patient identifiers with keyed pseudonyms before events are stored or shared:
/// HMAC-SHA256 (RFC 2104, FIPS 180-4) of the UTF-8 identifier under a node secret, truncated to
/// 128 bits and hex-encoded. The same identifier gives the same pseudonym under the same key, so
/// rules can still count distinct patients; without the key a pseudonym cannot be reversed or
/// recomputed from a guessed identifier. The key is either held by the pseudonymiser or used through a
/// <see cref="KeyedHash"/> (a custody key it never sees); in the second case the latest pseudonyms are
/// remembered (at most <see cref="CacheCapacity"/>) so that the same patient's next events cost no custody call.
/// </summary>
public sealed class PatientPseudonymiser : IDisposable
{
    /// <summary>The prefix of every pseudonym, so that a pseudonym is never mistaken for an identifier.</summary>
    public const string Prefix = "pp1:";

    /// <summary>How many pseudonyms computed through a <see cref="KeyedHash"/> are remembered.</summary>
    public const int CacheCapacity = 4096;

    private readonly byte[]? _key;
    private readonly KeyedHash? _hash;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string>? _cache;

    /// <summary>Creates a pseudonymiser. Requires a key of at least 16 bytes; the key is copied.</summary>
    /// <param name="key">The secret key.</param>
    public PatientPseudonymiser(ReadOnlySpan<byte> key)
    {
        if (key.Length < 16)
        {
            throw new ArgumentException("the pseudonymisation key must be at least 16 bytes", nameof(key));
        }

        _key = key.ToArray();
    }

    /// <summary>Creates a pseudonymiser that computes through <paramref name="keyedHash"/> (HMAC-SHA-256 under the secret).</summary>
    /// <param name="keyedHash">The keyed hash, e.g. through the node's key custody.</param>
    public PatientPseudonymiser(KeyedHash keyedHash)
    {
        ArgumentNullException.ThrowIfNull(keyedHash);
        _hash = keyedHash;
        _cache = new(StringComparer.Ordinal);
    }

    /// <summary>A pseudonymiser with a fresh random key (pseudonyms are stable only for its lifetime).</summary>
    public static PatientPseudonymiser CreateRandom()
    {
        Span<byte> key = stackalloc byte[32];
        RandomNumberGenerator.Fill(key);
        var result = new PatientPseudonymiser(key);
        CryptographicOperations.ZeroMemory(key);
        return result;
    }

    /// <summary>The pseudonym of <paramref name="patientId"/>. Requires a non-empty identifier.</summary>
    /// <param name="patientId">The clear identifier.</param>
    public string Pseudonymise(string patientId)
    {
        ArgumentException.ThrowIfNullOrEmpty(patientId);
        if (patientId.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return patientId;
        }

        if (_cache is not null && _cache.TryGetValue(patientId, out var known))
        {
            return known;
        }

        Span<byte> mac = stackalloc byte[32];
        if (_hash is not null)
        {
            _hash(Encoding.UTF8.GetBytes(patientId), mac);
        }
        else
        {
            HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(patientId), mac);
        }

        var pseudonym = Prefix + Convert.ToHexStringLower(mac[..16]);
        if (_cache is not null)
        {
            if (_cache.Count >= CacheCapacity)
            {
                _cache.Clear();
            }

            _cache[patientId] = pseudonym;
        }

        return pseudonym;
    }

    /// <summary>Zeroises the key (if it holds one) and forgets the remembered pseudonyms.</summary>
    public void Dispose()
    {
        if (_key is not null)
        {
            CryptographicOperations.ZeroMemory(_key);
        }

        _cache?.Clear();
    }
}
