// Encryption parameters and the HomomorphicEncryption.org security limits.
// References:
//  - M. Albrecht et al., "Homomorphic Encryption Security Standard", HomomorphicEncryption.org,
//    Toronto, 2018, Table 1 (ternary secrets, classical security 128/192/256 bits).
//  - Microsoft SEAL 4.x, native/src/seal/util/hestdparms.h (the same limits) and CoeffModulus defaults.
using System.Numerics;
using Konfido.He.Arithmetic;

namespace Konfido.He;

/// <summary>The homomorphic encryption scheme.</summary>
public enum SchemeType
{
    /// <summary>No scheme chosen.</summary>
    None = 0,

    /// <summary>Brakerski/Fan–Vercauteren: exact integer arithmetic modulo t (scale-invariant).</summary>
    Bfv = 1,

    /// <summary>Cheon–Kim–Kim–Song: approximate arithmetic on real/complex vectors.</summary>
    Ckks = 2,

    /// <summary>Brakerski–Gentry–Vaikuntanathan: exact arithmetic modulo t, plaintext in the low bits.</summary>
    Bgv = 3,
}

/// <summary>A classical security level of the HomomorphicEncryption.org standard.</summary>
public enum SecurityLevel
{
    /// <summary>No limit enforced (for experiments only).</summary>
    None = 0,

    /// <summary>128-bit classical security.</summary>
    Tc128 = 128,

    /// <summary>192-bit classical security.</summary>
    Tc192 = 192,

    /// <summary>256-bit classical security.</summary>
    Tc256 = 256,
}

/// <summary>
/// The parameters a user writes (as in SEAL): scheme, degree N, coefficient modulus primes and
/// plaintext modulus. Validated once by <see cref="HeContext"/>.
/// </summary>
public sealed record EncryptionParameters(SchemeType Scheme)
{
    /// <summary>The degree N of X^N + 1 (a power of two, 1024..32768).</summary>
    public int PolyModulusDegree { get; set; }

    /// <summary>The primes q_0..q_k (the last one is the special prime of key switching).</summary>
    public IReadOnlyList<Modulus> CoeffModulus { get; set; } = [];

    /// <summary>The plaintext modulus t (BFV and BGV only).</summary>
    public Modulus? PlainModulus { get; set; }

    /// <summary>Sets <see cref="PlainModulus"/> from a value.</summary>
    public void SetPlainModulus(ulong value) => PlainModulus = new Modulus(value);
}

/// <summary>Coefficient modulus chains, as SEAL's CoeffModulus.</summary>
public static class CoeffModulus
{
    /// <summary>The largest total bit count of the coefficient modulus for N at the given level.</summary>
    public static int MaxBitCount(int polyModulusDegree, SecurityLevel level = SecurityLevel.Tc128)
    {
        int index = polyModulusDegree switch
        {
            1024 => 0,
            2048 => 1,
            4096 => 2,
            8192 => 3,
            16384 => 4,
            32768 => 5,
            _ => -1,
        };
        if (index < 0)
        {
            return 0;
        }

        return level switch
        {
            SecurityLevel.Tc128 => new[] { 27, 54, 109, 218, 438, 881 }[index],
            SecurityLevel.Tc192 => new[] { 19, 37, 75, 152, 305, 611 }[index],
            SecurityLevel.Tc256 => new[] { 14, 29, 58, 118, 237, 476 }[index],
            _ => int.MaxValue,
        };
    }

    /// <summary>
    /// SEAL's default BFV chain for N at the given level: the largest standard-compliant modulus
    /// split into primes of 27..60 bits (the last is the special prime).
    /// </summary>
    public static IReadOnlyList<Modulus> BFVDefault(int polyModulusDegree, SecurityLevel level = SecurityLevel.Tc128)
    {
        int[] bits = (polyModulusDegree, level) switch
        {
            (1024, SecurityLevel.Tc128) => [27],
            (2048, SecurityLevel.Tc128) => [54],
            (4096, SecurityLevel.Tc128) => [36, 36, 37],
            (8192, SecurityLevel.Tc128) => [43, 43, 44, 44, 44],
            (16384, SecurityLevel.Tc128) => [48, 48, 48, 49, 49, 49, 49, 49, 49],
            (32768, SecurityLevel.Tc128) => [55, 55, 55, 55, 55, 55, 55, 55, 55, 55, 55, 55, 55, 55, 55, 56],
            (1024, SecurityLevel.Tc192) => [19],
            (2048, SecurityLevel.Tc192) => [37],
            (4096, SecurityLevel.Tc192) => [25, 25, 25],
            (8192, SecurityLevel.Tc192) => [38, 38, 38, 38],
            (16384, SecurityLevel.Tc192) => [50, 51, 51, 51, 51, 51],
            (32768, SecurityLevel.Tc192) => [55, 55, 55, 55, 55, 55, 55, 55, 55, 56, 56],
            (1024, SecurityLevel.Tc256) => [14],
            (2048, SecurityLevel.Tc256) => [29],
            (4096, SecurityLevel.Tc256) => [58],
            (8192, SecurityLevel.Tc256) => [39, 39, 40],
            (16384, SecurityLevel.Tc256) => [47, 47, 47, 48, 48],
            (32768, SecurityLevel.Tc256) => [52, 52, 52, 52, 53, 53, 53, 53, 53],
            _ => throw new ArgumentOutOfRangeException(nameof(polyModulusDegree),
                $"no default coefficient modulus for N = {polyModulusDegree} at {level}."),
        };
        return Create(polyModulusDegree, bits);
    }

    /// <summary>
    /// Distinct NTT-friendly primes (q = 1 mod 2N) of the given bit sizes, each the largest
    /// available of its size. Requires N a power of two and sizes in [2, 60].
    /// </summary>
    public static IReadOnlyList<Modulus> Create(int polyModulusDegree, IEnumerable<int> bitSizes)
    {
        ArgumentNullException.ThrowIfNull(bitSizes);
        if (polyModulusDegree < 2 || !BitOperations.IsPow2(polyModulusDegree))
        {
            throw new ArgumentOutOfRangeException(nameof(polyModulusDegree), "N must be a power of two.");
        }

        int[] sizes = [.. bitSizes];
        foreach (int size in sizes)
        {
            if (size < 2 || size > 60)
            {
                throw new ArgumentOutOfRangeException(nameof(bitSizes), $"a prime size of {size} bits is outside [2, 60].");
            }
        }

        var result = new Modulus[sizes.Length];
        foreach (var group in sizes.Select((size, index) => (size, index)).GroupBy(p => p.size))
        {
            var primes = NumberTheory.GenerateNttPrimes(group.Key, group.Count(), polyModulusDegree);
            int next = 0;
            foreach (var (_, index) in group)
            {
                result[index] = new Modulus(primes[next++]);
            }
        }

        return result;
    }
}

/// <summary>Plaintext moduli, as SEAL's PlainModulus.</summary>
public static class PlainModulus
{
    /// <summary>A prime t = 1 (mod 2N) of the given bit size, enabling batching.</summary>
    public static Modulus Batching(int polyModulusDegree, int bitSize) =>
        new(NumberTheory.GenerateNttPrimes(bitSize, 1, polyModulusDegree)[0]);

    /// <summary>Distinct batching primes of the given sizes.</summary>
    public static IReadOnlyList<Modulus> Batching(int polyModulusDegree, IEnumerable<int> bitSizes) =>
        CoeffModulus.Create(polyModulusDegree, bitSizes);
}
