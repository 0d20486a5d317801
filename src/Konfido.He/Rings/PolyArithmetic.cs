// Coefficient-wise kernels on one RNS limb (N values modulo one prime q < 2^61).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Konfido.He.Arithmetic;

namespace Konfido.He.Rings;

/// <summary>Coefficient-wise modular kernels on one limb. Inputs are reduced to [0, q).</summary>
public static class PolyArithmetic
{
    /// <summary>dst = a + b mod q.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Add(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> dst, Modulus q)
    {
        int n = Check(a, b, dst);
        ulong m = q.Value;
        fixed (ulong* pa = a, pb = b, pd = dst)
        {
            for (int i = 0; i < n; i++)
            {
                pd[i] = Modulus.CorrectOnce(pa[i] + pb[i], m);
            }
        }
    }

    /// <summary>dst = a - b mod q.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Subtract(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> dst, Modulus q)
    {
        int n = Check(a, b, dst);
        ulong m = q.Value;
        fixed (ulong* pa = a, pb = b, pd = dst)
        {
            for (int i = 0; i < n; i++)
            {
                ulong d = pa[i] - pb[i];
                pd[i] = d + (m & (ulong)((long)d >> 63));
            }
        }
    }

    /// <summary>dst = -a mod q.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Negate(ReadOnlySpan<ulong> a, Span<ulong> dst, Modulus q)
    {
        int n = Check(a, a, dst);
        ulong m = q.Value;
        fixed (ulong* pa = a, pd = dst)
        {
            for (int i = 0; i < n; i++)
            {
                ulong x = pa[i];
                pd[i] = (m - x) & (ulong)((long)(x | (0UL - x)) >> 63);
            }
        }
    }

    /// <summary>dst = a * b mod q, coefficient-wise (Barrett).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Multiply(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> dst, Modulus q)
    {
        int n = Check(a, b, dst);
        fixed (ulong* pa = a, pb = b, pd = dst)
        {
            int i = 0;
            if (UseFloatQuotient(q))
            {
                var vq = Vector512.Create(q.Value);
                var inverse = Vector512.Create(1.0 / q.Value);
                for (; i + 8 <= n; i += 8)
                {
                    MultiplyFloatQuotient(Vector512.Load(pa + i), Vector512.Load(pb + i), inverse, vq).Store(pd + i);
                }
            }

            for (; i < n; i++)
            {
                ulong hi = Math.BigMul(pa[i], pb[i], out ulong lo);
                pd[i] = q.Reduce(hi, lo);
            }
        }
    }

    // The vectorised product for primes below 2^50: floor(a b / q) estimated in double precision.
    // With a, b < q < 2^50, a b / q < 2^50 and the three roundings (a b, 1/q, the product) leave
    // the estimate within 0.4 of the true quotient, so its truncation is off by at most one either
    // way: r = a b - qHat q (exact in the low 64 bits) lies in [-q, 2q); r + q in [0, 3q) needs two
    // conditional subtractions. AVX-512 has no 64x64 -> 128 multiply; this needs none.
    internal static bool UseFloatQuotient(Modulus q) => NttTables.UseAvx512 && q.Value < 1UL << 50;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<ulong> MultiplyFloatQuotient(Vector512<ulong> a, Vector512<ulong> b, Vector512<double> inverseQ, Vector512<ulong> q)
    {
        var estimate = Avx512DQ.ConvertToVector512Double(a) * Avx512DQ.ConvertToVector512Double(b) * inverseQ;
        var qHat = Avx512DQ.ConvertToVector512UInt64WithTruncation(estimate);
        var r = Avx512DQ.MultiplyLow(a, b) - Avx512DQ.MultiplyLow(qHat, q) + q;
        r = Avx512F.Min(r, r - q - q);
        return Avx512F.Min(r, r - q);
    }

    /// <summary>dst = dst + a * b mod q, coefficient-wise.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static unsafe void MultiplyAdd(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> dst, Modulus q)
    {
        int n = Check(a, b, dst);
        fixed (ulong* pa = a, pb = b, pd = dst)
        {
            for (int i = 0; i < n; i++)
            {
                ulong hi = Math.BigMul(pa[i], pb[i], out ulong lo);
                pd[i] = q.Add(pd[i], q.Reduce(hi, lo));
            }
        }
    }

    /// <summary>
    /// The tensor product of two size-2 ciphertext limbs in NTT form: r0 = a0 b0, r1 = a0 b1 + a1 b0,
    /// r2 = a1 b1 mod q. The middle sum is reduced once from 128 bits (2 q^2 &lt; q 2^64).
    /// Requires inputs in [0, q); the outputs may not overlap the inputs.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Tensor2(ReadOnlySpan<ulong> a0, ReadOnlySpan<ulong> a1, ReadOnlySpan<ulong> b0, ReadOnlySpan<ulong> b1,
        Span<ulong> r0, Span<ulong> r1, Span<ulong> r2, Modulus q)
    {
        int n = Check(a0, a1, r0);
        Check(b0, b1, r1);
        Check(r0, r1, r2);
        fixed (ulong* pa0 = a0, pa1 = a1, pb0 = b0, pb1 = b1, pr0 = r0, pr1 = r1, pr2 = r2)
        {
            int i = 0;
            if (UseFloatQuotient(q))
            {
                var vq = Vector512.Create(q.Value);
                var inverse = Vector512.Create(1.0 / q.Value);
                for (; i + 8 <= n; i += 8)
                {
                    var x0 = Vector512.Load(pa0 + i);
                    var x1 = Vector512.Load(pa1 + i);
                    var y0 = Vector512.Load(pb0 + i);
                    var y1 = Vector512.Load(pb1 + i);
                    MultiplyFloatQuotient(x0, y0, inverse, vq).Store(pr0 + i);
                    MultiplyFloatQuotient(x1, y1, inverse, vq).Store(pr2 + i);
                    var middle = MultiplyFloatQuotient(x0, y1, inverse, vq) + MultiplyFloatQuotient(x1, y0, inverse, vq);
                    Avx512F.Min(middle, middle - vq).Store(pr1 + i);
                }
            }

            for (; i < n; i++)
            {
                ulong x0 = pa0[i], x1 = pa1[i], y0 = pb0[i], y1 = pb1[i];
                ulong hi = Math.BigMul(x0, y0, out ulong lo);
                pr0[i] = q.Reduce(hi, lo);
                hi = Math.BigMul(x1, y1, out lo);
                pr2[i] = q.Reduce(hi, lo);
                ulong hiA = Math.BigMul(x0, y1, out ulong loA);
                ulong hiB = Math.BigMul(x1, y0, out ulong loB);
                ulong sum = loA + loB;
                pr1[i] = q.Reduce(hiA + hiB + (sum < loA ? 1UL : 0UL), sum);
            }
        }
    }

    /// <summary>dst = a * s mod q for a scalar s in [0, q).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static unsafe void MultiplyScalar(ReadOnlySpan<ulong> a, ulong s, Span<ulong> dst, Modulus q)
    {
        int n = Check(a, a, dst);
        ulong ss = q.ShoupPrecompute(s);
        fixed (ulong* pa = a, pd = dst)
        {
            for (int i = 0; i < n; i++)
            {
                pd[i] = q.MultiplyShoup(pa[i], s, ss);
            }
        }
    }

    /// <summary>dst = a mod q for arbitrary 64-bit values a.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Reduce(ReadOnlySpan<ulong> a, Span<ulong> dst, Modulus q)
    {
        int n = Check(a, a, dst);
        fixed (ulong* pa = a, pd = dst)
        {
            for (int i = 0; i < n; i++)
            {
                pd[i] = q.Reduce(pa[i]);
            }
        }
    }

    /// <summary>
    /// r = (a + offset - t) * w mod q with w's Shoup quotient; dst = r, or dst = dst + r mod q when
    /// <paramref name="accumulate"/>; fully reduced. The last step of a rescale or a key switch
    /// (subtract the lifted last limb, multiply by its prime's inverse, add in) in one pass.
    /// Requires a + offset - t in [0, 2^64) for every coefficient (offset covers t's lazy range)
    /// and dst in [0, q) when accumulating. a and t may not overlap dst unless equal to it.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void SubtractMultiplyShoup(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> t, ulong offset, ulong w, ulong wShoup, Span<ulong> dst, ulong q, bool accumulate)
    {
        int n = Check(a, t, dst);
        fixed (ulong* pa = a, pt = t, pd = dst)
        {
            int i = 0;
            if (NttTables.UseAvx512)
            {
                var vq = Vector512.Create(q);
                var vOffset = Vector512.Create(offset);
                var vw = Vector512.Create(w);
                var vws = Vector512.Create(wShoup);
                var vwsHigh = Vector512.Create(wShoup >> 32);
                for (; i + 8 <= n; i += 8)
                {
                    var x = Vector512.Load(pa + i) + vOffset - Vector512.Load(pt + i);
                    var qHat = NttTables.MultiplyHigh(x, vws, vwsHigh);
                    var r = Avx512DQ.MultiplyLow(x, vw) - Avx512DQ.MultiplyLow(qHat, vq);
                    r = Avx512F.Min(r, r - vq);
                    if (accumulate)
                    {
                        r += Vector512.Load(pd + i);
                        r = Avx512F.Min(r, r - vq);
                    }

                    r.Store(pd + i);
                }
            }

            for (; i < n; i++)
            {
                ulong r = Modulus.CorrectOnce(Modulus.MultiplyShoupLazy(pa[i] + offset - pt[i], w, wShoup, q), q);
                pd[i] = accumulate ? Modulus.CorrectOnce(pd[i] + r, q) : r;
            }
        }
    }

    /// <summary>
    /// dst = x mod q + shift, in [0, 3q) for shift in [0, q]: the lift of a residue modulo another
    /// prime, ready for the lazy forward NTT. Requires x &lt; 4q unless <paramref name="reduce"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void LiftShifted(ReadOnlySpan<ulong> x, Span<ulong> dst, ulong shift, Modulus q, bool reduce)
    {
        int n = Check(x, x, dst);
        ulong qv = q.Value, twoQ = 2 * qv;
        fixed (ulong* px = x, pd = dst)
        {
            int i = 0;
            if (reduce)
            {
                for (; i < n; i++)
                {
                    pd[i] = q.Reduce(px[i]) + shift;
                }

                return;
            }

            if (NttTables.UseAvx512)
            {
                var v2q = Vector512.Create(twoQ);
                var vShift = Vector512.Create(shift);
                for (; i + 8 <= n; i += 8)
                {
                    var v = Vector512.Load(px + i);
                    (Avx512F.Min(v, v - v2q) + vShift).Store(pd + i);
                }
            }

            for (; i < n; i++)
            {
                pd[i] = Modulus.CorrectOnce(px[i], twoQ) + shift;
            }
        }
    }

    /// <summary>values = (values + c) mod q, fully reduced. Requires values in [0, 2q) and c in [0, q).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void AddConstantReduce(Span<ulong> values, ulong c, ulong q)
    {
        int n = values.Length;
        ulong twoQ = 2 * q;
        fixed (ulong* pv = values)
        {
            int i = 0;
            if (NttTables.UseAvx512)
            {
                var vq = Vector512.Create(q);
                var v2q = Vector512.Create(twoQ);
                var vc = Vector512.Create(c);
                for (; i + 8 <= n; i += 8)
                {
                    var y = Vector512.Load(pv + i) + vc;
                    y = Avx512F.Min(y, y - v2q);
                    Avx512F.Min(y, y - vq).Store(pv + i);
                }
            }

            for (; i < n; i++)
            {
                pv[i] = Modulus.CorrectOnce(Modulus.CorrectOnce(pv[i] + c, twoQ), q);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Check(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> dst)
    {
        if (a.Length != b.Length || a.Length != dst.Length)
        {
            throw new ArgumentException("operands must have equal lengths.");
        }

        return a.Length;
    }
}
