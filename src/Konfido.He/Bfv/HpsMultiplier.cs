// BFV ciphertext multiplication in RNS (HPS variant).
// References: S. Halevi, Y. Polyakov, V. Shoup, "An Improved RNS Variant of the BFV Homomorphic
// Encryption Scheme", CT-RSA 2019 (eprint 2018/117), sections 4.1-4.3: extend both ciphertexts from
// Q to Q u P exactly, tensor in NTT form, compute round(t/Q * x) directly in base P with the
// integer/fractional split of t (QP/q_i)^-1 P / q_i, then convert P back to Q exactly.
// Sizes: P is a product of 60-bit NTT primes with log P >= log Q + log t + log N + 3, so that the
// tensor (|x| <= N Q^2 / 2) fits in QP and the scaled result (|z| <= t N Q / 2) fits in P.
using System.Buffers;
using System.Numerics;
using Konfido.He.Arithmetic;
using Konfido.He.Rings;

namespace Konfido.He.Bfv;

/// <summary>The precomputed auxiliary base and constants of HPS multiplication at one level.</summary>
internal sealed class HpsMultiplier
{
    private readonly NttTables[] _tables; // Q primes then P primes
    private readonly int _k;
    private readonly int _l;
    private readonly ulong[][] _omega;  // [j][i] = [floor(t Mt_i P / q_i)]_{p_j}
    private readonly ulong[] _beta;     // [i]    = (t Mt_i P) mod q_i
    private readonly double[] _inverseQ; // 1 / q_i
    private readonly ulong[] _gamma;    // [j]    = [t Mt_j (P / p_j)]_{p_j}
    private readonly BaseConverter _qToP;
    private readonly BaseConverter _pToQ;

    public HpsMultiplier(ContextData level, Modulus t)
    {
        int n = level.Degree;
        var baseQ = level.Ring.Base;
        _k = baseQ.Count;
        int needed = level.TotalCoeffModulusBitCount + t.BitCount + BitOperations.Log2((uint)n) + 3;
        _l = (needed + 58) / 59;
        var exclude = new HashSet<ulong>(level.Context.Parameters.CoeffModulus.Select(q => q.Value)) { t.Value };
        var pPrimes = NumberTheory.GenerateNttPrimes(60, _l, n, exclude);
        var baseP = new RnsBase(pPrimes.Select(p => new Modulus(p)));
        _tables = [.. Enumerable.Range(0, _k).Select(i => level.Ring.Tables(i)), .. baseP.Moduli.ToArray().Select(p => new NttTables(n, p))];
        _qToP = new BaseConverter(baseQ, baseP);
        _pToQ = new BaseConverter(baseP, baseQ);

        BigInteger q = baseQ.Product, p = baseP.Product, m = q * p;
        _beta = new ulong[_k];
        _inverseQ = new double[_k];
        _omega = new ulong[_l][];
        for (int j = 0; j < _l; j++)
        {
            _omega[j] = new ulong[_k];
        }

        for (int i = 0; i < _k; i++)
        {
            ulong qi = baseQ[i].Value;
            var mt = ModInverse(m / qi % qi, qi);
            var a = new BigInteger(t.Value) * mt * p;
            _beta[i] = (ulong)(a % qi);
            var omega = a / qi;
            for (int j = 0; j < _l; j++)
            {
                _omega[j][i] = (ulong)(omega % baseP[j].Value);
            }

            _inverseQ[i] = 1.0 / qi;
        }

        _gamma = new ulong[_l];
        for (int j = 0; j < _l; j++)
        {
            ulong pj = baseP[j].Value;
            var mt = ModInverse(m / pj % pj, pj);
            _gamma[j] = (ulong)(new BigInteger(t.Value) * mt * (p / pj) % pj);
        }
    }

    /// <summary>The number of auxiliary primes.</summary>
    public int AuxiliaryCount => _l;

    /// <summary>
    /// dest = round(t/Q * a (x) b) for ciphertexts in coefficient form at this level (sizes sa, sb);
    /// dest has sa + sb - 1 components. dest may alias neither input; inputs are read before dest is written.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public unsafe void Multiply(ulong[] a, int sizeA, ulong[] b, int sizeB, bool same, ulong[] dest, int n, Parallelism parallelism)
    {
        int kl = _k + _l;
        int poly = kl * n;
        int inputs = same ? sizeA : sizeA + sizeB;
        int sizeD = sizeA + sizeB - 1;
        ulong[] ext = ArrayPool<ulong>.Shared.Rent(inputs * poly);
        ulong[] prod = ArrayPool<ulong>.Shared.Rent(sizeD * poly);
        try
        {
            // 1. Extend every input component to Q u P and transform.
            var aCopy = a;
            var bCopy = same ? a : b;
            parallelism.For(inputs, kl * n, c =>
            {
                var src = c < sizeA ? aCopy.AsSpan(c * _k * n, _k * n) : bCopy.AsSpan((c - sizeA) * _k * n, _k * n);
                var dst = ext.AsSpan(c * poly, poly);
                src.CopyTo(dst);
                _qToP.Convert(src, dst[(_k * n)..], n);
            });
            parallelism.For(inputs * kl, n, job =>
            {
                int c = job / kl, limb = job % kl;
                _tables[limb].Forward(ext.AsSpan(c * poly + limb * n, n));
            });

            // 2. Tensor product in NTT form, limb by limb.
            int offsetB = same ? 0 : sizeA;
            parallelism.For(kl, n, limb =>
            {
                var mod = _tables[limb].Modulus;
                if (sizeA == 2 && sizeB == 2)
                {
                    PolyArithmetic.Tensor2(ext.AsSpan(limb * n, n), ext.AsSpan(poly + limb * n, n),
                        ext.AsSpan(offsetB * poly + limb * n, n), ext.AsSpan((offsetB + 1) * poly + limb * n, n),
                        prod.AsSpan(limb * n, n), prod.AsSpan(poly + limb * n, n), prod.AsSpan(2 * poly + limb * n, n), mod);
                    return;
                }

                for (int r = 0; r < sizeD; r++)
                {
                    var target = prod.AsSpan(r * poly + limb * n, n);
                    target.Clear();
                    for (int i = Math.Max(0, r - sizeB + 1); i <= Math.Min(r, sizeA - 1); i++)
                    {
                        int j = r - i;
                        PolyArithmetic.MultiplyAdd(
                            ext.AsSpan(i * poly + limb * n, n),
                            ext.AsSpan((offsetB + j) * poly + limb * n, n),
                            target, mod);
                    }
                }
            });

            // 3. Back to coefficients.
            parallelism.For(sizeD * kl, n, job =>
            {
                int c = job / kl, limb = job % kl;
                _tables[limb].Inverse(prod.AsSpan(c * poly + limb * n, n));
            });

            // 4-5. Scale by t/Q into base P, then convert P -> Q.
            parallelism.For(sizeD, kl * n, r =>
            {
                ScaleAndConvert(prod.AsSpan(r * poly, poly), dest.AsSpan(r * _k * n, _k * n), n);
            });
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(ext);
            ArrayPool<ulong>.Shared.Return(prod);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private unsafe void ScaleAndConvert(Span<ulong> x, Span<ulong> destination, int n)
    {
        UInt128[] integral = ArrayPool<UInt128>.Shared.Rent(n);
        ulong[] z = ArrayPool<ulong>.Shared.Rent(_l * n);
        try
        {
            fixed (ulong* px = x)
            fixed (UInt128* f = integral)
            {
                for (int c = 0; c < n; c++)
                {
                    UInt128 sum = 0;
                    double fraction = 0;
                    for (int i = 0; i < _k; i++)
                    {
                        var qi = _tables[i].Modulus;
                        ulong quotient = qi.DivRem(Math.BigMul(px[i * n + c], _beta[i]), out ulong remainder);
                        sum += quotient;
                        fraction += remainder * _inverseQ[i];
                    }

                    f[c] = sum + (ulong)Math.Round(fraction, MidpointRounding.AwayFromZero);
                }

                for (int j = 0; j < _l; j++)
                {
                    var pj = _tables[_k + j].Modulus;
                    ulong[] omega = _omega[j];
                    ulong gamma = _gamma[j];
                    ulong* xp = px + (_k + j) * n;
                    var zj = z.AsSpan(j * n, n);
                    for (int c = 0; c < n; c++)
                    {
                        UInt128 acc = f[c] + Math.BigMul(xp[c], gamma);
                        for (int i = 0; i < _k; i++)
                        {
                            acc += Math.BigMul(px[i * n + c], omega[i]);
                        }

                        ulong hi = (ulong)(acc >> 64), lo = (ulong)acc;
                        if (hi >= pj.Value)
                        {
                            hi = pj.Reduce(hi);
                        }

                        zj[c] = pj.Reduce(hi, lo);
                    }
                }
            }

            _pToQ.Convert(z.AsSpan(0, _l * n), destination, n);
        }
        finally
        {
            ArrayPool<UInt128>.Shared.Return(integral);
            ArrayPool<ulong>.Shared.Return(z);
        }
    }

    private static BigInteger ModInverse(BigInteger a, BigInteger m) => BigInteger.ModPow(a, m - 2, m);
}
