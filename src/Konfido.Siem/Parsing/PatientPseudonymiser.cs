using System.Security.Cryptography;
using System.Text;

namespace Konfido.Siem.Parsing;

/// <summary>
/// Replaces patient identifiers with keyed pseudonyms before events are stored or shared:
/// HMAC-SHA256 (RFC 2104, FIPS 180-4) of the UTF-8 identifier under a node secret, truncated to
/// 128 bits and hex-encoded. The same identifier gives the same pseudonym under the same key, so
/// rules can still count distinct patients; without the key a pseudonym cannot be reversed or
/// recomputed from a guessed identifier.
/// </summary>
public sealed class PatientPseudonymiser : IDisposable
{
    /// <summary>The prefix of every pseudonym, so that a pseudonym is never mistaken for an identifier.</summary>
    public const string Prefix = "pp1:";

    private readonly byte[] _key;

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

        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(patientId), mac);
        return Prefix + Convert.ToHexStringLower(mac[..16]);
    }

    /// <inheritdoc />
    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
