// CKKS encoding through the canonical embedding.
// References: J. H. Cheon, A. Kim, M. Kim, Y. Song, "Homomorphic encryption for arithmetic of
// approximate numbers", ASIACRYPT 2017, section 3.2-3.3 (sigma^-1 and the scaled rounding); the
// slots are the evaluations at psi^(3^j) (psi = exp(i pi / N)), their conjugates at psi^(-3^j), so that
// X -> X^(3^k) rotates the slots and X -> X^(2N-1) conjugates them. The evaluation at every odd
// power of psi is a twisted length-N FFT (multiply coefficient j by psi^j, then a cyclic DFT).
// Sizes: N/2 complex slots; |value * scale| should stay below Q/2 of the level.
using System.Numerics;
using Konfido.He.Rings;

namespace Konfido.He;

/// <summary>Encodes vectors of N/2 real or complex numbers into CKKS plaintexts and back.</summary>
public sealed class CKKSEncoder
{
    private readonly HeContext _context;
    private readonly int _n;
    private readonly int[] _slotIndex;      // DFT index of slot j: (3^j mod 2N - 1) / 2
    private readonly int[] _conjugateIndex; // DFT index of its conjugate
    private readonly Complex[] _twist;      // psi^j
    private readonly Complex[] _roots;      // exp(2 pi i k / N)
    private readonly Complex[] _inverseRoots; // exp(-2 pi i k / N)
    private readonly int[] _bitReversal;
    private readonly int _logN;

    /// <summary>The encoder. Requires a CKKS context.</summary>
    public CKKSEncoder(HeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Parameters.Scheme != SchemeType.Ckks)
        {
            throw new ArgumentException("CKKSEncoder needs a CKKS context.", nameof(context));
        }

        _context = context;
        _n = context.Parameters.PolyModulusDegree;
        _logN = BitOperations.Log2((uint)_n);
        SlotCount = _n / 2;
        _slotIndex = new int[SlotCount];
        _conjugateIndex = new int[SlotCount];
        ulong twoN = 2UL * (ulong)_n, e = 1;
        for (int j = 0; j < SlotCount; j++)
        {
            _slotIndex[j] = (int)((e - 1) >> 1);
            _conjugateIndex[j] = (int)((twoN - e - 1) >> 1);
            e = e * 3 % twoN;
        }

        _twist = new Complex[_n];
        _roots = new Complex[_n];
        _inverseRoots = new Complex[_n];
        _bitReversal = new int[_n];
        for (int j = 0; j < _n; j++)
        {
            _twist[j] = Complex.FromPolarCoordinates(1.0, Math.PI * j / _n);
            _roots[j] = Complex.FromPolarCoordinates(1.0, 2 * Math.PI * j / _n);
            _inverseRoots[j] = Complex.Conjugate(_roots[j]);
            _bitReversal[j] = Arithmetic.NttTables.BitReverse(j, _logN);
        }
    }

    /// <summary>The number of complex slots, N/2.</summary>
    public int SlotCount { get; }

    /// <summary>Encodes up to N/2 complex values at level <paramref name="parmsId"/> with the given scale.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Encode(ReadOnlySpan<Complex> values, ParmsId parmsId, double scale, Plaintext destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var level = _context.RequireContextData(parmsId, "the target level");
        if (values.Length > SlotCount)
        {
            throw new ArgumentException($"at most {SlotCount} values fit.", nameof(values));
        }

        if (!(scale > 0) || double.IsInfinity(scale) || Math.Log2(scale) >= level.TotalCoeffModulusBitCount)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), "the scale must be positive and below the level's modulus.");
        }

        var e = new Complex[_n];
        for (int j = 0; j < values.Length; j++)
        {
            e[_slotIndex[j]] = values[j] * scale;
            e[_conjugateIndex[j]] = Complex.Conjugate(values[j]) * scale;
        }

        Fft(e, inverse: true);
        var coefficients = new double[_n];
        double inverseN = 1.0 / _n;
        for (int j = 0; j < _n; j++)
        {
            // Re(e_j / N * conj(psi^j)).
            coefficients[j] = Math.Round((e[j].Real * _twist[j].Real + e[j].Imaginary * _twist[j].Imaginary) * inverseN);
        }

        EncodeCoefficients(coefficients, level, scale, destination);
    }

    /// <summary>Encodes up to N/2 real values.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Encode(ReadOnlySpan<double> values, ParmsId parmsId, double scale, Plaintext destination)
    {
        var complex = new Complex[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            complex[i] = values[i];
        }

        Encode(complex, parmsId, scale, destination);
    }

    /// <summary>Encodes one real value into every slot (a constant polynomial).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Encode(double value, ParmsId parmsId, double scale, Plaintext destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var level = _context.RequireContextData(parmsId, "the target level");
        var coefficients = new double[_n];
        coefficients[0] = Math.Round(value * scale);
        EncodeCoefficients(coefficients, level, scale, destination);
    }

    /// <summary>Decodes the N/2 complex slots.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Decode(Plaintext plain, Span<Complex> destination)
    {
        ArgumentNullException.ThrowIfNull(plain);
        if (destination.Length < SlotCount)
        {
            throw new ArgumentException($"the destination needs {SlotCount} slots.", nameof(destination));
        }

        var level = _context.RequireContextData(plain.ParmsId, "the plaintext");
        if (!plain.IsNttForm || plain.CoeffCount != _n * level.ModulusCount)
        {
            throw new ArgumentException("not a CKKS plaintext of this context.", nameof(plain));
        }

        int l = level.ModulusCount;
        var data = (ulong[])plain.Data.Clone();
        for (int i = 0; i < l; i++)
        {
            level.Ring.Tables(i).Inverse(data.AsSpan(i * _n, _n));
        }

        var e = new Complex[_n];
        var residues = new ulong[l];
        ulong q0 = level.Moduli[0].Value;
        for (int j = 0; j < _n; j++)
        {
            double v;
            if (l == 1)
            {
                ulong x = data[j];
                v = x > q0 / 2 ? -(double)(q0 - x) : x;
            }
            else
            {
                for (int i = 0; i < l; i++)
                {
                    residues[i] = data[i * _n + j];
                }

                v = (double)level.Ring.Base.ComposeCentered(residues);
            }

            e[j] = v / plain.Scale * _twist[j];
        }

        Fft(e, inverse: false);
        for (int s = 0; s < SlotCount; s++)
        {
            destination[s] = e[_slotIndex[s]];
        }
    }

    /// <summary>Decodes the real parts of the N/2 slots.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Decode(Plaintext plain, Span<double> destination)
    {
        var complex = new Complex[SlotCount];
        Decode(plain, complex);
        if (destination.Length < SlotCount)
        {
            throw new ArgumentException($"the destination needs {SlotCount} slots.", nameof(destination));
        }

        for (int s = 0; s < SlotCount; s++)
        {
            destination[s] = complex[s].Real;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void EncodeCoefficients(double[] coefficients, ContextData level, double scale, Plaintext destination)
    {
        int l = level.ModulusCount;
        destination.Resize(_n * l);
        var data = destination.Data;
        for (int j = 0; j < _n; j++)
        {
            double c = coefficients[j];
            if (Math.Abs(c) < 9.2e18)
            {
                long v = (long)c;
                for (int i = 0; i < l; i++)
                {
                    var q = level.Moduli[i];
                    data[i * _n + j] = v >= 0 ? q.Reduce((ulong)v) : q.Negate(q.Reduce((ulong)-v));
                }
            }
            else
            {
                if (double.IsNaN(c) || double.IsInfinity(c) || Math.Log2(Math.Abs(c)) >= level.TotalCoeffModulusBitCount - 1)
                {
                    throw new ArgumentException("a value times the scale does not fit in the modulus at this level.");
                }

                var big = new BigInteger(c);
                for (int i = 0; i < l; i++)
                {
                    var r = BigInteger.Remainder(big, level.Moduli[i].Value);
                    data[i * _n + j] = (ulong)(r.Sign < 0 ? r + level.Moduli[i].Value : r);
                }
            }
        }

        _context.Parallelism.For(l, _n, i => level.Ring.Tables(i).Forward(data.AsSpan(i * _n, _n)));
        destination.IsNttForm = true;
        destination.ParmsId = level.ParmsId;
        destination.Scale = scale;
    }

    // In-place radix-2 FFT: forward X[k] = sum_j x_j w^(jk), inverse with w^-1 (unnormalised).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Fft(Complex[] a, bool inverse)
    {
        int n = _n;
        int[] reversal = _bitReversal;
        for (int i = 0; i < n; i++)
        {
            int j = reversal[i];
            if (i < j)
            {
                (a[i], a[j]) = (a[j], a[i]);
            }
        }

        Complex[] roots = inverse ? _inverseRoots : _roots;
        for (int len = 2; len <= n; len <<= 1)
        {
            int half = len >> 1, stride = n / len;
            for (int start = 0; start < n; start += len)
            {
                for (int k = 0; k < half; k++)
                {
                    var w = roots[k * stride];
                    var u = a[start + k];
                    var x = a[start + k + half];
                    // v = x * w, written out (Complex's operator handles infinities we never see).
                    double vr = x.Real * w.Real - x.Imaginary * w.Imaginary;
                    double vi = x.Real * w.Imaginary + x.Imaginary * w.Real;
                    a[start + k] = new Complex(u.Real + vr, u.Imaginary + vi);
                    a[start + k + half] = new Complex(u.Real - vr, u.Imaginary - vi);
                }
            }
        }
    }
}
