// Arithmetic in the binary extension field GF(2^m), 2 <= m <= 16, by exp/log tables.
// References: S. Lin, D. J. Costello, "Error Control Coding", 2nd ed., ch. 2 (finite fields) and
// ch. 6 (binary BCH codes); R. E. Blahut, "Algebraic Codes for Data Transmission", ch. 4.
// An element is an int in [0, 2^m); alpha (the root of the primitive polynomial) is 2.
namespace Konfido.Puf.Coding;

/// <summary>
/// The finite field GF(2^m) built from a primitive polynomial: elements are the integers
/// 0..2^m-1 (polynomial basis), multiplication goes through exp/log tables of the primitive
/// element alpha. Immutable and thread-safe.
/// </summary>
public sealed class GaloisField
{
    // Primitive polynomials for m = 2..16 (index m), each including the x^m term. For m = 5..16
    // they are the polynomials the Linux kernel's lib/bch.c uses by default (prim_poly_tab).
    private static readonly int[] DefaultPolynomials =
    [
        0, 0, 0x7, 0xB, 0x13, 0x25, 0x43, 0x83, 0x11D, 0x211, 0x409, 0x805, 0x1053, 0x201B, 0x402B, 0x8003, 0x1100B,
    ];

    private readonly int[] _exp; // alpha^i for i in [0, 2n): avoids a modulo after adding logs
    private readonly int[] _log; // log_alpha(a) for a in [1, 2^m); _log[0] is unused

    private GaloisField(int m, int polynomial, int[] exp, int[] log)
    {
        M = m;
        PrimitivePolynomial = polynomial;
        Order = (1 << m) - 1;
        _exp = exp;
        _log = log;
    }

    /// <summary>The extension degree m.</summary>
    public int M { get; }

    /// <summary>The multiplicative order of alpha: n = 2^m - 1 (also the full BCH code length).</summary>
    public int Order { get; }

    /// <summary>The primitive polynomial as a bit mask (bit i = coefficient of x^i, bit m set).</summary>
    public int PrimitivePolynomial { get; }

    /// <summary>The default primitive polynomial for degree <paramref name="m"/>. Requires 2 &lt;= m &lt;= 16.</summary>
    /// <param name="m">The extension degree.</param>
    public static int DefaultPolynomial(int m)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(m, 16);
        return DefaultPolynomials[m];
    }

    /// <summary>
    /// Builds GF(2^m) from <paramref name="polynomial"/>; null when it is not a primitive polynomial of
    /// degree m, with the reason in <paramref name="error"/>.
    /// </summary>
    /// <param name="m">The extension degree, 2..16.</param>
    /// <param name="polynomial">The primitive polynomial as a bit mask including x^m.</param>
    /// <param name="error">Why the field could not be built.</param>
    public static GaloisField? TryCreate(int m, int polynomial, out string? error)
    {
        if (m is < 2 or > 16)
        {
            error = $"m must be between 2 and 16, got {m}";
            return null;
        }

        if (polynomial >> m != 1)
        {
            error = $"the polynomial 0x{polynomial:x} does not have degree {m}";
            return null;
        }

        if ((polynomial & 1) == 0)
        {
            error = $"the polynomial 0x{polynomial:x} is divisible by x, so it is not primitive";
            return null;
        }

        var n = (1 << m) - 1;
        var exp = new int[2 * n];
        var log = new int[n + 1];
        Array.Fill(log, -1);
        var a = 1;
        for (var i = 0; i < n; i++)
        {
            if (log[a] != -1)
            {
                // alpha^i repeats a power before 2^m - 1 steps: alpha does not generate the group.
                error = $"the polynomial 0x{polynomial:x} is not primitive (alpha has order {i})";
                return null;
            }

            exp[i] = a;
            log[a] = i;
            a <<= 1;
            if ((a & (1 << m)) != 0)
            {
                a ^= polynomial;
            }
        }

        for (var i = n; i < 2 * n; i++)
        {
            exp[i] = exp[i - n];
        }

        error = null;
        return new GaloisField(m, polynomial, exp, log);
    }

    /// <summary>Builds GF(2^m); throws <see cref="ArgumentException"/> if the polynomial is not primitive of degree m.</summary>
    /// <param name="m">The extension degree, 2..16.</param>
    /// <param name="polynomial">The primitive polynomial as a bit mask including x^m; the default one if null.</param>
    public static GaloisField Create(int m, int? polynomial = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(m, 16);
        return TryCreate(m, polynomial ?? DefaultPolynomials[m], out var error)
            ?? throw new ArgumentException(error, nameof(polynomial));
    }

    /// <summary>alpha^e for any integer exponent (reduced modulo n).</summary>
    /// <param name="e">The exponent.</param>
    public int Exp(long e)
    {
        var r = (int)(e % Order);
        return _exp[r < 0 ? r + Order : r];
    }

    /// <summary>The discrete logarithm of a non-zero element. Requires 0 &lt; a &lt; 2^m.</summary>
    /// <param name="a">The element.</param>
    public int Log(int a)
    {
        if (a <= 0 || a > Order)
        {
            throw new ArgumentOutOfRangeException(nameof(a), a, "log of zero or of a non-element");
        }

        return _log[a];
    }

    /// <summary>The product a·b.</summary>
    /// <param name="a">An element.</param>
    /// <param name="b">An element.</param>
    public int Multiply(int a, int b) => a == 0 || b == 0 ? 0 : _exp[_log[a] + _log[b]];

    /// <summary>The inverse of a non-zero element. Requires a != 0.</summary>
    /// <param name="a">The element.</param>
    public int Inverse(int a)
    {
        if (a == 0)
        {
            throw new DivideByZeroException("zero has no inverse in GF(2^m)");
        }

        return _exp[(Order - _log[a]) % Order];
    }

    /// <summary>The quotient a/b. Requires b != 0.</summary>
    /// <param name="a">The dividend.</param>
    /// <param name="b">The divisor.</param>
    public int Divide(int a, int b) => Multiply(a, Inverse(b));

    /// <summary>a^e for a non-negative exponent (0^0 = 1).</summary>
    /// <param name="a">The base.</param>
    /// <param name="e">The exponent, at least 0.</param>
    public int Pow(int a, long e)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(e);
        if (e == 0)
        {
            return 1;
        }

        return a == 0 ? 0 : _exp[(int)((long)_log[a] * e % Order)];
    }

    // Table access without checks for the decoder's inner loops.
    internal int ExpUnchecked(int i) => _exp[i];

    internal int LogUnchecked(int a) => _log[a];
}
