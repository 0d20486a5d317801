using System.Numerics;
using Konfido.He.Arithmetic;

namespace Konfido.He.Tests;

/// <summary>
/// The fused rescale / BFV modulus switch against a naive reference: compose each coefficient over
/// all primes with big integers, divide by q_last rounding to nearest, reduce back.
/// </summary>
public sealed class LevelChangeTests
{
    // Chains (bits) whose last data prime is larger than 4 q_j for some j (the reducing lift) or not.
    public static TheoryData<SchemeType, int, int[], int> Cases => new()
    {
        { SchemeType.Ckks, 1024, [40, 40, 45, 50], 1 },
        { SchemeType.Ckks, 1024, [30, 40, 50, 55], 2 },
        { SchemeType.Ckks, 2048, [50, 30, 60], 1 },
        { SchemeType.Ckks, 1024, [40, 40, 40, 40, 50], 2 },
        { SchemeType.Bfv, 1024, [40, 40, 45, 50], 2 },
        { SchemeType.Bfv, 1024, [30, 40, 50, 55], 1 },
        { SchemeType.Bfv, 1024, [40, 40, 40, 40, 50], 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Dividing_by_the_last_prime_matches_big_integer_rounding(SchemeType scheme, int n, int[] bits, int threads)
    {
        var parms = new EncryptionParameters(scheme) { PolyModulusDegree = n, CoeffModulus = CoeffModulus.Create(n, bits) };
        if (scheme == SchemeType.Bfv)
        {
            parms.PlainModulus = new Modulus(257);
        }

        var context = new HeContext(parms, SecurityLevel.None, threads);
        var evaluator = new Evaluator(context);
        var random = new Random(n + bits.Length + threads);
        for (var level = context.FirstContextData; level.Next is not null; level = level.Next)
        {
            foreach (int size in new[] { 2, 3 })
            {
                var source = RandomCiphertext(level, size, scheme == SchemeType.Ckks, random);
                var expected = Reference(level, source);
                var destination = new Ciphertext();
                var inPlace = source.Clone();
                if (scheme == SchemeType.Ckks)
                {
                    evaluator.RescaleToNext(source, destination);
                    evaluator.RescaleToNextInplace(inPlace);
                    Assert.Equal(source.Scale / level.Moduli[level.ModulusCount - 1].Value, destination.Scale);
                }
                else
                {
                    evaluator.ModSwitchToNext(source, destination);
                    evaluator.ModSwitchToNextInplace(inPlace);
                }

                Assert.Equal(level.Next.ParmsId, destination.ParmsId);
                Assert.Equal(size, destination.Size);
                Assert.Equal(expected, Coefficients(level.Next, destination));
                Assert.Equal(expected, Coefficients(level.Next, inPlace));
            }
        }
    }

    [Fact]
    public void Ckks_mod_switch_drops_the_last_limb_in_place_and_aside()
    {
        const int n = 1024;
        var parms = new EncryptionParameters(SchemeType.Ckks) { PolyModulusDegree = n, CoeffModulus = CoeffModulus.Create(n, [40, 40, 40, 50]) };
        var context = new HeContext(parms, SecurityLevel.None);
        var evaluator = new Evaluator(context);
        var level = context.FirstContextData;
        var source = RandomCiphertext(level, 3, ntt: true, new Random(5));
        var destination = new Ciphertext();
        var inPlace = source.Clone();
        evaluator.ModSwitchToNext(source, destination);
        evaluator.ModSwitchToNextInplace(inPlace);
        int kept = level.ModulusCount - 1;
        for (int c = 0; c < 3; c++)
        {
            for (int j = 0; j < kept; j++)
            {
                Assert.Equal(source.Limb(c, j).ToArray(), destination.Limb(c, j).ToArray());
                Assert.Equal(source.Limb(c, j).ToArray(), inPlace.Limb(c, j).ToArray());
            }
        }

        Assert.Equal(source.Scale, inPlace.Scale);
        Assert.Equal(level.Next!.ParmsId, inPlace.ParmsId);
    }

    private static Ciphertext RandomCiphertext(ContextData level, int size, bool ntt, Random random)
    {
        int n = level.Degree, l = level.ModulusCount;
        var ct = new Ciphertext();
        ct.Resize(size, n, l);
        for (int c = 0; c < size; c++)
        {
            for (int j = 0; j < l; j++)
            {
                ulong q = level.Moduli[j].Value;
                var limb = ct.Limb(c, j);
                for (int k = 0; k < n; k++)
                {
                    // Mostly uniform, with the edges (0, q - 1, around q / 2) mixed in.
                    limb[k] = random.Next(8) switch
                    {
                        0 => 0,
                        1 => q - 1,
                        2 => q / 2 + (ulong)random.Next(2),
                        _ => (ulong)random.NextInt64((long)q),
                    };
                }
            }
        }

        ct.ParmsId = level.ParmsId;
        ct.IsNttForm = ntt;
        ct.Scale = Math.Pow(2, 30);
        return ct;
    }

    // round(x / q_last) mod Q' for each coefficient, x the centred value of the RNS residues.
    private static BigInteger[][] Reference(ContextData level, Ciphertext source)
    {
        var coefficients = Coefficients(level, source);
        var last = (BigInteger)level.Moduli[level.ModulusCount - 1].Value;
        var next = level.Next!.Ring.Base.Product;
        return [.. coefficients.Select(poly => poly.Select(x =>
        {
            var numerator = 2 * x + last;
            var twice = 2 * last;
            var quotient = BigInteger.DivRem(numerator, twice, out var remainder);
            if (remainder.Sign < 0)
            {
                quotient -= 1; // floor for negative numerators
            }

            return ((quotient % next) + next) % next;
        }).ToArray())];
    }

    // Each polynomial's coefficients as integers in [0, Q) (coefficient form).
    private static BigInteger[][] Coefficients(ContextData level, Ciphertext ct)
    {
        int n = level.Degree, l = level.ModulusCount;
        var ring = level.Ring;
        var product = ring.Base.Product;
        var result = new BigInteger[ct.Size][];
        for (int c = 0; c < ct.Size; c++)
        {
            var poly = ring.CreatePolynomial();
            ct.Polynomial(c).CopyTo(poly.Data);
            poly.IsNttForm = ct.IsNttForm;
            ring.FromNtt(poly);
            result[c] = new BigInteger[n];
            for (int k = 0; k < n; k++)
            {
                var x = ring.CoefficientCentered(poly, k);
                result[c][k] = ((x % product) + product) % product;
            }

            _ = l;
        }

        return result;
    }
}
