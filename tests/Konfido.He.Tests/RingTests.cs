using System.Numerics;
using Konfido.He.Arithmetic;
using Konfido.He.Rings;
using Konfido.He.Rlwe;

namespace Konfido.He.Tests;

public sealed class RingTests
{
    // Schoolbook product in Z[X]/(X^N + 1) over big integers, then reduced mod Q: the oracle.
    private static BigInteger[] Schoolbook(long[] a, long[] b, BigInteger q)
    {
        int n = a.Length;
        var c = new BigInteger[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                var p = (BigInteger)a[i] * b[j];
                if (i + j < n)
                {
                    c[i + j] += p;
                }
                else
                {
                    c[i + j - n] -= p;
                }
            }
        }

        return [.. c.Select(x => ((x % q) + q) % q)];
    }

    [Theory]
    [InlineData(64, 3, 1)]
    [InlineData(256, 4, 2)]
    [InlineData(128, 2, 3)]
    public void Ring_multiplication_matches_the_schoolbook_product(int n, int primes, int seed)
    {
        var ring = new RnsRing(n, NumberTheory.GenerateNttPrimes(45, primes, n), threads: seed % 2 + 1);
        var random = new Random(seed);
        for (int trial = 0; trial < 5; trial++)
        {
            long bound = trial == 0 ? 2 : 1L << 40;
            var a = Enumerable.Range(0, n).Select(_ => random.NextInt64(-bound, bound)).ToArray();
            var b = Enumerable.Range(0, n).Select(_ => random.NextInt64(-bound, bound)).ToArray();
            var pa = ring.CreatePolynomial();
            var pb = ring.CreatePolynomial();
            ring.SetCoefficients(pa, a);
            ring.SetCoefficients(pb, b);
            var pc = ring.CreatePolynomial();
            ring.Multiply(pa, pb, pc);
            var expected = Schoolbook(a, b, ring.Base.Product);
            for (int j = 0; j < n; j++)
            {
                var got = ring.CoefficientCentered(pc, j);
                Assert.Equal(expected[j], ((got % ring.Base.Product) + ring.Base.Product) % ring.Base.Product);
            }
        }
    }

    [Fact]
    public void Ring_identities_hold_add_sub_negate_and_distributivity()
    {
        const int n = 512;
        var ring = new RnsRing(n, NumberTheory.GenerateNttPrimes(50, 3, n));
        var random = new Random(4);
        RnsPolynomial Random()
        {
            var p = ring.CreatePolynomial();
            ring.SetCoefficients(p, [.. Enumerable.Range(0, n).Select(_ => random.NextInt64())]);
            ring.ToNtt(p);
            return p;
        }

        var a = Random();
        var b = Random();
        var c = Random();
        var left = ring.CreatePolynomial();
        var sum = ring.CreatePolynomial();
        ring.Add(b, c, sum);
        ring.MultiplyPointwise(a, sum, left);
        var ab = ring.CreatePolynomial();
        var ac = ring.CreatePolynomial();
        ring.MultiplyPointwise(a, b, ab);
        ring.MultiplyPointwise(a, c, ac);
        var right = ring.CreatePolynomial();
        ring.Add(ab, ac, right);
        Assert.Equal(left.Data, right.Data);

        var negated = ring.CreatePolynomial();
        ring.Negate(a, negated);
        var zero = ring.CreatePolynomial();
        ring.Add(a, negated, zero);
        Assert.All(zero.Data, v => Assert.Equal(0UL, v));
        ring.Subtract(sum, c, zero);
        Assert.Equal(b.Data, zero.Data);

        ring.FromNtt(a);
        Assert.False(a.IsNttForm);
        var roundTrip = ring.CreatePolynomial();
        a.Data.CopyTo(roundTrip.Data, 0);
        ring.ToNtt(roundTrip);
        ring.FromNtt(roundTrip);
        Assert.Equal(a.Data, roundTrip.Data);
    }

    [Fact]
    public void Crt_compose_decompose_round_trips()
    {
        var rnsBase = new RnsBase(NumberTheory.GenerateNttPrimes(60, 4, 1024).Select(p => new Modulus(p)));
        var random = new Random(5);
        var residues = new ulong[4];
        for (int i = 0; i < 100; i++)
        {
            var bytes = new byte[32];
            random.NextBytes(bytes);
            var x = new BigInteger(bytes, isUnsigned: true) % rnsBase.Product;
            rnsBase.Decompose(x, residues);
            Assert.Equal(x, rnsBase.Compose(residues));
            rnsBase.Decompose(-x, residues);
            Assert.Equal(-x, rnsBase.ComposeCentered(residues) - (x * 2 < rnsBase.Product ? 0 : rnsBase.Product));
        }
    }

    [Fact]
    public void Base_conversion_is_exact_for_centered_values()
    {
        const int n = 64;
        var from = new RnsBase(NumberTheory.GenerateNttPrimes(50, 3, n).Select(p => new Modulus(p)));
        var to = new RnsBase(NumberTheory.GenerateNttPrimes(60, 4, n).Select(p => new Modulus(p)));
        var converter = new BaseConverter(from, to);
        var random = new Random(6);
        var input = new ulong[3 * n];
        var values = new BigInteger[n];
        var residues = new ulong[3];
        for (int j = 0; j < n; j++)
        {
            var bytes = new byte[20];
            random.NextBytes(bytes);
            values[j] = new BigInteger(bytes, isUnsigned: true) % (from.Product / 2) * (j % 2 == 0 ? 1 : -1);
            from.Decompose(values[j], residues);
            for (int i = 0; i < 3; i++)
            {
                input[i * n + j] = residues[i];
            }
        }

        var output = new ulong[4 * n];
        converter.Convert(input, output, n);
        var outResidues = new ulong[4];
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < 4; i++)
            {
                outResidues[i] = output[i * n + j];
            }

            Assert.Equal(values[j], to.ComposeCentered(outResidues));
        }
    }

    [Fact]
    public void Galois_automorphisms_agree_in_coefficient_and_ntt_form()
    {
        const int n = 256;
        var q = new Modulus(NumberTheory.GenerateNttPrimes(40, 1, n)[0]);
        var tables = new NttTables(n, q);
        var tool = new GaloisTool(n);
        var random = new Random(7);
        var a = Enumerable.Range(0, n).Select(_ => (ulong)random.NextInt64() % q.Value).ToArray();
        foreach (ulong g in new[] { tool.ElementFromStep(1), tool.ElementFromStep(-5), tool.ConjugationElement })
        {
            var coefficient = new ulong[n];
            tool.ApplyCoefficients(a, g, q, coefficient);
            tables.Forward(coefficient);
            var ntt = (ulong[])a.Clone();
            tables.Forward(ntt);
            var permuted = new ulong[n];
            tool.ApplyNtt(ntt, g, permuted);
            Assert.Equal(coefficient, permuted);
        }
    }

    [Fact]
    public void Samplers_have_the_expected_distributions()
    {
        using var rng = SeededExpander.CreateRandom();
        var e = new sbyte[200_000];
        Samplers.Gaussian(rng, e);
        double mean = e.Average(v => (double)v);
        double sd = Math.Sqrt(e.Average(v => (double)v * v) - mean * mean);
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(sd, 3.1, 3.3);
        Assert.All(e, v => Assert.InRange(v, -Samplers.ErrorBound, Samplers.ErrorBound));

        var s = new sbyte[30_000];
        Samplers.Ternary(rng, s);
        foreach (int value in new[] { -1, 0, 1 })
        {
            Assert.InRange(s.Count(v => v == value), 9_400, 10_600);
        }

        // The seeded expander is deterministic; different seeds give different streams.
        var seed = new byte[32];
        using var x = new SeededExpander(seed);
        using var y = new SeededExpander(seed);
        seed[0] = 1;
        using var z = new SeededExpander(seed);
        ulong first = x.NextUInt64();
        Assert.Equal(first, y.NextUInt64());
        Assert.NotEqual(first, z.NextUInt64());
    }
}
