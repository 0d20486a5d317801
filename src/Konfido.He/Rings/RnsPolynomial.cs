namespace Konfido.He.Rings;

/// <summary>
/// A polynomial of Z_Q[X]/(X^N + 1) in RNS form: k limbs of N coefficients stored contiguously
/// (limb i occupies [i N, (i+1) N)), in coefficient or NTT (evaluation) form.
/// </summary>
public sealed class RnsPolynomial
{
    /// <summary>A zero polynomial in coefficient form.</summary>
    public RnsPolynomial(int degree, int limbCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degree, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(limbCount, 1);
        Degree = degree;
        LimbCount = limbCount;
        Data = new ulong[degree * limbCount];
    }

    /// <summary>N.</summary>
    public int Degree { get; }

    /// <summary>k, the number of RNS limbs.</summary>
    public int LimbCount { get; }

    /// <summary>True when the limbs hold NTT evaluations rather than coefficients.</summary>
    public bool IsNttForm { get; set; }

    /// <summary>The k N residues, limb-major.</summary>
    public ulong[] Data { get; }

    /// <summary>Limb i (N residues modulo q_i).</summary>
    public Span<ulong> Limb(int index) => Data.AsSpan(index * Degree, Degree);
}
