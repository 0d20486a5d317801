// Modular arithmetic for word-size moduli (q < 2^61).
// References:
//  - P. Barrett, "Implementing the RSA public key encryption algorithm on a standard DSP", CRYPTO'86
//    (128-bit Barrett reduction with the precomputed ratio floor(2^128 / q)).
//  - V. Shoup, NTL; D. Harvey, "Faster arithmetic for number-theoretic transforms", J. Symb. Comp. 2014
//    (multiplication by a fixed operand w with the precomputed quotient floor(w * 2^64 / q)).
// Sizes: 2 <= q < 2^61, so that lazy values in [0, 4q) fit in 64 bits.
using System.Runtime.CompilerServices;

namespace Konfido.He.Arithmetic;

/// <summary>
/// A word-size modulus q (2 &lt;= q &lt; 2^61) with precomputed Barrett constants. Every
/// operation expects reduced inputs in [0, q) unless it says otherwise.
/// </summary>
public readonly struct Modulus : IEquatable<Modulus>
{
    /// <summary>The largest bit size accepted for a modulus.</summary>
    public const int MaxBitCount = 61;

    /// <summary>Creates a modulus. Requires 2 &lt;= <paramref name="value"/> &lt; 2^61.</summary>
    public Modulus(ulong value)
    {
        if (value < 2 || value >= 1UL << MaxBitCount)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "a modulus must lie in [2, 2^61).");
        }

        Value = value;
        BitCount = 64 - System.Numerics.BitOperations.LeadingZeroCount(value);
        UInt128 ratio = UInt128.MaxValue / value;
        // floor(2^128 / q): MaxValue / q is floor((2^128 - 1) / q), which equals floor(2^128 / q)
        // unless q divides 2^128 (q a power of two).
        if (System.Numerics.BitOperations.IsPow2(value))
        {
            ratio += 1;
        }

        RatioHigh = (ulong)(ratio >> 64);
        RatioLow = (ulong)ratio;
    }

    /// <summary>The modulus q.</summary>
    public ulong Value { get; }

    /// <summary>The bit length of q.</summary>
    public int BitCount { get; }

    /// <summary>High word of floor(2^128 / q).</summary>
    public ulong RatioHigh { get; }

    /// <summary>Low word of floor(2^128 / q).</summary>
    public ulong RatioLow { get; }

    /// <summary>Reduces any 64-bit value modulo q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Reduce(ulong x)
    {
        // q_hat = floor(x * floor(2^128/q) / 2^128), with x/q - 2 < q_hat <= x/q.
        ulong carry = Math.BigMul(x, RatioLow, out _);
        ulong qHat = (ulong)((Math.BigMul(x, RatioHigh) + carry) >> 64);
        ulong r = x - qHat * Value;
        return CorrectOnce(CorrectOnce(r, Value), Value);
    }

    /// <summary>Reduces a 128-bit value modulo q. Requires the value &lt; q * 2^64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Reduce(UInt128 x) => Reduce((ulong)(x >> 64), (ulong)x);

    /// <summary>Reduces hi * 2^64 + lo modulo q. Requires hi &lt; q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Reduce(ulong hi, ulong lo)
    {
        return CorrectOnce(lo - Quotient(hi, lo) * Value, Value);
    }

    /// <summary>An estimate of floor((hi*2^64+lo)/q), too small by at most one. Requires hi &lt; q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong Quotient(ulong hi, ulong lo)
    {
        ulong p00 = Math.BigMul(lo, RatioLow, out _);
        UInt128 mid = (UInt128)p00 + Math.BigMul(lo, RatioHigh) + Math.BigMul(hi, RatioLow);
        return hi * RatioHigh + (ulong)(mid >> 64);
    }

    /// <summary>Exact floor and remainder of a 128-bit value by q. Requires the value &lt; q * 2^64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong DivRem(UInt128 x, out ulong remainder)
    {
        ulong hi = (ulong)(x >> 64), lo = (ulong)x;
        ulong quotient = Quotient(hi, lo);
        ulong r = lo - quotient * Value;
        // The estimate is short by at most two multiples of q.
        while (r >= Value)
        {
            r -= Value;
            quotient++;
        }

        remainder = r;
        return quotient;
    }

    /// <summary>(a * b) mod q for a, b in [0, q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Multiply(ulong a, ulong b)
    {
        ulong hi = Math.BigMul(a, b, out ulong lo);
        return Reduce(hi, lo);
    }

    /// <summary>(a + b) mod q for a, b in [0, q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Add(ulong a, ulong b)
    {
        return CorrectOnce(a + b, Value);
    }

    /// <summary>(a - b) mod q for a, b in [0, q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Subtract(ulong a, ulong b)
    {
        ulong d = a - b;
        return d + (Value & (ulong)((long)d >> 63));
    }

    /// <summary>(-a) mod q for a in [0, q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Negate(ulong a) => (Value - a) & (ulong)((long)(a | (0UL - a)) >> 63);

    /// <summary>The Shoup quotient floor(w * 2^64 / q) of a fixed operand w in [0, q).</summary>
    public ulong ShoupPrecompute(ulong w) => (ulong)(((UInt128)w << 64) / Value);

    /// <summary>(x * w) mod q in [0, 2q) given w's Shoup quotient; x may be any 64-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong MultiplyShoupLazy(ulong x, ulong w, ulong wShoup, ulong q)
    {
        ulong qHat = Math.BigMul(x, wShoup, out _);
        return x * w - qHat * q;
    }

    /// <summary>(x * w) mod q in [0, q) given w's Shoup quotient; x may be any 64-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong MultiplyShoup(ulong x, ulong w, ulong wShoup)
    {
        return CorrectOnce(MultiplyShoupLazy(x, w, wShoup, Value), Value);
    }

    /// <summary>x - m when x &gt;= m, else x, without a branch. Requires x &lt; m + 2^63.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong CorrectOnce(ulong x, ulong m)
    {
        ulong d = x - m;
        return d + (m & (ulong)((long)d >> 63));
    }

    /// <summary>a^e mod q.</summary>
    public ulong Pow(ulong a, ulong e)
    {
        ulong result = 1 % Value, b = Reduce(a);
        while (e != 0)
        {
            if ((e & 1) != 0)
            {
                result = Multiply(result, b);
            }

            b = Multiply(b, b);
            e >>= 1;
        }

        return result;
    }

    /// <summary>The inverse of a modulo q, or false when gcd(a, q) != 1.</summary>
    public bool TryInvert(ulong a, out ulong inverse)
    {
        long t = 0, newT = 1;
        ulong r = Value, newR = Reduce(a);
        while (newR != 0)
        {
            ulong quotient = r / newR;
            (t, newT) = (newT, t - (long)quotient * newT);
            (r, newR) = (newR, r - quotient * newR);
        }

        inverse = t < 0 ? (ulong)(t + (long)Value) : (ulong)t;
        return r == 1;
    }

    /// <summary>The inverse of a modulo q. Requires gcd(a, q) = 1.</summary>
    public ulong Invert(ulong a) =>
        TryInvert(a, out ulong inverse) ? inverse : throw new ArithmeticException($"{a} is not invertible modulo {Value}.");

    /// <inheritdoc />
    public bool Equals(Modulus other) => Value == other.Value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Modulus other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Value.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Equality of moduli.</summary>
    public static bool operator ==(Modulus left, Modulus right) => left.Equals(right);

    /// <summary>Inequality of moduli.</summary>
    public static bool operator !=(Modulus left, Modulus right) => !left.Equals(right);
}
