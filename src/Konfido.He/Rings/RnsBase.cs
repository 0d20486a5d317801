// Residue number system bases and the Chinese remainder theorem.
// References: J.-C. Bajard, J. Eynard, A. Hasan, V. Zucca, "A full RNS variant of FV like somewhat
// homomorphic encryption schemes", SAC 2016 (eprint 2016/510), section 2.
// Sizes: up to 64 pairwise coprime word-size moduli (< 2^61 each).
using System.Numerics;
using Konfido.He.Arithmetic;

namespace Konfido.He.Rings;

/// <summary>
/// An RNS base q_0..q_{k-1} of pairwise coprime moduli with its CRT constants:
/// Q, Q_i = Q / q_i and [Q_i^-1]_{q_i}.
/// </summary>
public sealed class RnsBase
{
    private readonly Modulus[] _moduli;
    private readonly ulong[] _inversePunctured;
    private readonly ulong[] _inversePuncturedShoup;
    private readonly BigInteger[] _punctured;

    /// <summary>Creates a base. Requires at least one modulus, pairwise coprime.</summary>
    public RnsBase(IEnumerable<Modulus> moduli)
    {
        ArgumentNullException.ThrowIfNull(moduli);
        _moduli = [.. moduli];
        if (_moduli.Length == 0)
        {
            throw new ArgumentException("an RNS base needs at least one modulus.", nameof(moduli));
        }

        for (int i = 0; i < _moduli.Length; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (BigInteger.GreatestCommonDivisor(_moduli[i].Value, _moduli[j].Value) != 1)
                {
                    throw new ArgumentException($"moduli {_moduli[j].Value} and {_moduli[i].Value} are not coprime.", nameof(moduli));
                }
            }
        }

        Product = BigInteger.One;
        foreach (var m in _moduli)
        {
            Product *= m.Value;
        }

        _punctured = new BigInteger[_moduli.Length];
        _inversePunctured = new ulong[_moduli.Length];
        _inversePuncturedShoup = new ulong[_moduli.Length];
        for (int i = 0; i < _moduli.Length; i++)
        {
            _punctured[i] = Product / _moduli[i].Value;
            ulong puncturedMod = (ulong)(_punctured[i] % _moduli[i].Value);
            _inversePunctured[i] = _moduli[i].Invert(puncturedMod);
            _inversePuncturedShoup[i] = _moduli[i].ShoupPrecompute(_inversePunctured[i]);
        }
    }

    /// <summary>The number of moduli k.</summary>
    public int Count => _moduli.Length;

    /// <summary>The moduli.</summary>
    public ReadOnlySpan<Modulus> Moduli => _moduli;

    /// <summary>The i-th modulus.</summary>
    public Modulus this[int index] => _moduli[index];

    /// <summary>Q, the product of the moduli.</summary>
    public BigInteger Product { get; }

    /// <summary>Q / q_i.</summary>
    public BigInteger PuncturedProduct(int index) => _punctured[index];

    /// <summary>[(Q / q_i)^-1]_{q_i}.</summary>
    public ulong InversePuncturedProduct(int index) => _inversePunctured[index];

    internal ulong InversePuncturedProductShoup(int index) => _inversePuncturedShoup[index];

    /// <summary>The residues of an integer (any sign) modulo each q_i. Requires residues.Length = k.</summary>
    public void Decompose(BigInteger value, Span<ulong> residues)
    {
        if (residues.Length != Count)
        {
            throw new ArgumentException($"expected {Count} residues.", nameof(residues));
        }

        for (int i = 0; i < Count; i++)
        {
            var r = BigInteger.Remainder(value, _moduli[i].Value);
            if (r.Sign < 0)
            {
                r += _moduli[i].Value;
            }

            residues[i] = (ulong)r;
        }
    }

    /// <summary>The integer in [0, Q) with the given residues (CRT). Requires residues.Length = k.</summary>
    public BigInteger Compose(ReadOnlySpan<ulong> residues)
    {
        if (residues.Length != Count)
        {
            throw new ArgumentException($"expected {Count} residues.", nameof(residues));
        }

        BigInteger sum = BigInteger.Zero;
        for (int i = 0; i < Count; i++)
        {
            ulong y = _moduli[i].Multiply(_moduli[i].Reduce(residues[i]), _inversePunctured[i]);
            sum += _punctured[i] * y;
        }

        return BigInteger.Remainder(sum, Product);
    }

    /// <summary>The integer in (-Q/2, Q/2] with the given residues.</summary>
    public BigInteger ComposeCentered(ReadOnlySpan<ulong> residues)
    {
        var x = Compose(residues);
        return x * 2 > Product ? x - Product : x;
    }
}
