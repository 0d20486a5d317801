using Konfido.He.Arithmetic;

namespace Konfido.He.Tests;

public sealed class NttTests
{
    // Naive O(N^2) negacyclic product: X^N = -1.
    internal static ulong[] NegacyclicProduct(ulong[] a, ulong[] b, Modulus q)
    {
        int n = a.Length;
        var c = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                ulong p = q.Multiply(a[i], b[j]);
                int k = i + j;
                c[k % n] = k < n ? q.Add(c[k], p) : q.Subtract(c[k - n], p);
            }
        }

        return c;
    }

    private static ulong[] RandomPoly(Random random, int n, ulong q)
    {
        var a = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = (ulong)random.NextInt64() % q;
        }

        return a;
    }

    [Theory]
    [InlineData(8, 17)]
    [InlineData(256, 30)]
    [InlineData(1024, 50)]
    [InlineData(2048, 60)]
    public void Forward_then_inverse_is_the_identity(int n, int bits)
    {
        var q = new Modulus(NumberTheory.GenerateNttPrimes(bits, 1, n)[0]);
        var tables = new NttTables(n, q);
        var random = new Random(n + bits);
        var a = RandomPoly(random, n, q.Value);
        var b = (ulong[])a.Clone();
        tables.Forward(b);
        Assert.NotEqual(a, b);
        tables.Inverse(b);
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData(16, 20)]
    [InlineData(128, 45)]
    [InlineData(512, 60)]
    public void Pointwise_product_in_ntt_form_is_the_negacyclic_convolution(int n, int bits)
    {
        var q = new Modulus(NumberTheory.GenerateNttPrimes(bits, 1, n)[0]);
        var tables = new NttTables(n, q);
        var random = new Random(7 * n + bits);
        var a = RandomPoly(random, n, q.Value);
        var b = RandomPoly(random, n, q.Value);
        var expected = NegacyclicProduct(a, b, q);
        var fa = (ulong[])a.Clone();
        var fb = (ulong[])b.Clone();
        tables.Forward(fa);
        tables.Forward(fb);
        var fc = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            fc[i] = q.Multiply(fa[i], fb[i]);
        }

        tables.Inverse(fc);
        Assert.Equal(expected, fc);
    }

    [Fact]
    public void Known_answer_x_times_x_pow_n_minus_1_is_minus_one()
    {
        // X * X^(N-1) = X^N = -1 in Z_q[X]/(X^N + 1): a tiny known answer.
        const int n = 16;
        var q = new Modulus(97); // 97 = 1 + 6 * 16... 97 - 1 = 96 = 3 * 32 = 1 mod 32
        var tables = new NttTables(n, q);
        var a = new ulong[n];
        var b = new ulong[n];
        a[1] = 1;
        b[n - 1] = 1;
        tables.Forward(a);
        tables.Forward(b);
        var c = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            c[i] = q.Multiply(a[i], b[i]);
        }

        tables.Inverse(c);
        var expected = new ulong[n];
        expected[0] = 96;
        Assert.Equal(expected, c);
    }

    [Fact]
    public void Forward_output_is_the_evaluation_at_odd_powers_of_psi_in_bit_reversed_order()
    {
        const int n = 32;
        var q = new Modulus(NumberTheory.GenerateNttPrimes(30, 1, n)[0]);
        var tables = new NttTables(n, q);
        var random = new Random(3);
        var a = RandomPoly(random, n, q.Value);
        var f = (ulong[])a.Clone();
        tables.Forward(f);
        for (int k = 0; k < n; k++)
        {
            ulong point = q.Pow(tables.Root, (ulong)(2 * NttTables.BitReverse(k, 5) + 1));
            ulong value = 0, power = 1;
            for (int j = 0; j < n; j++)
            {
                value = q.Add(value, q.Multiply(a[j], power));
                power = q.Multiply(power, point);
            }

            Assert.Equal(value, f[k]);
        }
    }

    [Fact]
    public void Lazy_forward_stays_below_4q_and_agrees_modulo_q()
    {
        const int n = 4096;
        var q = new Modulus(NumberTheory.GenerateNttPrimes(60, 1, n)[0]);
        var tables = new NttTables(n, q);
        var a = RandomPoly(new Random(5), n, q.Value);
        var lazy = (ulong[])a.Clone();
        var full = (ulong[])a.Clone();
        tables.ForwardLazy(lazy);
        tables.Forward(full);
        for (int i = 0; i < n; i++)
        {
            Assert.True(lazy[i] < 4 * q.Value);
            Assert.Equal(full[i], lazy[i] % q.Value);
        }
    }

    [Theory]
    [InlineData(16, 30)]
    [InlineData(1024, 44)]
    [InlineData(8192, 48)]
    [InlineData(4096, 36)]
    public void Double_precision_and_Shoup_inverse_transforms_agree(int n, int bits)
    {
        // Primes just below 2^bits (the double-precision quotients need q < 2^49).
        var q = new Modulus(NumberTheory.GenerateNttPrimes(bits, 1, n)[0]);
        var withDoubles = new NttTables(n, q, floatProducts: true);
        var withShoup = new NttTables(n, q, floatProducts: false);
        var random = new Random(n + bits);
        for (int trial = 0; trial < 4; trial++)
        {
            // Inputs over the whole accepted range [0, 2q), edges included.
            var input = Enumerable.Range(0, n).Select(i => trial == 0 ? 2 * q.Value - 1 : i % 5 == 0 ? 0 : (ulong)random.NextInt64((long)(2 * q.Value))).ToArray();
            var a = input.ToArray();
            var b = input.ToArray();
            withDoubles.Inverse(a);
            withShoup.Inverse(b);
            Assert.Equal(b, a);
            var lazy = input.ToArray();
            withDoubles.InverseLazy(lazy);
            Assert.All(lazy, x => Assert.True(x < 2 * q.Value));
            Assert.Equal(b, lazy.Select(x => x % q.Value).ToArray());
            withDoubles.Forward(a);
            Assert.Equal(input.Select(x => x % q.Value).ToArray(), a);
        }
    }
}
