// Fast RNS base conversion with floating-point correction (exact for centered inputs).
// References:
//  - S. Halevi, Y. Polyakov, V. Shoup, "An Improved RNS Variant of the BFV Homomorphic Encryption
//    Scheme", CT-RSA 2019 (eprint 2018/117), section 2.2 (the correction v = round(sum y_i / q_i)).
//  - Bajard et al., SAC 2016 (eprint 2016/510): fast base conversion FastBconv.
// Sizes: source and target bases of up to 64 word-size moduli; inputs fully reduced.
using Konfido.He.Arithmetic;

namespace Konfido.He.Rings;

/// <summary>
/// Converts polynomials in RNS form from a base Q to a base P: each coefficient x in (-Q/2, Q/2]
/// (the centered representative) is mapped to its residues modulo every p_j.
/// </summary>
public sealed class BaseConverter
{
    private readonly ulong[][] _puncturedModTarget; // [j][i] = [Q/q_i]_{p_j}
    private readonly ulong[] _productModTarget;     // [j] = [Q]_{p_j}
    private readonly double[] _inverseSource;        // 1/q_i

    /// <summary>Creates a converter from <paramref name="source"/> to <paramref name="target"/>.</summary>
    public BaseConverter(RnsBase source, RnsBase target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        Source = source;
        Target = target;
        _puncturedModTarget = new ulong[target.Count][];
        _productModTarget = new ulong[target.Count];
        for (int j = 0; j < target.Count; j++)
        {
            ulong p = target[j].Value;
            _puncturedModTarget[j] = new ulong[source.Count];
            for (int i = 0; i < source.Count; i++)
            {
                _puncturedModTarget[j][i] = (ulong)(source.PuncturedProduct(i) % p);
            }

            _productModTarget[j] = (ulong)(source.Product % p);
        }

        _inverseSource = new double[source.Count];
        for (int i = 0; i < source.Count; i++)
        {
            _inverseSource[i] = 1.0 / source[i].Value;
        }
    }

    /// <summary>The source base Q.</summary>
    public RnsBase Source { get; }

    /// <summary>The target base P.</summary>
    public RnsBase Target { get; }

    /// <summary>
    /// Converts <paramref name="input"/> (Q.Count limbs of <paramref name="degree"/> coefficients, in
    /// [0, q_i)) into <paramref name="output"/> (P.Count limbs), using the centered representative.
    /// Exact unless a coefficient lies within about 2^-40 Q of +-Q/2.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public unsafe void Convert(ReadOnlySpan<ulong> input, Span<ulong> output, int degree)
    {
        int k = Source.Count, l = Target.Count;
        if (input.Length < k * degree || output.Length < l * degree)
        {
            throw new ArgumentException("input or output is too short for the bases and degree.");
        }

        ulong[] yBuffer = System.Buffers.ArrayPool<ulong>.Shared.Rent(k * degree);
        long[] vBuffer = System.Buffers.ArrayPool<long>.Shared.Rent(degree);
        try
        {
            fixed (ulong* x = input, y = yBuffer, outp = output)
            fixed (long* v = vBuffer)
            fixed (double* inv = _inverseSource)
            {
                // y_i = [x_i * (Q/q_i)^-1]_{q_i}.
                for (int i = 0; i < k; i++)
                {
                    var qi = Source[i];
                    ulong w = Source.InversePuncturedProduct(i), ws = Source.InversePuncturedProductShoup(i);
                    ulong* xi = x + i * degree, yi = y + i * degree;
                    for (int c = 0; c < degree; c++)
                    {
                        yi[c] = qi.MultiplyShoup(xi[c], w, ws);
                    }
                }

                // v = round(sum_i y_i / q_i): x = sum_i y_i Q_i - v Q is the centered representative.
                for (int c = 0; c < degree; c++)
                {
                    double sum = 0;
                    for (int i = 0; i < k; i++)
                    {
                        sum += y[i * degree + c] * inv[i];
                    }

                    v[c] = (long)Math.Round(sum, MidpointRounding.AwayFromZero);
                }

                for (int j = 0; j < l; j++)
                {
                    var pj = Target[j];
                    ulong* o = outp + j * degree;
                    ulong[] punctured = _puncturedModTarget[j];
                    ulong productMod = _productModTarget[j];
                    fixed (ulong* pm = punctured)
                    {
                        for (int c = 0; c < degree; c++)
                        {
                            UInt128 acc = 0;
                            for (int i = 0; i < k; i++)
                            {
                                acc += Math.BigMul(y[i * degree + c], pm[i]);
                            }

                            ulong s = ReduceWide(acc, pj);
                            ulong correction = pj.Multiply(pj.Reduce((ulong)v[c]), productMod);
                            o[c] = pj.Subtract(s, correction);
                        }
                    }
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(yBuffer);
            System.Buffers.ArrayPool<long>.Shared.Return(vBuffer);
        }
    }

    // Reduces a 128-bit accumulator whose high word may exceed p: fold the high word first.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static ulong ReduceWide(UInt128 acc, Modulus p)
    {
        ulong hi = (ulong)(acc >> 64), lo = (ulong)acc;
        if (hi >= p.Value)
        {
            hi = p.Reduce(hi);
        }

        return p.Reduce(hi, lo);
    }
}
