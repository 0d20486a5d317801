namespace Konfido.He;

/// <summary>
/// A plaintext polynomial. BFV/BGV: N coefficients modulo t in coefficient form. CKKS: k limbs of N
/// residues in NTT form at the level <see cref="ParmsId"/>, with a <see cref="Scale"/>.
/// </summary>
public sealed class Plaintext
{
    /// <summary>An empty plaintext.</summary>
    public Plaintext()
    {
        Data = [];
    }

    /// <summary>A zero plaintext with <paramref name="coeffCount"/> coefficients.</summary>
    public Plaintext(int coeffCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(coeffCount);
        Data = new ulong[coeffCount];
    }

    /// <summary>The coefficients (or RNS residues, limb-major, for CKKS).</summary>
    public ulong[] Data { get; private set; }

    /// <summary>The number of stored values.</summary>
    public int CoeffCount => Data.Length;

    /// <summary>True for CKKS plaintexts (NTT form at <see cref="ParmsId"/>).</summary>
    public bool IsNttForm { get; set; }

    /// <summary>The level of an NTT-form plaintext; default for BFV/BGV plaintexts.</summary>
    public ParmsId ParmsId { get; set; }

    /// <summary>The CKKS scale (1 for BFV/BGV).</summary>
    public double Scale { get; set; } = 1.0;

    /// <summary>Coefficient i.</summary>
    public ulong this[int index]
    {
        get => Data[index];
        set => Data[index] = value;
    }

    /// <summary>Resizes to <paramref name="coeffCount"/> values, zeroing everything.</summary>
    public void Resize(int coeffCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(coeffCount);
        if (Data.Length != coeffCount)
        {
            Data = new ulong[coeffCount];
        }
        else
        {
            Array.Clear(Data);
        }
    }

    /// <summary>True when every coefficient is zero.</summary>
    public bool IsZero => Data.AsSpan().IndexOfAnyExcept(0UL) < 0;
}

/// <summary>
/// A ciphertext: <see cref="Size"/> polynomials (2 when fresh, 3 after a multiplication), each of
/// <see cref="CoeffModulusSize"/> RNS limbs of <see cref="PolyModulusDegree"/> residues.
/// </summary>
public sealed class Ciphertext
{
    /// <summary>An empty ciphertext (operations size it).</summary>
    public Ciphertext()
    {
        Data = [];
    }

    /// <summary>
    /// The residues: polynomial-major, then limb-major. Only the first
    /// <see cref="Size"/> x <see cref="PolynomialLength"/> values are meaningful (the array keeps its
    /// capacity when the ciphertext shrinks).
    /// </summary>
    public ulong[] Data { get; private set; }

    /// <summary>The number of polynomials.</summary>
    public int Size { get; private set; }

    /// <summary>N.</summary>
    public int PolyModulusDegree { get; private set; }

    /// <summary>The number of primes at this ciphertext's level.</summary>
    public int CoeffModulusSize { get; private set; }

    /// <summary>True when the polynomials hold NTT values (CKKS, BGV); false for BFV.</summary>
    public bool IsNttForm { get; set; }

    /// <summary>The level.</summary>
    public ParmsId ParmsId { get; set; }

    /// <summary>The CKKS scale.</summary>
    public double Scale { get; set; } = 1.0;

    /// <summary>The BGV correction factor f: the ciphertext decrypts to f m mod t.</summary>
    public ulong CorrectionFactor { get; set; } = 1;

    /// <summary>
    /// The seed of the second polynomial of a fresh symmetric encryption (serialised instead of the
    /// polynomial); cleared by any operation that changes the ciphertext.
    /// </summary>
    internal byte[]? Seed { get; set; }

    /// <summary>The number of residues of one polynomial.</summary>
    public int PolynomialLength => PolyModulusDegree * CoeffModulusSize;

    /// <summary>Polynomial i (all limbs).</summary>
    public Span<ulong> Polynomial(int index) => Data.AsSpan(index * PolynomialLength, PolynomialLength);

    /// <summary>Limb j of polynomial i.</summary>
    public Span<ulong> Limb(int index, int limb) =>
        Data.AsSpan(index * PolynomialLength + limb * PolyModulusDegree, PolyModulusDegree);

    /// <summary>A deep copy.</summary>
    public Ciphertext Clone()
    {
        var copy = new Ciphertext();
        copy.CopyFrom(this);
        return copy;
    }

    /// <summary>Makes this a copy of <paramref name="other"/>.</summary>
    public void CopyFrom(Ciphertext other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(this, other))
        {
            return;
        }

        Resize(other.Size, other.PolyModulusDegree, other.CoeffModulusSize, clear: false);
        other.Data.AsSpan(0, other.Size * other.PolynomialLength).CopyTo(Data);
        CopyMetadataFrom(other);
        Seed = other.Seed;
    }

    internal void CopyMetadataFrom(Ciphertext other)
    {
        IsNttForm = other.IsNttForm;
        ParmsId = other.ParmsId;
        Scale = other.Scale;
        CorrectionFactor = other.CorrectionFactor;
    }

    internal void Resize(int size, int degree, int coeffModulusSize, bool clear = true)
    {
        int length = size * degree * coeffModulusSize;
        if (Data.Length < length)
        {
            // Grow; keep the capacity afterwards so that size 3 -> 2 -> 3 cycles do not reallocate.
            var data = new ulong[length];
            if (!clear)
            {
                Data.AsSpan(0, Math.Min(Data.Length, length)).CopyTo(data);
            }

            Data = data;
        }
        else if (clear)
        {
            Array.Clear(Data, 0, length);
        }

        Size = size;
        PolyModulusDegree = degree;
        CoeffModulusSize = coeffModulusSize;
        Seed = null;
    }

    /// <summary>Shrinks or grows the number of polynomials, keeping the first ones.</summary>
    internal void ResizePolynomials(int size)
    {
        if (size == Size)
        {
            return;
        }

        int length = size * PolyModulusDegree * CoeffModulusSize;
        if (Data.Length < length)
        {
            var data = new ulong[length];
            Data.AsSpan(0, Size * PolynomialLength).CopyTo(data);
            Data = data;
        }
        else if (size > Size)
        {
            Array.Clear(Data, Size * PolynomialLength, length - Size * PolynomialLength);
        }

        Size = size;
        Seed = null;
    }
}
