// Keyed pseudonyms for patient identifiers: HMAC-SHA-256 (RFC 2104, FIPS 198-1) under a per-federation
// key of at least 32 bytes. The same identifier always maps to the same pseudonym within a federation
// (so an auditor holding the key can answer "who saw patient X"), and without the key a pseudonym
// reveals nothing about the identifier, even for small identifier spaces.
using System.Security.Cryptography;
using System.Text;

namespace Konfido.Ledger.Log;

/// <summary>Turns patient identifiers into keyed pseudonyms (<c>hmac-sha256:</c> + 64 hex digits).</summary>
public sealed class PatientPseudonymiser : IDisposable
{
    /// <summary>The prefix of every pseudonym.</summary>
    public const string Prefix = "hmac-sha256:";

    private readonly byte[] _key;
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

    /// <summary>The pseudonym of <paramref name="patientId"/> (trimmed; case-sensitive). Requires a non-empty identifier.</summary>
    /// <param name="patientId">The clear identifier, e.g. a national id with its assigning-authority prefix.</param>
    public string Pseudonymise(string patientId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(patientId.Trim()), mac);
        return Prefix + Convert.ToHexStringLower(mac);
    }

    /// <summary>Zeroises the key.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_key);
            _disposed = true;
        }
    }
}
