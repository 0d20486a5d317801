using System.Numerics;
using Konfido.He.Arithmetic;
using Konfido.He.Rings;
using Konfido.He.Rlwe;

namespace Konfido.He.Tests;

/// <summary>
/// The fused key switch against a naive reference: the inner product of the digits with the key
/// computed by the (schoolbook-tested) ring layer over the level's primes and P, then the mod-down
/// by P done on big integers (round to nearest; BGV: the t-preserving rounding).
/// </summary>
public sealed class KeySwitchTests
{
    // Chains (bits, the last is P) with P above or below 4 q_j, and data primes of unequal sizes
    // (digits that must be reduced before their NTT).
    public static TheoryData<SchemeType, int[], int> Cases => new()
    {
        { SchemeType.Ckks, [40, 40, 45, 50], 1 },
        { SchemeType.Ckks, [50, 30, 45, 40], 2 },
        { SchemeType.Bfv, [40, 40, 45, 50], 2 },
        { SchemeType.Bfv, [50, 30, 45, 40], 1 },
        { SchemeType.Bfv, [45, 45, 44], 1 },
        { SchemeType.Bgv, [40, 40, 45, 50], 1 },
        { SchemeType.Bgv, [50, 30, 45, 40], 2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Key_switching_matches_the_big_integer_reference(SchemeType scheme, int[] bits, int threads)
    {
        const int n = 1024;
        var parms = new EncryptionParameters(scheme) { PolyModulusDegree = n, CoeffModulus = CoeffModulus.Create(n, bits) };
        if (scheme != SchemeType.Ckks)
        {
            parms.PlainModulus = PlainModulus.Batching(n, 17);
        }

        var context = new HeContext(parms, SecurityLevel.None, threads);
        var keygen = new KeyGenerator(context);
        keygen.CreateRelinKeys(out var relinKeys);
        var key = relinKeys.Keys[RelinKeys.RelinIndex];
        var quotients = relinKeys.ShoupQuotients(RelinKeys.RelinIndex, context);
        bool ntt = scheme != SchemeType.Bfv;
        var random = new Random(bits.Sum() + threads);
        for (var level = context.FirstContextData; level is not null; level = level.Next)
        {
            foreach (bool replaceSecond in new[] { false, true })
            {
                int index = replaceSecond ? 1 : 2;
                var data = RandomData(level, 3, random);
                var expected = Reference(context, level, data, index, ntt, key, replaceSecond);
                RlweCore.SwitchKeyInto(level, data, index, ntt, key, quotients, replaceSecond);
                for (int c = 0; c < 2; c++)
                {
                    Assert.Equal(expected[c], Compose(level, data.AsSpan(c * level.ModulusCount * n, level.ModulusCount * n), ntt));
                }
            }
        }
    }

    private static ulong[] RandomData(ContextData level, int size, Random random)
    {
        int n = level.Degree, l = level.ModulusCount;
        var data = new ulong[size * l * n];
        for (int c = 0; c < size; c++)
        {
            for (int j = 0; j < l; j++)
            {
                ulong q = level.Moduli[j].Value;
                for (int k = 0; k < n; k++)
                {
                    data[(c * l + j) * n + k] = random.Next(8) switch
                    {
                        0 => 0,
                        1 => q - 1,
                        _ => (ulong)random.NextInt64((long)q),
                    };
                }
            }
        }

        return data;
    }

    // Polynomials 0 and 1 after the switch, as coefficient vectors of integers in [0, Q_level).
    private static BigInteger[][] Reference(HeContext context, ContextData level, ulong[] data, int index, bool ntt, Ciphertext[] key, bool replaceSecond)
    {
        int n = level.Degree, l = level.ModulusCount;
        var keyLevel = context.KeyContextData;
        int special = keyLevel.ModulusCount - 1;
        // The ring over the level's primes and P, with the key residues of those primes.
        var primes = Enumerable.Range(0, l).Append(special).ToArray();
        var ring = new RnsRing([.. primes.Select(context.Tables)]);
        var target = ToCoefficients(level, data.AsSpan(index * l * n, l * n), ntt);
        var acc = new[] { ring.CreatePolynomial(), ring.CreatePolynomial() };
        foreach (var a in acc)
        {
            a.IsNttForm = true;
        }

        for (int i = 0; i < l; i++)
        {
            // Digit i: the canonical residues mod q_i, as integers, in every prime of the ring.
            var digit = ring.CreatePolynomial();
            for (int r = 0; r < primes.Length; r++)
            {
                var q = ring.Tables(r).Modulus;
                for (int k = 0; k < n; k++)
                {
                    digit.Data[r * n + k] = q.Reduce(target[i * n + k]);
                }
            }

            ring.ToNtt(digit);
            for (int c = 0; c < 2; c++)
            {
                var keyPart = ring.CreatePolynomial();
                keyPart.IsNttForm = true;
                for (int r = 0; r < primes.Length; r++)
                {
                    key[i].Limb(c, primes[r]).CopyTo(keyPart.Limb(r));
                }

                var product = ring.CreatePolynomial();
                ring.MultiplyPointwise(digit, keyPart, product);
                ring.Add(acc[c], product, acc[c]);
            }
        }

        var p = (BigInteger)keyLevel.Moduli[special].Value;
        var t = context.Parameters.PlainModulus;
        bool bgv = context.Parameters.Scheme == SchemeType.Bgv;
        var levelProduct = level.Ring.Base.Product;
        var result = new BigInteger[2][];
        for (int c = 0; c < 2; c++)
        {
            ring.FromNtt(acc[c]);
            var before = Compose(level, data.AsSpan(c * l * n, l * n), ntt);
            result[c] = new BigInteger[n];
            for (int k = 0; k < n; k++)
            {
                var x = ring.CoefficientCentered(acc[c], k);
                var delta = Centered(x, p);
                if (bgv)
                {
                    // delta = r + P k with k = [-r P^-1]_t centred: delta = 0 mod t.
                    var tv = (BigInteger)t!.Value.Value;
                    var pInverse = BigInteger.ModPow(p, tv - 2, tv);
                    delta += p * Centered(-delta * pInverse, tv);
                }

                var switched = (x - delta) / p;
                var sum = c == 1 && replaceSecond ? switched : before[k] + switched;
                result[c][k] = ((sum % levelProduct) + levelProduct) % levelProduct;
            }
        }

        return result;
    }

    private static BigInteger Centered(BigInteger x, BigInteger m)
    {
        var r = ((x % m) + m) % m;
        return r > m / 2 ? r - m : r;
    }

    private static ulong[] ToCoefficients(ContextData level, ReadOnlySpan<ulong> poly, bool ntt)
    {
        var copy = poly.ToArray();
        if (ntt)
        {
            for (int j = 0; j < level.ModulusCount; j++)
            {
                level.Ring.Tables(j).Inverse(copy.AsSpan(j * level.Degree, level.Degree));
            }
        }

        return copy;
    }

    private static BigInteger[] Compose(ContextData level, ReadOnlySpan<ulong> poly, bool ntt)
    {
        var ring = level.Ring;
        var p = ring.CreatePolynomial();
        ToCoefficients(level, poly, ntt).CopyTo(p.Data, 0);
        var product = ring.Base.Product;
        return [.. Enumerable.Range(0, level.Degree).Select(k => ((ring.CoefficientCentered(p, k) % product) + product) % product)];
    }
}
