// Negacyclic number-theoretic transform over Z_q[X]/(X^N + 1).
// References:
//  - D. Harvey, "Faster arithmetic for number-theoretic transforms", J. Symb. Comp. 60 (2014):
//    lazy butterflies keeping values in [0, 4q) with Shoup precomputed twiddle quotients.
//  - P. Longa, M. Naehrig, "Speeding up the Number Theoretic Transform for Faster Ideal Lattice-Based
//    Cryptography", CANS 2016 (eprint 2016/504): merged psi-twisting, bit-reversed twiddle tables,
//    Cooley–Tukey forward and Gentleman–Sande inverse.
// Sizes: N a power of two in [2, 2^17]; q prime, q = 1 (mod 2N), q < 2^61 (4q < 2^64).
// Output order of the forward transform: bit-reversed (slot k holds a(psi^(2 brv(k) + 1))).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Konfido.He.Arithmetic;

/// <summary>
/// Precomputed tables of the negacyclic NTT for one prime q and one degree N: the powers of a
/// primitive 2N-th root psi in bit-reversed order with their Shoup quotients.
/// </summary>
public sealed class NttTables
{
    private readonly ulong[] _roots;
    private readonly ulong[] _rootsShoup;
    private readonly ulong[] _inverseRoots;
    private readonly ulong[] _inverseRootsShoup;
    private readonly ulong _inverseDegree;
    private readonly ulong _inverseDegreeShoup;
    // The last inverse stage merged with the multiplication by 1/N: w * (1/N) and its quotient.
    private readonly ulong _lastInverseRootScaled;
    private readonly ulong _lastInverseRootScaledShoup;
    // Companions of the inverse twiddles for the AVX-512 kernels: the Shoup quotients, or for
    // primes below 2^49 the bits of the double w / q (see FloatProduct).
    private readonly bool _floatProducts;
    private readonly ulong[] _inverseRootsAux;
    private readonly ulong _inverseDegreeAux;
    private readonly ulong _lastInverseRootScaledAux;

    /// <summary>Builds the tables. Requires N a power of two &gt;= 2 and q prime with q = 1 (mod 2N).</summary>
    public NttTables(int polyModulusDegree, Modulus modulus)
        : this(polyModulusDegree, modulus, floatProducts: modulus.Value < 1UL << 49)
    {
    }

    /// <summary>
    /// Builds the tables, choosing the inverse transform's vector product: double-precision
    /// quotients (requires q &lt; 2^49) or Shoup's. Fully reduced outputs are identical; tests and
    /// benchmarks compare them.
    /// </summary>
    internal NttTables(int polyModulusDegree, Modulus modulus, bool floatProducts)
    {
        if (floatProducts && modulus.Value >= 1UL << 49)
        {
            throw new ArgumentException("double-precision quotients need q < 2^49.", nameof(floatProducts));
        }

        if (polyModulusDegree < 2 || !BitOperations.IsPow2(polyModulusDegree) || polyModulusDegree > 1 << 17)
        {
            throw new ArgumentOutOfRangeException(nameof(polyModulusDegree), "N must be a power of two in [2, 2^17].");
        }

        ulong twoN = 2UL * (ulong)polyModulusDegree;
        if ((modulus.Value - 1) % twoN != 0)
        {
            throw new ArgumentException($"q = {modulus.Value} is not 1 mod 2N = {twoN}.", nameof(modulus));
        }

        Degree = polyModulusDegree;
        Modulus = modulus;
        LogDegree = BitOperations.Log2((uint)polyModulusDegree);
        Root = NumberTheory.MinimalPrimitiveRoot(twoN, modulus);
        ulong inverseRoot = modulus.Invert(Root);

        int n = polyModulusDegree;
        _roots = new ulong[n];
        _rootsShoup = new ulong[n];
        _inverseRoots = new ulong[n];
        _inverseRootsShoup = new ulong[n];
        ulong power = 1, inversePower = 1;
        for (int i = 0; i < n; i++)
        {
            int r = ReverseBits(i, LogDegree);
            _roots[r] = power;
            _inverseRoots[r] = inversePower;
            power = modulus.Multiply(power, Root);
            inversePower = modulus.Multiply(inversePower, inverseRoot);
        }

        for (int i = 0; i < n; i++)
        {
            _rootsShoup[i] = modulus.ShoupPrecompute(_roots[i]);
            _inverseRootsShoup[i] = modulus.ShoupPrecompute(_inverseRoots[i]);
        }

        _inverseDegree = modulus.Invert((ulong)n);
        _inverseDegreeShoup = modulus.ShoupPrecompute(_inverseDegree);
        _lastInverseRootScaled = modulus.Multiply(_inverseRoots[1], _inverseDegree);
        _lastInverseRootScaledShoup = modulus.ShoupPrecompute(_lastInverseRootScaled);

        _floatProducts = floatProducts;
        ulong Aux(ulong w, ulong shoup) => _floatProducts ? BitConverter.DoubleToUInt64Bits((double)w / modulus.Value) : shoup;
        _inverseRootsAux = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            _inverseRootsAux[i] = Aux(_inverseRoots[i], _inverseRootsShoup[i]);
        }

        _inverseDegreeAux = Aux(_inverseDegree, _inverseDegreeShoup);
        _lastInverseRootScaledAux = Aux(_lastInverseRootScaled, _lastInverseRootScaledShoup);
    }

    /// <summary>The degree N.</summary>
    public int Degree { get; }

    /// <summary>log2 N.</summary>
    public int LogDegree { get; }

    /// <summary>The prime q.</summary>
    public Modulus Modulus { get; }

    /// <summary>The primitive 2N-th root of unity psi used (the smallest one).</summary>
    public ulong Root { get; }

    /// <summary>psi^brv(i) for i in [0, N): the forward twiddles in bit-reversed order.</summary>
    public ReadOnlySpan<ulong> RootPowers => _roots;

    /// <summary>Forward transform in place, output fully reduced to [0, q). Requires inputs in [0, 4q).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Forward(Span<ulong> values)
    {
        ForwardLazy(values);
        ReduceFromFourQ(values, Modulus.Value);
    }

    // values in [0, 4q) -> [0, q): two conditional subtractions (vectorised: unsigned min).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ReduceFromFourQ(Span<ulong> values, ulong q)
    {
        ulong twoQ = 2 * q;
        fixed (ulong* a = values)
        {
            int i = 0;
            if (UseAvx512)
            {
                var vq = Vector512.Create(q);
                var v2q = Vector512.Create(twoQ);
                for (; i + 8 <= values.Length; i += 8)
                {
                    var v = Vector512.Load(a + i);
                    v = Avx512F.Min(v, v - v2q);
                    Avx512F.Min(v, v - vq).Store(a + i);
                }
            }

            for (; i < values.Length; i++)
            {
                a[i] = Modulus.CorrectOnce(Modulus.CorrectOnce(a[i], twoQ), q);
            }
        }
    }

    // values in [0, 2q) -> [0, q).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ReduceFromTwoQ(Span<ulong> values, ulong q)
    {
        fixed (ulong* a = values)
        {
            int i = 0;
            if (UseAvx512)
            {
                var vq = Vector512.Create(q);
                for (; i + 8 <= values.Length; i += 8)
                {
                    var v = Vector512.Load(a + i);
                    Avx512F.Min(v, v - vq).Store(a + i);
                }
            }

            for (; i < values.Length; i++)
            {
                a[i] = Modulus.CorrectOnce(a[i], q);
            }
        }
    }

    /// <summary>
    /// Forward transform in place with Harvey's lazy butterflies: outputs lie in [0, 4q).
    /// Requires inputs in [0, 4q) and values.Length = N.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public unsafe void ForwardLazy(Span<ulong> values)
    {
        if (values.Length != Degree)
        {
            throw new ArgumentException($"expected {Degree} values, got {values.Length}.", nameof(values));
        }

        ulong q = Modulus.Value, twoQ = 2 * q;
        int n = Degree;
        fixed (ulong* a = values, roots = _roots, shoup = _rootsShoup)
        {
            int m = 1, t = n >> 1;
            if (UseAvx512 && n >= 16)
            {
                // Shoup products here: double-precision quotients measured 25% faster on a quiet
                // core but up to 30% slower when the machine was loaded (the inverse gains in both).
                ForwardStages512<ShoupProduct>(a, n, roots, shoup, q);
                return;
            }

            for (; m < n; m <<= 1, t >>= 1)
            {
                for (int i = 0; i < m; i++)
                {
                    ulong w = roots[m + i], ws = shoup[m + i];
                    ulong* x = a + 2 * i * t;
                    ulong* y = x + t;
                    for (int j = 0; j < t; j++)
                    {
                        ulong u = Modulus.CorrectOnce(x[j], twoQ);
                        ulong v = y[j];
                        ulong qHat = Math.BigMul(v, ws, out _);
                        v = v * w - qHat * q;
                        x[j] = u + v;
                        y[j] = u - v + twoQ;
                    }
                }
            }
        }
    }

    /// <summary>Inverse transform in place, output in [0, q). Requires inputs in [0, 2q) and values.Length = N.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Inverse(Span<ulong> values)
    {
        InverseLazy(values);
        ReduceFromTwoQ(values, Modulus.Value);
    }

    /// <summary>Inverse transform in place with outputs in [0, 2q). Requires inputs in [0, 2q).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public unsafe void InverseLazy(Span<ulong> values)
    {
        if (values.Length != Degree)
        {
            throw new ArgumentException($"expected {Degree} values, got {values.Length}.", nameof(values));
        }

        ulong q = Modulus.Value, twoQ = 2 * q;
        int n = Degree;
        fixed (ulong* a = values, roots = _inverseRoots, shoup = _inverseRootsShoup, aux = _inverseRootsAux)
        {
            if (UseAvx512 && n >= 16)
            {
                if (_floatProducts)
                {
                    InverseStages512<FloatProduct>(a, n, roots, aux, q, _inverseDegree, _inverseDegreeAux, _lastInverseRootScaled, _lastInverseRootScaledAux);
                }
                else
                {
                    InverseStages512<ShoupProduct>(a, n, roots, aux, q, _inverseDegree, _inverseDegreeAux, _lastInverseRootScaled, _lastInverseRootScaledAux);
                }

                return;
            }

            int t = 1;
            for (int m = n >> 1; m > 1; m >>= 1, t <<= 1)
            {
                for (int i = 0; i < m; i++)
                {
                    ulong w = roots[m + i], ws = shoup[m + i];
                    ulong* x = a + 2 * i * t;
                    ulong* y = x + t;
                    for (int j = 0; j < t; j++)
                    {
                        ulong u = x[j], v = y[j];
                        x[j] = Modulus.CorrectOnce(u + v, twoQ);
                        ulong d = u - v + twoQ;
                        ulong qHat = Math.BigMul(d, ws, out _);
                        y[j] = d * w - qHat * q;
                    }
                }
            }

            // Last stage (m = 1) merged with the scaling by 1/N.
            ulong nInv = _inverseDegree, nInvShoup = _inverseDegreeShoup;
            ulong wN = _lastInverseRootScaled, wNShoup = _lastInverseRootScaledShoup;
            ulong* xs = a, ys = a + t;
            for (int j = 0; j < t; j++)
            {
                ulong u = xs[j], v = ys[j];
                ulong s = Modulus.CorrectOnce(u + v, twoQ);
                ulong d = u - v + twoQ;
                ulong q1 = Math.BigMul(s, nInvShoup, out _);
                xs[j] = s * nInv - q1 * q;
                ulong q2 = Math.BigMul(d, wNShoup, out _);
                ys[j] = d * wN - q2 * q;
            }
        }
    }

    // AVX-512 path: eight butterflies at a time. There is no 64x64 -> high-64 vector multiply, so the
    // Shoup quotient's high word is assembled from four 32x32 -> 64 products (vpmuludq); the low
    // words use vpmullq. Pays for the stages whose butterfly span t is at least 8.
    internal static bool UseAvx512 => Avx512F.IsSupported && Avx512DQ.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<ulong> MultiplyHigh(Vector512<ulong> a, Vector512<ulong> b, Vector512<ulong> bHigh)
    {
        var aHigh = Avx512F.ShiftRightLogical(a, 32);
        var lolo = Avx512F.Multiply(a.AsUInt32(), b.AsUInt32());
        var lohi = Avx512F.Multiply(a.AsUInt32(), bHigh.AsUInt32());
        var hilo = Avx512F.Multiply(aHigh.AsUInt32(), b.AsUInt32());
        var hihi = Avx512F.Multiply(aHigh.AsUInt32(), bHigh.AsUInt32());
        var mask = Vector512.Create(0xFFFF_FFFFUL);
        var middle = Avx512F.ShiftRightLogical(lolo, 32) + (lohi & mask) + (hilo & mask);
        return hihi + Avx512F.ShiftRightLogical(lohi, 32) + Avx512F.ShiftRightLogical(hilo, 32) + Avx512F.ShiftRightLogical(middle, 32);
    }

    // The lazy product (v w) mod q in [0, 2q) of a vector v < 4q by a twiddle w with its companion.
    private interface ILazyProduct
    {
        static abstract Vector512<ulong> Multiply(Vector512<ulong> v, Vector512<ulong> w, Vector512<ulong> companion, Vector512<ulong> q);
    }

    // Shoup: the companion is floor(w 2^64 / q); the quotient's high word takes four vpmuludq.
    private readonly struct ShoupProduct : ILazyProduct
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<ulong> Multiply(Vector512<ulong> v, Vector512<ulong> w, Vector512<ulong> companion, Vector512<ulong> q)
        {
            var qHat = MultiplyHigh(v, companion, Avx512F.ShiftRightLogical(companion, 32));
            return Avx512DQ.MultiplyLow(v, w) - Avx512DQ.MultiplyLow(qHat, q);
        }
    }

    // Primes below 2^49: the companion is the double w / q, and qHat = trunc(v * (w / q)). Both
    // roundings are relative errors of 2^-53, so for v < 4q the estimate is within
    // 4q * 2^-52 < 1/2 of v w / q and qHat is off by at most one either way: v w - qHat q, exact in
    // the low 64 bits, lies in [-q, 2q), and one conditional subtraction of 2q after adding q
    // brings it to [0, 2q). Three cheap conversions replace the four-multiply high word.
    private readonly struct FloatProduct : ILazyProduct
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<ulong> Multiply(Vector512<ulong> v, Vector512<ulong> w, Vector512<ulong> companion, Vector512<ulong> q)
        {
            var qHat = Avx512DQ.ConvertToVector512UInt64WithTruncation(Avx512DQ.ConvertToVector512Double(v) * companion.AsDouble());
            var r = Avx512DQ.MultiplyLow(v, w) - Avx512DQ.MultiplyLow(qHat, q) + q;
            return Avx512F.Min(r, r - q - q);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardStages512<TProduct>(ulong* a, int n, ulong* roots, ulong* companions, ulong q)
        where TProduct : struct, ILazyProduct
    {
        int m = 1, t = n >> 1;
        for (; t >= 8; m <<= 1, t >>= 1)
        {
            for (int i = 0; i < m; i++)
            {
                ForwardButterflies512<TProduct>(a + 2 * i * t, t, roots[m + i], companions[m + i], q);
            }
        }

        for (; m < n; m <<= 1, t >>= 1)
        {
            ForwardSmallStride512<TProduct>(a, n, t, m, roots, companions, q);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void InverseStages512<TProduct>(ulong* a, int n, ulong* roots, ulong* companions, ulong q,
        ulong nInv, ulong nInvCompanion, ulong wN, ulong wNCompanion)
        where TProduct : struct, ILazyProduct
    {
        int t = 1;
        for (int m = n >> 1; m > 1; m >>= 1, t <<= 1)
        {
            if (t >= 8)
            {
                for (int i = 0; i < m; i++)
                {
                    InverseButterflies512<TProduct>(a + 2 * i * t, t, roots[m + i], companions[m + i], q);
                }
            }
            else
            {
                InverseSmallStride512<TProduct>(a, n, t, m, roots, companions, q);
            }
        }

        // Last stage (m = 1) merged with the scaling by 1/N; t = N/2 >= 8.
        LastInverseStage512<TProduct>(a, a + t, t, nInv, nInvCompanion, wN, wNCompanion, q);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardButterflies512<TProduct>(ulong* x, int t, ulong w, ulong companion, ulong q)
        where TProduct : struct, ILazyProduct
    {
        ulong* y = x + t;
        var vw = Vector512.Create(w);
        var vc = Vector512.Create(companion);
        var vq = Vector512.Create(q);
        var twoQ = Vector512.Create(2 * q);
        for (int j = 0; j < t; j += 8)
        {
            var u = Vector512.Load(x + j);
            u = Avx512F.Min(u, u - twoQ);
            var product = TProduct.Multiply(Vector512.Load(y + j), vw, vc, vq);
            (u + product).Store(x + j);
            (u - product + twoQ).Store(y + j);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void InverseButterflies512<TProduct>(ulong* x, int t, ulong w, ulong companion, ulong q)
        where TProduct : struct, ILazyProduct
    {
        ulong* y = x + t;
        var vw = Vector512.Create(w);
        var vc = Vector512.Create(companion);
        var vq = Vector512.Create(q);
        var twoQ = Vector512.Create(2 * q);
        for (int j = 0; j < t; j += 8)
        {
            var u = Vector512.Load(x + j);
            var v = Vector512.Load(y + j);
            var sum = u + v;
            Avx512F.Min(sum, sum - twoQ).Store(x + j);
            TProduct.Multiply(u - v + twoQ, vw, vc, vq).Store(y + j);
        }
    }

    // Strides t = 4, 2, 1: gather the butterfly pairs of a 16-element block into two vectors with
    // vpermt2q, run eight butterflies, scatter them back.
    private static readonly ulong[][] SmallStrideIndices =
    [
        // t = 1: X, Y, out-low, out-high
        [0, 2, 4, 6, 8, 10, 12, 14], [1, 3, 5, 7, 9, 11, 13, 15], [0, 8, 1, 9, 2, 10, 3, 11], [4, 12, 5, 13, 6, 14, 7, 15],
        // t = 2
        [0, 1, 4, 5, 8, 9, 12, 13], [2, 3, 6, 7, 10, 11, 14, 15], [0, 1, 8, 9, 2, 3, 10, 11], [4, 5, 12, 13, 6, 7, 14, 15],
        // t = 4
        [0, 1, 2, 3, 8, 9, 10, 11], [4, 5, 6, 7, 12, 13, 14, 15], [0, 1, 2, 3, 8, 9, 10, 11], [4, 5, 6, 7, 12, 13, 14, 15],
    ];

    private static int SmallStrideRow(int t) => t == 1 ? 0 : t == 2 ? 4 : 8;

    private static unsafe Vector512<ulong> Twiddles(ulong* table, int first, int t)
    {
        // Lane k of the X vector belongs to group first + (k * 2t / 2t-block layout): k / t for t = 4, 2, 1 blocks of 16.
        return t switch
        {
            1 => Vector512.Load(table + first),
            2 => Vector512.Create(table[first], table[first], table[first + 1], table[first + 1], table[first + 2], table[first + 2], table[first + 3], table[first + 3]),
            _ => Vector512.Create(table[first], table[first], table[first], table[first], table[first + 1], table[first + 1], table[first + 1], table[first + 1]),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardSmallStride512<TProduct>(ulong* a, int n, int t, int m, ulong* roots, ulong* companions, ulong q)
        where TProduct : struct, ILazyProduct
    {
        int row = SmallStrideRow(t);
        var ix = Vector512.Create(SmallStrideIndices[row]);
        var iy = Vector512.Create(SmallStrideIndices[row + 1]);
        var il = Vector512.Create(SmallStrideIndices[row + 2]);
        var ih = Vector512.Create(SmallStrideIndices[row + 3]);
        var vq = Vector512.Create(q);
        var twoQ = Vector512.Create(2 * q);
        for (int b = 0; b < n; b += 16)
        {
            int first = m + b / (2 * t);
            var w = Twiddles(roots, first, t);
            var c = Twiddles(companions, first, t);
            var lo = Vector512.Load(a + b);
            var hi = Vector512.Load(a + b + 8);
            var u = Avx512F.PermuteVar8x64x2(lo, ix, hi);
            var v = Avx512F.PermuteVar8x64x2(lo, iy, hi);
            u = Avx512F.Min(u, u - twoQ);
            var product = TProduct.Multiply(v, w, c, vq);
            var x = u + product;
            var y = u - product + twoQ;
            Avx512F.PermuteVar8x64x2(x, il, y).Store(a + b);
            Avx512F.PermuteVar8x64x2(x, ih, y).Store(a + b + 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void InverseSmallStride512<TProduct>(ulong* a, int n, int t, int m, ulong* roots, ulong* companions, ulong q)
        where TProduct : struct, ILazyProduct
    {
        int row = SmallStrideRow(t);
        var ix = Vector512.Create(SmallStrideIndices[row]);
        var iy = Vector512.Create(SmallStrideIndices[row + 1]);
        var il = Vector512.Create(SmallStrideIndices[row + 2]);
        var ih = Vector512.Create(SmallStrideIndices[row + 3]);
        var vq = Vector512.Create(q);
        var twoQ = Vector512.Create(2 * q);
        for (int b = 0; b < n; b += 16)
        {
            int first = m + b / (2 * t);
            var w = Twiddles(roots, first, t);
            var c = Twiddles(companions, first, t);
            var lo = Vector512.Load(a + b);
            var hi = Vector512.Load(a + b + 8);
            var u = Avx512F.PermuteVar8x64x2(lo, ix, hi);
            var v = Avx512F.PermuteVar8x64x2(lo, iy, hi);
            var sum = u + v;
            var x = Avx512F.Min(sum, sum - twoQ);
            var y = TProduct.Multiply(u - v + twoQ, w, c, vq);
            Avx512F.PermuteVar8x64x2(x, il, y).Store(a + b);
            Avx512F.PermuteVar8x64x2(x, ih, y).Store(a + b + 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void LastInverseStage512<TProduct>(ulong* xs, ulong* ys, int t, ulong nInv, ulong nInvCompanion, ulong wN, ulong wNCompanion, ulong q)
        where TProduct : struct, ILazyProduct
    {
        var vq = Vector512.Create(q);
        var twoQ = Vector512.Create(2 * q);
        var vn = Vector512.Create(nInv);
        var vnc = Vector512.Create(nInvCompanion);
        var vw = Vector512.Create(wN);
        var vwc = Vector512.Create(wNCompanion);
        for (int j = 0; j < t; j += 8)
        {
            var u = Vector512.Load(xs + j);
            var v = Vector512.Load(ys + j);
            var sum = u + v;
            sum = Avx512F.Min(sum, sum - twoQ);
            TProduct.Multiply(sum, vn, vnc, vq).Store(xs + j);
            TProduct.Multiply(u - v + twoQ, vw, vwc, vq).Store(ys + j);
        }
    }

    private static int ReverseBits(int value, int bits)
    {
        uint v = (uint)value;
        uint r = 0;
        for (int i = 0; i < bits; i++)
        {
            r = (r << 1) | (v & 1);
            v >>= 1;
        }

        return (int)r;
    }

    /// <summary>Reverses the low <paramref name="bits"/> bits of <paramref name="value"/>.</summary>
    public static int BitReverse(int value, int bits) => ReverseBits(value, bits);
}
