// Binary BCH codes of length n = 2^m - 1 (and their shortenings), designed distance 2t + 1.
// References: R. C. Bose, D. K. Ray-Chaudhuri (1960); A. Hocquenghem (1959);
// S. Lin, D. J. Costello, "Error Control Coding", 2nd ed., sections 6.1-6.3 (generator polynomial
// g(x) = LCM of the minimal polynomials of alpha, alpha^2, ..., alpha^2t; syndrome decoding,
// Berlekamp-Massey, Chien search); J. L. Massey, "Shift-register synthesis and BCH decoding",
// IEEE Trans. IT-15 (1969). Sizes: m in 2..16, t >= 1 with deg g(x) < n.
//
// Bit order (as in the konfido CLI contract and Linux lib/bch.c): a codeword of N bits is the
// polynomial c(x) = sum_i c[i] x^(N-1-i), i.e. the first bit is the highest degree. A systematic
// codeword is the message bits followed by the parity bits, the parity being the remainder of
// d(x)·x^deg(g) mod g(x).
using System.Numerics;

namespace Konfido.Puf.Coding;

/// <summary>The parameters of a binary BCH code as a user writes them (validated by <see cref="BchCode.Create"/>).</summary>
/// <param name="M">The field degree m (code length 2^m - 1), 2..16.</param>
/// <param name="T">The number of bit errors the code corrects, at least 1.</param>
/// <param name="PrimitivePolynomial">The primitive polynomial of GF(2^m) as a bit mask including x^m; the default one if null.</param>
public sealed record BchParameters(int M, int T, int? PrimitivePolynomial = null);

/// <summary>
/// A binary BCH code over GF(2^m) correcting <see cref="T"/> errors: systematic encoder by an LFSR,
/// decoder by syndromes, Berlekamp–Massey and Chien search. Immutable and thread-safe.
/// </summary>
public sealed class BchCode
{
    private readonly ulong[] _generatorLow; // g(x) without its leading term, bit i = coefficient of x^i
    private readonly int _words;

    private BchCode(GaloisField field, int t, bool[] generator)
    {
        Field = field;
        T = t;
        ParityBits = generator.Length - 1;
        Generator = generator;
        _words = (ParityBits + 63) / 64;
        _generatorLow = new ulong[Math.Max(1, _words)];
        for (var i = 0; i < ParityBits; i++)
        {
            if (generator[i])
            {
                _generatorLow[i / 64] |= 1UL << (i % 64);
            }
        }
    }

    /// <summary>The field GF(2^m) the code is defined over.</summary>
    public GaloisField Field { get; }

    /// <summary>The number of errors the decoder corrects.</summary>
    public int T { get; }

    /// <summary>The full code length n = 2^m - 1.</summary>
    public int Length => Field.Order;

    /// <summary>The number of parity bits, deg g(x) (at most m·t).</summary>
    public int ParityBits { get; }

    /// <summary>The largest message length k = n - deg g(x); shorter messages give a shortened code.</summary>
    public int MaxDataBits => Length - ParityBits;

    /// <summary>The number of bytes the parity occupies in the packed form: ceil(m·t/8).</summary>
    public int ParityBytes => (Field.M * T + 7) / 8;

    /// <summary>The coefficients of the generator polynomial g(x), index = degree (the last one is 1).</summary>
    internal IReadOnlyList<bool> Generator { get; }

    /// <summary>Validates <paramref name="parameters"/> and builds the code; null with the reason when they are unusable.</summary>
    /// <param name="parameters">The literal parameters.</param>
    /// <param name="error">Why the parameters were rejected.</param>
    public static BchCode? TryCreate(BchParameters parameters, out string? error)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.M is < 2 or > 16)
        {
            error = $"m must be between 2 and 16, got {parameters.M}";
            return null;
        }

        if (parameters.T < 1)
        {
            error = $"t must be at least 1, got {parameters.T}";
            return null;
        }

        var n = (1 << parameters.M) - 1;
        if (2L * parameters.T >= n)
        {
            error = $"t = {parameters.T} is too large for length {n}: the designed distance 2t+1 exceeds the length";
            return null;
        }

        var field = GaloisField.TryCreate(parameters.M, parameters.PrimitivePolynomial ?? GaloisField.DefaultPolynomial(parameters.M), out error);
        if (field is null)
        {
            return null;
        }

        var generator = BuildGenerator(field, parameters.T);
        if (generator.Length - 1 >= n)
        {
            error = $"t = {parameters.T} leaves no message bits for m = {parameters.M} (deg g = {generator.Length - 1})";
            return null;
        }

        error = null;
        return new BchCode(field, parameters.T, generator);
    }

    /// <summary>Validates <paramref name="parameters"/> and builds the code; throws <see cref="ArgumentException"/> with the reason otherwise.</summary>
    /// <param name="parameters">The literal parameters.</param>
    public static BchCode Create(BchParameters parameters) =>
        TryCreate(parameters, out var error) ?? throw new ArgumentException(error, nameof(parameters));

    // g(x) = product of the distinct minimal polynomials of alpha^i, i = 1..2t. The minimal
    // polynomial of alpha^i is prod over the cyclotomic coset {i, 2i, 4i, ...} mod n of (x - alpha^j);
    // its coefficients lie in GF(2). Even i share the coset of i/2, so odd i suffice.
    private static bool[] BuildGenerator(GaloisField field, int t)
    {
        var n = field.Order;
        var covered = new bool[n];
        var g = new bool[] { true };
        for (var i = 1; i <= 2 * t; i += 2)
        {
            if (covered[i % n])
            {
                continue;
            }

            // Minimal polynomial over GF(2^m), coefficients as field elements.
            var poly = new List<int> { 1 };
            var j = i % n;
            do
            {
                covered[j] = true;
                var root = field.Exp(j);
                var next = new int[poly.Count + 1];
                for (var k = 0; k < poly.Count; k++)
                {
                    next[k + 1] ^= poly[k];                       // x · p(x)
                    next[k] ^= field.Multiply(poly[k], root);      // + alpha^j · p(x) (minus = plus)
                }

                poly = [.. next];
                j = (int)(2L * j % n);
            }
            while (j != i % n);

            var minimal = new bool[poly.Count];
            for (var k = 0; k < poly.Count; k++)
            {
                System.Diagnostics.Debug.Assert(poly[k] is 0 or 1, "minimal polynomial has binary coefficients");
                minimal[k] = poly[k] == 1;
            }

            g = MultiplyBinary(g, minimal);
        }

        return g;
    }

    /// <summary>deg g(x) of the BCH code (m, t) without building it: the sizes of the distinct cyclotomic cosets of 1, 3, ..., 2t-1 mod 2^m - 1.</summary>
    /// <param name="m">The field degree, 2..16.</param>
    /// <param name="t">The correction capability, at least 1.</param>
    public static int GeneratorDegree(int m, int t)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(m, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(t, 1);
        var n = (1 << m) - 1;
        var covered = new bool[n];
        var degree = 0;
        for (var i = 1; i <= 2 * t && i < n; i += 2)
        {
            if (covered[i])
            {
                continue;
            }

            var j = i;
            do
            {
                covered[j] = true;
                degree++;
                j = (int)(2L * j % n);
            }
            while (j != i);
        }

        return degree;
    }

    private static bool[] MultiplyBinary(bool[] a, bool[] b)
    {
        var r = new bool[a.Length + b.Length - 1];
        for (var i = 0; i < a.Length; i++)
        {
            if (!a[i])
            {
                continue;
            }

            for (var j = 0; j < b.Length; j++)
            {
                r[i + j] ^= b[j];
            }
        }

        return r;
    }

    /// <summary>The generator polynomial as a big integer (bit i = coefficient of x^i).</summary>
    public BigInteger GeneratorPolynomial
    {
        get
        {
            var value = BigInteger.Zero;
            for (var i = Generator.Count - 1; i >= 0; i--)
            {
                value <<= 1;
                if (Generator[i])
                {
                    value |= BigInteger.One;
                }
            }

            return value;
        }
    }

    /// <summary>
    /// Computes the parity of a packed message (MSB-first, <paramref name="dataBits"/> bits) and writes it
    /// left-justified into ceil(m·t/8) bytes. Requires dataBits &lt;= <see cref="MaxDataBits"/> and data long enough.
    /// </summary>
    /// <param name="data">The packed message, first bit = most significant bit of byte 0.</param>
    /// <param name="dataBits">The number of message bits.</param>
    public byte[] ComputeParity(ReadOnlySpan<byte> data, int dataBits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dataBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dataBits, MaxDataBits);
        if (data.Length * 8L < dataBits)
        {
            throw new ArgumentException($"data holds {data.Length * 8} bits, fewer than {dataBits}", nameof(data));
        }

        Span<ulong> register = stackalloc ulong[Math.Max(1, _words)];
        register.Clear();
        for (var i = 0; i < dataBits; i++)
        {
            Clock(register, (data[i >> 3] >> (7 - (i & 7)) & 1) != 0);
        }

        var parity = new byte[ParityBytes];
        for (var i = 0; i < ParityBits; i++)
        {
            var degree = ParityBits - 1 - i; // the first parity bit is the coefficient of x^(deg g - 1)
            if ((register[degree / 64] >> (degree % 64) & 1) != 0)
            {
                parity[i >> 3] |= (byte)(0x80 >> (i & 7));
            }
        }

        return parity;
    }

    /// <summary>
    /// Encodes unpacked message bits (one bit per byte, 0 or 1) into a systematic codeword: the message
    /// followed by <see cref="ParityBits"/> parity bits. Requires message.Length &lt;= <see cref="MaxDataBits"/>
    /// and codeword.Length == message.Length + <see cref="ParityBits"/>.
    /// </summary>
    /// <param name="message">The message bits.</param>
    /// <param name="codeword">Receives the codeword bits.</param>
    public void Encode(ReadOnlySpan<byte> message, Span<byte> codeword)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(message.Length, MaxDataBits, nameof(message));
        if (codeword.Length != message.Length + ParityBits)
        {
            throw new ArgumentException($"codeword must hold {message.Length + ParityBits} bits", nameof(codeword));
        }

        Span<ulong> register = stackalloc ulong[Math.Max(1, _words)];
        register.Clear();
        for (var i = 0; i < message.Length; i++)
        {
            Clock(register, message[i] != 0);
            codeword[i] = (byte)(message[i] & 1);
        }

        for (var i = 0; i < ParityBits; i++)
        {
            var degree = ParityBits - 1 - i;
            codeword[message.Length + i] = (byte)(register[degree / 64] >> (degree % 64) & 1);
        }
    }

    // One step of the division LFSR: register = (register·x + bit·x^r) mod g(x).
    private void Clock(Span<ulong> register, bool bit)
    {
        if (ParityBits == 0)
        {
            return;
        }

        var top = ParityBits - 1;
        var feedback = bit ^ ((register[top / 64] >> (top % 64) & 1) != 0);
        for (var w = _words - 1; w > 0; w--)
        {
            register[w] = register[w] << 1 | register[w - 1] >> 63;
        }

        register[0] <<= 1;
        var spare = ParityBits % 64;
        if (spare != 0)
        {
            register[_words - 1] &= (1UL << spare) - 1;
        }

        if (feedback)
        {
            for (var w = 0; w < _words; w++)
            {
                register[w] ^= _generatorLow[w];
            }
        }
    }

    /// <summary>
    /// Corrects up to <see cref="T"/> bit errors in place in an unpacked codeword (one bit per byte) of
    /// length message bits + <see cref="ParityBits"/>. Returns the number of corrected bits, or -1 when the
    /// word is detectably uncorrectable (it is then left unchanged). More than t errors may also be
    /// miscorrected to another codeword; that is inherent to bounded-distance decoding.
    /// Requires ParityBits &lt; codeword.Length &lt;= n.
    /// </summary>
    /// <param name="codeword">The received word, corrected in place.</param>
    public int Decode(Span<byte> codeword)
    {
        var length = codeword.Length;
        if (length <= ParityBits || length > Length)
        {
            throw new ArgumentException($"a codeword has between {ParityBits + 1} and {Length} bits, got {length}", nameof(codeword));
        }

        var n = Field.Order;
        var twoT = 2 * T;
        Span<int> syndromes = stackalloc int[twoT + 1];
        syndromes.Clear();

        // S_j = c(alpha^j) = sum over set bits at degree e of alpha^(j·e), for odd j; S_2j = S_j^2.
        var any = false;
        for (var i = 0; i < length; i++)
        {
            if (codeword[i] == 0)
            {
                continue;
            }

            any = true;
            var degree = length - 1 - i;
            // j·degree mod n for j = 1, 3, 5, ...: start at degree, step 2·degree, no division in the loop.
            var exponent = degree;
            var step = (int)(2L * degree % n);
            for (var j = 1; j <= twoT; j += 2)
            {
                syndromes[j] ^= Field.ExpUnchecked(exponent);
                exponent += step;
                if (exponent >= n)
                {
                    exponent -= n;
                }
            }
        }

        if (!any)
        {
            return 0;
        }

        var zero = true;
        for (var j = 1; j <= twoT; j++)
        {
            if ((j & 1) == 0)
            {
                syndromes[j] = Field.Multiply(syndromes[j / 2], syndromes[j / 2]);
            }

            zero &= syndromes[j] == 0;
        }

        if (zero)
        {
            return 0;
        }

        // Berlekamp-Massey: the shortest LFSR Lambda(x) generating S_1..S_2t (Massey 1969).
        Span<int> lambda = stackalloc int[twoT + 2];
        Span<int> previous = stackalloc int[twoT + 2];
        Span<int> scratch = stackalloc int[twoT + 2];
        lambda.Clear();
        previous.Clear();
        lambda[0] = 1;
        previous[0] = 1;
        var errors = 0;     // L, the current LFSR length
        var shift = 1;      // steps since the last length change
        var lastDiscrepancy = 1;
        for (var step = 0; step < twoT; step++)
        {
            var discrepancy = syndromes[step + 1];
            for (var i = 1; i <= errors; i++)
            {
                discrepancy ^= Field.Multiply(lambda[i], syndromes[step + 1 - i]);
            }

            if (discrepancy == 0)
            {
                shift++;
                continue;
            }

            var factor = Field.Divide(discrepancy, lastDiscrepancy);
            if (2 * errors <= step)
            {
                lambda.CopyTo(scratch);
                for (var i = 0; i + shift < lambda.Length; i++)
                {
                    lambda[i + shift] ^= Field.Multiply(factor, previous[i]);
                }

                errors = step + 1 - errors;
                scratch.CopyTo(previous);
                lastDiscrepancy = discrepancy;
                shift = 1;
            }
            else
            {
                for (var i = 0; i + shift < lambda.Length; i++)
                {
                    lambda[i + shift] ^= Field.Multiply(factor, previous[i]);
                }

                shift++;
            }
        }

        if (errors > T)
        {
            return -1;
        }

        // Chien search: an error at degree e means Lambda(alpha^-e) = 0. Only degrees < length exist in
        // a shortened code; a root elsewhere (or too few roots) means the word is uncorrectable.
        Span<int> logs = stackalloc int[errors + 1];
        for (var i = 0; i <= errors; i++)
        {
            logs[i] = lambda[i] == 0 ? -1 : Field.LogUnchecked(lambda[i]);
        }

        Span<int> positions = stackalloc int[errors];
        var found = 0;
        for (var degree = 0; degree < length && found < errors; degree++)
        {
            var sum = 0;
            for (var i = 0; i <= errors; i++)
            {
                if (logs[i] >= 0)
                {
                    // Lambda_i · alpha^(-i·e): keep logs[i] = log Lambda_i - i·e (mod n) incrementally.
                    sum ^= Field.ExpUnchecked(logs[i]);
                    logs[i] -= i;
                    if (logs[i] < 0)
                    {
                        logs[i] += n;
                    }
                }
            }

            if (sum == 0)
            {
                positions[found++] = degree;
            }
        }

        if (found != errors)
        {
            return -1;
        }

        foreach (var degree in positions)
        {
            codeword[length - 1 - degree] ^= 1;
        }

        return errors;
    }
}
