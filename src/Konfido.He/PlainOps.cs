// Lifting plaintexts modulo t into R_Q for BFV and BGV.
// References: Fan–Vercauteren eprint 2012/144 (Delta m with Delta = floor(Q/t)); SEAL 4.x
// multiply_add_plain_with_scaling_variant (round(Q m / t) = floor(Q/t) m + round((Q mod t) m / t)).
using Konfido.He.Arithmetic;
using Konfido.He.Rings;

namespace Konfido.He;

/// <summary>Plaintext lifting helpers shared by the encryptor and the evaluator.</summary>
internal static class PlainOps
{
    /// <summary>c0 += (or -=) round(Q m / t) in coefficient form (BFV).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void AddScaledPlain(ContextData level, Plaintext plain, Span<ulong> c0, bool subtract)
    {
        var constants = level.Plain!;
        var t = constants.T;
        int n = level.Degree;
        int count = plain.CoeffCount;
        ulong half = (t.Value + 1) >> 1;
        var fix = new ulong[count];
        for (int j = 0; j < count; j++)
        {
            fix[j] = (ulong)((Math.BigMul(constants.QModT, plain.Data[j]) + half) / t.Value);
        }

        for (int i = 0; i < level.ModulusCount; i++)
        {
            var q = level.Moduli[i];
            ulong delta = constants.DeltaMod[i];
            ulong deltaShoup = q.ShoupPrecompute(delta);
            var limb = c0.Slice(i * n, n);
            for (int j = 0; j < count; j++)
            {
                ulong v = q.Add(q.MultiplyShoup(q.Reduce(plain.Data[j]), delta, deltaShoup), q.Reduce(fix[j]));
                limb[j] = subtract ? q.Subtract(limb[j], v) : q.Add(limb[j], v);
            }
        }
    }

    /// <summary>dst (l limbs) = the centered lift of (factor m mod t) into R_Q, in NTT form.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void LiftPlainNtt(ContextData level, Plaintext plain, ulong factor, Span<ulong> dst)
    {
        var t = level.Context.Parameters.PlainModulus!.Value;
        int n = level.Degree;
        ulong half = t.Value >> 1;
        dst.Clear();
        for (int i = 0; i < level.ModulusCount; i++)
        {
            var q = level.Moduli[i];
            var limb = dst.Slice(i * n, n);
            for (int j = 0; j < plain.CoeffCount; j++)
            {
                ulong m = factor == 1 ? plain.Data[j] : t.Multiply(plain.Data[j], factor);
                limb[j] = m > half ? q.Negate(q.Reduce(t.Value - m)) : q.Reduce(m);
            }

            level.Ring.Tables(i).Forward(limb);
        }
    }

    /// <summary>c += (or -=) lift(factor m) in NTT form (BGV).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void AddPlainNtt(ContextData level, Plaintext plain, Span<ulong> c, ulong factor, bool subtract)
    {
        int n = level.Degree;
        var lifted = new ulong[n * level.ModulusCount];
        LiftPlainNtt(level, plain, factor, lifted);
        for (int i = 0; i < level.ModulusCount; i++)
        {
            var q = level.Moduli[i];
            var limb = c.Slice(i * n, n);
            if (subtract)
            {
                PolyArithmetic.Subtract(limb, lifted.AsSpan(i * n, n), limb, q);
            }
            else
            {
                PolyArithmetic.Add(limb, lifted.AsSpan(i * n, n), limb, q);
            }
        }
    }

    /// <summary>Checks a BFV/BGV plaintext against the context.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void CheckPlain(HeContext context, Plaintext plain, string name)
    {
        ArgumentNullException.ThrowIfNull(plain, name);
        if (plain.IsNttForm || plain.CoeffCount > context.Parameters.PolyModulusDegree)
        {
            throw new ArgumentException("the plaintext is not a BFV/BGV plaintext of this context.", name);
        }

        ulong t = context.Parameters.PlainModulus!.Value.Value;
        if (plain.Data.AsSpan().ContainsAnyInRange(t, ulong.MaxValue))
        {
            throw new ArgumentException("a plaintext coefficient is not reduced modulo t.", name);
        }
    }

    internal static Modulus PlainModulusOf(HeContext context) => context.Parameters.PlainModulus!.Value;
}
