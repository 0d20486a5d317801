using System.Numerics;
using Konfido.He.Arithmetic;

namespace Konfido.He.Tests;

public sealed class ArithmeticTests
{
    private static readonly ulong[] Moduli = [2, 3, 17, 65537, 0xffffffffUL, 1152921504606584833UL, (1UL << 60) - 93, (1UL << 61) - 1];

    [Fact]
    public void Barrett_and_shoup_agree_with_biginteger_on_random_inputs()
    {
        var random = new Random(1);
        foreach (ulong m in Moduli)
        {
            var q = new Modulus(m);
            for (int i = 0; i < 2000; i++)
            {
                ulong a = (ulong)random.NextInt64() % m, b = (ulong)random.NextInt64() % m;
                ulong x = (ulong)random.NextInt64() * 2 + (ulong)(i & 1);
                Assert.Equal(x % m, q.Reduce(x));
                Assert.Equal((ulong)((BigInteger)a * b % m), q.Multiply(a, b));
                Assert.Equal((ulong)((BigInteger)a * b % m), q.MultiplyShoup(a, b, q.ShoupPrecompute(b)));
                UInt128 wide = Math.BigMul(a, (ulong)random.NextInt64());
                ulong quotient = q.DivRem(wide, out ulong remainder);
                Assert.Equal(wide / m, quotient);
                Assert.Equal(wide % m, remainder);
                Assert.Equal((a + b) % m, q.Add(a, b));
                Assert.Equal((a + m - b) % m, q.Subtract(a, b));
            }
        }
    }

    [Fact]
    public void Inverse_and_power_are_consistent()
    {
        var q = new Modulus(1152921504606584833UL);
        var random = new Random(2);
        for (int i = 0; i < 200; i++)
        {
            ulong a = (ulong)random.NextInt64(1, long.MaxValue) % q.Value;
            if (a == 0)
            {
                continue;
            }

            Assert.Equal(1UL, q.Multiply(a, q.Invert(a)));
            Assert.Equal((ulong)BigInteger.ModPow(a, 12345, q.Value), q.Pow(a, 12345));
        }

        Assert.False(new Modulus(12).TryInvert(4, out _));
    }

    [Theory]
    [InlineData(2UL, true)]
    [InlineData(3UL, true)]
    [InlineData(4UL, false)]
    [InlineData(561UL, false)]                      // Carmichael number
    [InlineData(3215031751UL, false)]               // strong pseudoprime to bases 2, 3, 5, 7
    [InlineData(3825123056546413051UL, false)]      // strong pseudoprime to bases 2..23 (Jaeschke)
    [InlineData(18446744073709551557UL, true)]      // largest 64-bit prime
    [InlineData(1152921504606584833UL, true)]       // 60-bit NTT prime used by SEAL (2^60 - 2^14 * 9 + 1 ...)
    [InlineData(0xffffffffffffffffUL, false)]
    public void Miller_rabin_is_deterministic_on_known_values(ulong n, bool prime) =>
        Assert.Equal(prime, NumberTheory.IsPrime(n));

    [Fact]
    public void Miller_rabin_matches_trial_division_below_100000()
    {
        for (ulong n = 0; n < 100_000; n++)
        {
            bool trial = n >= 2;
            for (ulong d = 2; d * d <= n && trial; d++)
            {
                trial = n % d != 0;
            }

            Assert.Equal(trial, NumberTheory.IsPrime(n));
        }
    }

    [Theory]
    [InlineData(1024, 27)]
    [InlineData(4096, 36)]
    [InlineData(8192, 44)]
    [InlineData(16384, 60)]
    public void Generated_primes_are_ntt_friendly_of_the_requested_size(int n, int bits)
    {
        var primes = NumberTheory.GenerateNttPrimes(bits, 3, n);
        Assert.Equal(3, primes.Distinct().Count());
        foreach (ulong p in primes)
        {
            Assert.True(NumberTheory.IsPrime(p));
            Assert.Equal(1UL, p % (2UL * (ulong)n));
            Assert.Equal(bits, 64 - BitOperations.LeadingZeroCount(p));
        }

        Assert.True(primes[0] > primes[1] && primes[1] > primes[2]);
        // Known answer: the largest 60-bit prime = 1 mod 2^15 (also in SEAL's tables for N = 16384).
        if (bits == 60)
        {
            Assert.Equal(1152921504606748673UL, primes[0]);
        }
    }

    [Fact]
    public void Primitive_roots_have_exact_order_2n()
    {
        foreach (int n in new[] { 8, 1024, 8192 })
        {
            var q = new Modulus(NumberTheory.GenerateNttPrimes(50, 1, n)[0]);
            ulong root = NumberTheory.MinimalPrimitiveRoot(2UL * (ulong)n, q);
            Assert.Equal(1UL, q.Pow(root, 2UL * (ulong)n));
            Assert.Equal(q.Value - 1, q.Pow(root, (ulong)n));
            Assert.True(NumberTheory.IsPrimitiveRoot(root, 2UL * (ulong)n, q));
        }
    }
}
