using System.Numerics;
using Konfido.He.Arithmetic;
using Konfido.He.Rings;

namespace Konfido.He.Tests;

/// <summary>
/// The fused limb kernels against big-integer formulas. Lengths that are not multiples of the
/// vector width run both the vector body and the scalar tail.
/// </summary>
public sealed class KernelTests
{
    public static TheoryData<int, int> Cases => new()
    {
        { 30, 37 },
        { 44, 64 },
        { 50, 1000 },
        { 49, 77 },
        { 60, 13 },
        { 61, 1024 },
    };

    private static ulong[] Uniform(Random random, int length, ulong bound) =>
        [.. Enumerable.Range(0, length).Select(i => i % 7 == 0 ? bound - 1 : i % 11 == 0 ? 0 : (ulong)random.NextInt64((long)bound))];

    private static Modulus Prime(int bits) => new(NumberTheory.GenerateNttPrimes(bits, 1, 16)[0]);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Tensor2_is_the_size_two_product(int bits, int length)
    {
        var q = Prime(bits);
        var random = new Random(bits * length);
        var a0 = Uniform(random, length, q.Value);
        var a1 = Uniform(random, length, q.Value);
        var b0 = Uniform(random, length, q.Value);
        var b1 = Uniform(random, length, q.Value);
        var r0 = new ulong[length];
        var r1 = new ulong[length];
        var r2 = new ulong[length];
        PolyArithmetic.Tensor2(a0, a1, b0, b1, r0, r1, r2, q);
        var m = (BigInteger)q.Value;
        for (int i = 0; i < length; i++)
        {
            Assert.Equal((BigInteger)a0[i] * b0[i] % m, (BigInteger)r0[i]);
            Assert.Equal(((BigInteger)a0[i] * b1[i] + (BigInteger)a1[i] * b0[i]) % m, (BigInteger)r1[i]);
            Assert.Equal((BigInteger)a1[i] * b1[i] % m, (BigInteger)r2[i]);
        }

        // Squaring: the same spans on both sides.
        PolyArithmetic.Tensor2(a0, a1, a0, a1, r0, r1, r2, q);
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(2 * (BigInteger)a0[i] * a1[i] % m, (BigInteger)r1[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Multiply_is_the_pointwise_product(int bits, int length)
    {
        // Below 2^50 the vector path estimates quotients in double precision: check it at the edges.
        var q = Prime(bits);
        var random = new Random(3 * bits + length);
        var a = Uniform(random, length, q.Value);
        var b = Uniform(random, length, q.Value);
        a[^1] = q.Value - 1;
        b[^1] = q.Value - 1;
        var product = new ulong[length];
        PolyArithmetic.Multiply(a, b, product, q);
        for (int i = 0; i < length; i++)
        {
            Assert.Equal((BigInteger)a[i] * b[i] % q.Value, (BigInteger)product[i]);
        }
    }

    [Fact]
    public void Multiply_is_exact_near_the_largest_operands_below_2_to_50()
    {
        // The largest primes the vector path accepts, with operands crowded near q and near q / 2
        // (quotients close to integers and to half-integers).
        foreach (var q in NumberTheory.GenerateNttPrimes(50, 3, 1024).Select(p => new Modulus(p)))
        {
            var random = new Random((int)(q.Value & 0xFFFF));
            const int length = 1 << 14;
            var a = Enumerable.Range(0, length).Select(i => (i & 1) == 0 ? q.Value - 1 - (ulong)random.Next(1 << 20) : q.Value / 2 + (ulong)random.Next(1 << 20)).ToArray();
            var b = Enumerable.Range(0, length).Select(_ => q.Value - 1 - (ulong)random.Next(1 << 20)).ToArray();
            var product = new ulong[length];
            PolyArithmetic.Multiply(a, b, product, q);
            for (int i = 0; i < length; i++)
            {
                Assert.Equal((ulong)((UInt128)a[i] * b[i] % q.Value), product[i]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SubtractMultiplyShoup_is_the_scaled_difference(int bits, int length)
    {
        var q = Prime(bits);
        var random = new Random(bits + length);
        ulong w = (ulong)random.NextInt64((long)q.Value);
        ulong offset = 4 * q.Value + (ulong)random.NextInt64((long)q.Value);
        var a = Uniform(random, length, q.Value);
        var t = Uniform(random, length, 4 * q.Value);
        var previous = Uniform(random, length, q.Value);
        var m = (BigInteger)q.Value;
        foreach (bool accumulate in new[] { false, true })
        {
            var dst = previous.ToArray();
            PolyArithmetic.SubtractMultiplyShoup(a, t, offset, w, q.ShoupPrecompute(w), dst, q.Value, accumulate);
            for (int i = 0; i < length; i++)
            {
                var r = ((BigInteger)a[i] + offset - t[i]) * w % m;
                Assert.Equal(accumulate ? (r + previous[i]) % m : r, (BigInteger)dst[i]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LiftShifted_and_AddConstantReduce_keep_the_residues(int bits, int length)
    {
        var q = Prime(bits);
        var random = new Random(bits ^ length);
        ulong shift = (ulong)random.NextInt64((long)q.Value) + 1;
        var m = (BigInteger)q.Value;
        var below4q = Uniform(random, length, 4 * q.Value);
        var lifted = new ulong[length];
        PolyArithmetic.LiftShifted(below4q, lifted, shift, q, reduce: false);
        var large = Enumerable.Range(0, length).Select(i => i == 0 ? ulong.MaxValue : (ulong)random.NextInt64() * 2 + (ulong)(i & 1)).ToArray();
        var liftedLarge = new ulong[length];
        PolyArithmetic.LiftShifted(large, liftedLarge, shift, q, reduce: true);
        var below2q = Uniform(random, length, 2 * q.Value);
        var reduced = below2q.ToArray();
        ulong c = (ulong)random.NextInt64((long)q.Value);
        PolyArithmetic.AddConstantReduce(reduced, c, q.Value);
        for (int i = 0; i < length; i++)
        {
            Assert.True(lifted[i] < 3 * q.Value);
            Assert.Equal(((BigInteger)below4q[i] + shift) % m, lifted[i] % m);
            Assert.True(liftedLarge[i] < 3 * q.Value);
            Assert.Equal(((BigInteger)large[i] + shift) % m, liftedLarge[i] % m);
            Assert.Equal(((BigInteger)below2q[i] + c) % m, (BigInteger)reduced[i]);
        }
    }
}
