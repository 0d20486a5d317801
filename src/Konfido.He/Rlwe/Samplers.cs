// Randomness for RLWE: an AES-256-CTR expander, uniform residues, ternary secrets and the discrete
// Gaussian error distribution.
// References:
//  - NIST SP 800-38A (CTR mode); the expander is only fed seeds from RandomNumberGenerator or a
//    published seed (for seeded ciphertexts and key halves).
//  - HomomorphicEncryption.org security standard (2018): ternary secrets, sigma = 3.2 (8/sqrt(2 pi)),
//    errors bounded by 6 sigma as in SEAL.
//  - CDT sampling with a full table scan: C. Peikert, "An efficient and parallel Gaussian sampler for
//    lattices", CRYPTO 2010; constant-time variant as in FrodoKEM (full scan, no early exit).
using System.Buffers.Binary;
using System.Security.Cryptography;
using Konfido.He.Arithmetic;

namespace Konfido.He.Rlwe;

/// <summary>A deterministic expander of a 32-byte seed: AES-256 in counter mode over zero blocks.</summary>
public sealed class SeededExpander : IDisposable
{
    /// <summary>The seed length in bytes.</summary>
    public const int SeedLength = 32;

    private const int BlockBytes = 16384;
    private readonly Aes _aes;
    private readonly byte[] _counterBlocks = new byte[BlockBytes];
    private readonly byte[] _buffer = new byte[BlockBytes];
    private ulong _counter;
    private int _position = BlockBytes;

    /// <summary>Creates the expander. Requires a 32-byte seed.</summary>
    public SeededExpander(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedLength)
        {
            throw new ArgumentException($"a seed is {SeedLength} bytes.", nameof(seed));
        }

        _aes = Aes.Create();
        _aes.Key = seed.ToArray();
    }

    /// <summary>An expander with a fresh seed from the operating system's CSPRNG.</summary>
    public static SeededExpander CreateRandom()
    {
        Span<byte> seed = stackalloc byte[SeedLength];
        RandomNumberGenerator.Fill(seed);
        var expander = new SeededExpander(seed);
        CryptographicOperations.ZeroMemory(seed);
        return expander;
    }

    /// <summary>Fills <paramref name="destination"/> with pseudorandom bytes.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Fill(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            if (_position == BlockBytes)
            {
                Refill();
            }

            int take = Math.Min(destination.Length, BlockBytes - _position);
            _buffer.AsSpan(_position, take).CopyTo(destination);
            _position += take;
            destination = destination[take..];
        }
    }

    /// <summary>The next pseudorandom 64-bit word.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public ulong NextUInt64()
    {
        if (_position > BlockBytes - 8)
        {
            Span<byte> b = stackalloc byte[8];
            Fill(b);
            return BinaryPrimitives.ReadUInt64LittleEndian(b);
        }

        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(_buffer.AsSpan(_position));
        _position += 8;
        return v;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Refill()
    {
        for (int i = 0; i < BlockBytes; i += 16)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_counterBlocks.AsSpan(i), _counter++);
            BinaryPrimitives.WriteUInt64LittleEndian(_counterBlocks.AsSpan(i + 8), 0);
        }

        _aes.EncryptEcb(_counterBlocks, _buffer, PaddingMode.None);
        _position = 0;
    }

    /// <inheritdoc />
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_buffer);
        _aes.Dispose();
    }
}

/// <summary>Samplers of the RLWE distributions into RNS limbs.</summary>
public static class Samplers
{
    /// <summary>The standard deviation of the error distribution, 3.2.</summary>
    public const double ErrorStandardDeviation = 3.2;

    /// <summary>The error bound, 6 sigma rounded down: |e| &lt;= 19.</summary>
    public const int ErrorBound = 19;

    // CDT[k] = floor(2^63 * Pr[|x| <= k]) for the rounded Gaussian magnitude, k in [0, 19).
    private static readonly ulong[] Cdt = BuildCdt();

    /// <summary>Fills limbs (k x N) with independent uniform residues modulo each prime.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Uniform(SeededExpander rng, ReadOnlySpan<Modulus> moduli, Span<ulong> limbs, int degree)
    {
        ArgumentNullException.ThrowIfNull(rng);
        for (int i = 0; i < moduli.Length; i++)
        {
            var q = moduli[i];
            ulong limit = ulong.MaxValue - ulong.MaxValue % q.Value; // accept w < limit (a multiple of q)
            var limb = limbs.Slice(i * degree, degree);
            rng.Fill(System.Runtime.InteropServices.MemoryMarshal.AsBytes(limb));
            for (int j = 0; j < degree; j++)
            {
                ulong w = limb[j];
                while (w >= limit)
                {
                    w = rng.NextUInt64();
                }

                limb[j] = q.Reduce(w);
            }
        }
    }

    /// <summary>Signed ternary coefficients in {-1, 0, 1}, each with probability 1/3.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Ternary(SeededExpander rng, Span<sbyte> coefficients)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var three = new Modulus(3);
        const ulong limit = ulong.MaxValue - ulong.MaxValue % 3;
        var words = new ulong[coefficients.Length];
        rng.Fill(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words.AsSpan()));
        for (int j = 0; j < coefficients.Length; j++)
        {
            ulong w = words[j];
            while (w >= limit)
            {
                w = rng.NextUInt64();
            }

            coefficients[j] = (sbyte)((int)three.Reduce(w) - 1);
        }

        Array.Clear(words);
    }

    /// <summary>Rounded Gaussian coefficients (sigma 3.2, |e| &lt;= 19) by a constant-time CDT scan.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Gaussian(SeededExpander rng, Span<sbyte> coefficients)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ulong[] cdt = Cdt;
        var words = new ulong[coefficients.Length];
        rng.Fill(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words.AsSpan()));
        for (int j = 0; j < coefficients.Length; j++)
        {
            // Bit 63 is the sign; the low 63 bits are compared against the 63-bit CDT.
            ulong r = words[j];
            ulong sign = r >> 63;
            ulong u = r & 0x7FFF_FFFF_FFFF_FFFFUL;
            long magnitude = 0;
            for (int k = 0; k < cdt.Length; k++)
            {
                // (cdt[k] - 1 - u) has its top bit set exactly when u >= cdt[k] (both below 2^63).
                magnitude += (long)((cdt[k] - 1 - u) >> 63);
            }

            long mask = -(long)sign;
            coefficients[j] = (sbyte)((magnitude ^ mask) - mask);
        }

        Array.Clear(words);
    }

    /// <summary>Writes signed small coefficients into every limb as residues (constant time).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void ToResidues(ReadOnlySpan<sbyte> coefficients, ReadOnlySpan<Modulus> moduli, Span<ulong> limbs, int degree)
    {
        for (int i = 0; i < moduli.Length; i++)
        {
            ulong q = moduli[i].Value;
            var limb = limbs.Slice(i * degree, degree);
            for (int j = 0; j < degree; j++)
            {
                long c = coefficients[j];
                limb[j] = (ulong)c + (q & (ulong)(c >> 63));
            }
        }
    }

    private static ulong[] BuildCdt()
    {
        double sigma = ErrorStandardDeviation;
        var weights = new double[ErrorBound + 1];
        double total = 0;
        for (int k = 0; k <= ErrorBound; k++)
        {
            // |x| = 0 has one preimage, |x| = k > 0 two (+-k); the sign is drawn separately, so
            // zero gets half of its weight on each sign to keep the distribution symmetric.
            weights[k] = Math.Exp(-(double)k * k / (2 * sigma * sigma)) * (k == 0 ? 1 : 2);
            total += weights[k];
        }

        var cdt = new ulong[ErrorBound];
        double cumulative = 0;
        for (int k = 0; k < ErrorBound; k++)
        {
            cumulative += weights[k] / total;
            cdt[k] = (ulong)Math.Min(cumulative * 9223372036854775808.0, 9223372036854775807.0);
        }

        return cdt;
    }
}
