// Galois automorphisms X -> X^g of Z_q[X]/(X^N + 1), g odd modulo 2N.
// References: Z. Brakerski, C. Gentry, S. Halevi, "Packed ciphertexts in LWE-based homomorphic
// encryption", PKC 2013; S. Halevi, V. Shoup, "Algorithms in HElib", CRYPTO 2014 (rotations via
// the generator 3 of Z_2N^* / {+-1} and the conjugation g = 2N - 1).
using System.Numerics;
using Konfido.He.Arithmetic;

namespace Konfido.He.Rings;

/// <summary>Galois elements for rotations and the automorphisms themselves, in both forms.</summary>
public sealed class GaloisTool
{
    /// <summary>The generator of the rotation group used by the encoders and rotations.</summary>
    public const ulong Generator = 3;

    private readonly Dictionary<ulong, int[]> _nttPermutations = [];
    private readonly Lock _gate = new();

    /// <summary>Creates the tool for degree N (a power of two &gt;= 4).</summary>
    public GaloisTool(int degree)
    {
        if (degree < 4 || !BitOperations.IsPow2(degree))
        {
            throw new ArgumentOutOfRangeException(nameof(degree), "N must be a power of two >= 4.");
        }

        Degree = degree;
        LogDegree = BitOperations.Log2((uint)degree);
    }

    /// <summary>N.</summary>
    public int Degree { get; }

    private int LogDegree { get; }

    /// <summary>The Galois element of the conjugation / row swap, 2N - 1.</summary>
    public ulong ConjugationElement => 2UL * (ulong)Degree - 1;

    /// <summary>
    /// The Galois element 3^step mod 2N rotating slots left by <paramref name="step"/> (negative: right).
    /// Requires |step| &lt; N/2.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public ulong ElementFromStep(int step)
    {
        int half = Degree / 2;
        if (step <= -half || step >= half)
        {
            throw new ArgumentOutOfRangeException(nameof(step), $"a rotation step must lie in ({-half}, {half}).");
        }

        int e = step >= 0 ? step : half + step;
        ulong m = 2UL * (ulong)Degree, g = 1;
        for (int i = 0; i < e; i++)
        {
            g = g * Generator % m;
        }

        return g;
    }

    /// <summary>True when g is an odd element of [1, 2N).</summary>
    public bool IsValidElement(ulong galoisElement) =>
        (galoisElement & 1) == 1 && galoisElement < 2UL * (ulong)Degree;

    /// <summary>dst(X) = src(X^g) on coefficients modulo q. dst must not alias src.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void ApplyCoefficients(ReadOnlySpan<ulong> source, ulong galoisElement, Modulus q, Span<ulong> destination)
    {
        CheckElement(galoisElement);
        int n = Degree;
        ulong mask = 2UL * (ulong)n - 1;
        ulong index = 0;
        for (int i = 0; i < n; i++, index = (index + galoisElement) & mask)
        {
            ulong x = source[i];
            if (index < (ulong)n)
            {
                destination[(int)index] = x;
            }
            else
            {
                destination[(int)(index - (ulong)n)] = q.Negate(x);
            }
        }
    }

    /// <summary>dst = src(X^g) on NTT values (bit-reversed order). dst must not alias src.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void ApplyNtt(ReadOnlySpan<ulong> source, ulong galoisElement, Span<ulong> destination)
    {
        int[] permutation = NttPermutation(galoisElement);
        for (int i = 0; i < permutation.Length; i++)
        {
            destination[i] = source[permutation[i]];
        }
    }

    private int[] NttPermutation(ulong galoisElement)
    {
        CheckElement(galoisElement);
        lock (_gate)
        {
            if (_nttPermutations.TryGetValue(galoisElement, out var cached))
            {
                return cached;
            }

            int n = Degree;
            ulong mask = 2UL * (ulong)n - 1;
            var permutation = new int[n];
            for (int k = 0; k < n; k++)
            {
                ulong e = 2UL * (ulong)NttTables.BitReverse(k, LogDegree) + 1;
                ulong target = e * galoisElement & mask;
                permutation[k] = NttTables.BitReverse((int)((target - 1) >> 1), LogDegree);
            }

            _nttPermutations[galoisElement] = permutation;
            return permutation;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void CheckElement(ulong galoisElement)
    {
        if (!IsValidElement(galoisElement))
        {
            throw new ArgumentException($"{galoisElement} is not an odd Galois element below 2N.", nameof(galoisElement));
        }
    }
}
