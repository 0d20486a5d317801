// Primality and roots of unity for NTT-friendly primes.
// References:
//  - G. Miller (1976), M. Rabin (1980); deterministic bases {2,3,5,7,11,13,17,19,23,29,31,37}
//    suffice for all n < 3.3 * 10^24 (J. Sorenson, J. Webster, "Strong pseudoprimes to twelve prime
//    bases", Math. Comp. 2017), hence for every 64-bit n.
//  - A prime q = 1 (mod 2N) has primitive 2N-th roots of unity: g^((q-1)/2N) for a generator g.
using System.Numerics;

namespace Konfido.He.Arithmetic;

/// <summary>Primality, NTT-friendly prime generation and primitive roots of unity.</summary>
public static class NumberTheory
{
    private static readonly ulong[] WitnessBases = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];

    /// <summary>Deterministic Miller–Rabin primality test for any 64-bit value.</summary>
    public static bool IsPrime(ulong n)
    {
        if (n < 2)
        {
            return false;
        }

        foreach (ulong p in WitnessBases)
        {
            if (n % p == 0)
            {
                return n == p;
            }
        }

        ulong d = n - 1;
        int s = BitOperations.TrailingZeroCount(d);
        d >>= s;
        foreach (ulong a in WitnessBases)
        {
            ulong x = PowMod(a, d, n);
            if (x == 1 || x == n - 1)
            {
                continue;
            }

            bool composite = true;
            for (int r = 1; r < s; r++)
            {
                x = MulMod(x, x, n);
                if (x == n - 1)
                {
                    composite = false;
                    break;
                }
            }

            if (composite)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The <paramref name="count"/> largest primes q &lt; 2^<paramref name="bitSize"/> with q = 1 (mod 2N)
    /// and exactly <paramref name="bitSize"/> bits, in decreasing order. Requires N a power of two,
    /// 2 &lt;= bitSize &lt;= 61.
    /// </summary>
    public static IReadOnlyList<ulong> GenerateNttPrimes(int bitSize, int count, int polyModulusDegree) =>
        GenerateNttPrimes(bitSize, count, polyModulusDegree, new HashSet<ulong>());

    /// <summary>As <see cref="GenerateNttPrimes(int,int,int)"/>, skipping the primes in <paramref name="exclude"/>.</summary>
    public static IReadOnlyList<ulong> GenerateNttPrimes(int bitSize, int count, int polyModulusDegree, IReadOnlySet<ulong> exclude)
    {
        ArgumentNullException.ThrowIfNull(exclude);
        if (bitSize < 2 || bitSize > Modulus.MaxBitCount)
        {
            throw new ArgumentOutOfRangeException(nameof(bitSize), "bit size must be in [2, 61].");
        }

        if (polyModulusDegree < 1 || !BitOperations.IsPow2(polyModulusDegree))
        {
            throw new ArgumentOutOfRangeException(nameof(polyModulusDegree), "the degree must be a power of two.");
        }

        ulong step = 2UL * (ulong)polyModulusDegree;
        ulong lower = 1UL << (bitSize - 1);
        ulong candidate = (1UL << bitSize) - step + 1;
        var result = new List<ulong>(count);
        while (result.Count < count)
        {
            if (candidate <= lower || candidate > (1UL << bitSize))
            {
                throw new InvalidOperationException(
                    $"not enough {bitSize}-bit primes congruent to 1 mod {step}.");
            }

            if (!exclude.Contains(candidate) && IsPrime(candidate))
            {
                result.Add(candidate);
            }

            candidate -= step;
        }

        return result;
    }

    /// <summary>
    /// The smallest primitive <paramref name="degree"/>-th root of unity modulo the prime q (in the
    /// sense of the minimal value among all primitive roots, which makes tables reproducible).
    /// Requires degree a power of two dividing q - 1.
    /// </summary>
    public static ulong MinimalPrimitiveRoot(ulong degree, Modulus q)
    {
        ulong root = FindPrimitiveRoot(degree, q);
        // All primitive roots are root^k with k odd; pick the smallest.
        ulong generatorSquare = q.Multiply(root, root);
        ulong current = root, minimal = root;
        for (ulong i = 0; i < degree / 2; i++)
        {
            if (current < minimal)
            {
                minimal = current;
            }

            current = q.Multiply(current, generatorSquare);
        }

        return minimal;
    }

    /// <summary>Some primitive <paramref name="degree"/>-th root of unity modulo the prime q.</summary>
    public static ulong FindPrimitiveRoot(ulong degree, Modulus q)
    {
        if (degree < 2 || !BitOperations.IsPow2(degree) || (q.Value - 1) % degree != 0)
        {
            throw new ArgumentException($"{degree} must be a power of two dividing q - 1 = {q.Value - 1}.", nameof(degree));
        }

        ulong cofactor = (q.Value - 1) / degree;
        for (ulong g = 2; g < q.Value; g++)
        {
            ulong candidate = q.Pow(g, cofactor);
            // candidate has order dividing degree; it is primitive iff candidate^(degree/2) = -1.
            if (q.Pow(candidate, degree / 2) == q.Value - 1)
            {
                return candidate;
            }
        }

        throw new ArgumentException($"{q.Value} has no primitive {degree}-th root of unity.", nameof(q));
    }

    /// <summary>True when r is a primitive degree-th root of unity modulo q (degree a power of two).</summary>
    public static bool IsPrimitiveRoot(ulong r, ulong degree, Modulus q) =>
        degree >= 2 && q.Pow(r, degree / 2) == q.Value - 1;

    internal static ulong MulMod(ulong a, ulong b, ulong n) => (ulong)(Math.BigMul(a, b) % n);

    internal static ulong PowMod(ulong a, ulong e, ulong n)
    {
        ulong result = 1 % n;
        a %= n;
        while (e != 0)
        {
            if ((e & 1) != 0)
            {
                result = MulMod(result, a, n);
            }

            a = MulMod(a, a, n);
            e >>= 1;
        }

        return result;
    }
}
