using System.Numerics;

namespace Konfido.Puf.Tests.Coding;

/// <summary>The naive reference: binary polynomials as big integers, long division by shifting.</summary>
internal static class NaiveGf2
{
    public static int Degree(BigInteger p) => p.IsZero ? -1 : (int)(p.GetBitLength() - 1);

    public static BigInteger Mod(BigInteger a, BigInteger g)
    {
        var dg = Degree(g);
        for (var d = Degree(a); d >= dg; d = Degree(a))
        {
            a ^= g << (d - dg);
        }

        return a;
    }

    /// <summary>Bits (first = highest degree) to a polynomial.</summary>
    public static BigInteger FromBits(ReadOnlySpan<byte> bits)
    {
        var p = BigInteger.Zero;
        foreach (var b in bits)
        {
            p = (p << 1) | b;
        }

        return p;
    }

    /// <summary>Field multiplication by shift-and-add with reduction: the reference for the table field.</summary>
    public static int FieldMultiply(int a, int b, int m, int poly)
    {
        var r = 0;
        while (b != 0)
        {
            if ((b & 1) != 0)
            {
                r ^= a;
            }

            b >>= 1;
            a <<= 1;
            if ((a >> m & 1) != 0)
            {
                a ^= poly;
            }
        }

        return r;
    }
}
