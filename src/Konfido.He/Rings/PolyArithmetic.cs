// Coefficient-wise kernels on one RNS limb (N values modulo one prime q < 2^61).
using System.Runtime.CompilerServices;
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
            for (int i = 0; i < n; i++)
            {
                ulong hi = Math.BigMul(pa[i], pb[i], out ulong lo);
                pd[i] = q.Reduce(hi, lo);
            }
        }
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
