// Keyed pseudonyms for patient identifiers: HMAC-SHA-256 (RFC 2104, FIPS 198-1) under a per-federation
// key of at least 32 bytes. The same identifier always maps to the same pseudonym within a federation
// (so an auditor holding the key can answer "who saw patient X"), and without the key a pseudonym
// reveals nothing about the identifier, even for small identifier spaces.
using System.Security.Cryptography;
using System.Text;
using Konfido.Core;

namespace Konfido.Ledger.Log;

/// <summary>
/// Turns patient identifiers into keyed pseudonyms (<c>hmac-sha256:</c> + 64 hex digits), either under a key it holds
/// or through a <see cref="KeyedHash"/> (a custody key the pseudonymiser never sees). In the second case the latest
/// pseudonyms are remembered (at most <see cref="CacheCapacity"/>), so that the same patient's next events cost no
/// custody call: the key stays in custody, the memory holds identifiers and pseudonyms the node handles anyway.
/// </summary>
public sealed class PatientPseudonymiser : IDisposable
{
    /// <summary>The prefix of every pseudonym.</summary>
    public const string Prefix = "hmac-sha256:";

    /// <summary>How many pseudonyms computed through a <see cref="KeyedHash"/> are remembered.</summary>
    public const int CacheCapacity = 4096;

    private readonly byte[]? _key;
    private readonly KeyedHash? _hash;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string>? _cache;
    private bool _disposed;

    /// <summary>Creates the pseudonymiser. Requires a key of at least 32 bytes (copied).</summary>
    /// <param name="federationKey">The federation's pseudonymisation key.</param>
    public PatientPseudonymiser(ReadOnlySpan<byte> federationKey)
    {
        if (federationKey.Length < 32)
        {
            throw new ArgumentException("The pseudonymisation key must be at least 32 bytes.", nameof(federationKey));
        }

        _key = federationKey.ToArray();
    }

    /// <summary>Creates a pseudonymiser that computes through <paramref name="federationKeyHash"/> (HMAC-SHA-256 under the federation's key).</summary>
    /// <param name="federationKeyHash">The keyed hash, e.g. through the node's key custody.</param>
    public PatientPseudonymiser(KeyedHash federationKeyHash)
    {
        ArgumentNullException.ThrowIfNull(federationKeyHash);
        _hash = federationKeyHash;
        _cache = new(StringComparer.Ordinal);
    }

    /// <summary>The pseudonym of <paramref name="patientId"/> (trimmed; case-sensitive). Requires a non-empty identifier.</summary>
    /// <param name="patientId">The clear identifier, e.g. a national id with its assigning-authority prefix.</param>
    public string Pseudonymise(string patientId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var id = patientId.Trim();
        if (_cache is not null && _cache.TryGetValue(id, out var known))
        {
            return known;
        }

        Span<byte> mac = stackalloc byte[32];
        if (_hash is not null)
        {
            _hash(Encoding.UTF8.GetBytes(id), mac);
        }
        else
        {
            HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(id), mac);
        }

        var pseudonym = Prefix + Convert.ToHexStringLower(mac);
        if (_cache is not null)
        {
            if (_cache.Count >= CacheCapacity)
            {
                _cache.Clear();
            }

            _cache[id] = pseudonym;
        }

        return pseudonym;
    }

    /// <summary>Zeroises the key (if it holds one) and forgets the remembered pseudonyms.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            if (_key is not null)
            {
                CryptographicOperations.ZeroMemory(_key);
            }

            _cache?.Clear();
            _disposed = true;
        }
    }
}
