// Decryption and the invariant noise budget.
// References: Fan–Vercauteren eprint 2012/144 (m = round(t/Q [c0 + c1 s]_Q)); Halevi–Polyakov–Shoup
// eprint 2018/117 section 3 (exact RNS scaling by t/Q with integer and fractional parts);
// SEAL 4.x Decryptor::invariant_noise_budget (log2 Q - log2 ||t [c(s)]_Q|| - 1).
using System.Buffers;
using System.Numerics;
using Konfido.He.Rings;

namespace Konfido.He;

/// <summary>Decrypts ciphertexts with the secret key and measures the remaining noise budget.</summary>
public sealed class Decryptor
{
    private readonly HeContext _context;
    private readonly SecretKey _secretKey;

    /// <summary>A decryptor. Requires a secret key of this context.</summary>
    public Decryptor(HeContext context, SecretKey secretKey)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(secretKey);
        if (secretKey.ParmsId != context.KeyParmsId)
        {
            throw new ArgumentException("the secret key does not belong to this context.", nameof(secretKey));
        }

        _context = context;
        _secretKey = secretKey;
    }

    /// <summary>Decrypts <paramref name="encrypted"/> into <paramref name="destination"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Decrypt(Ciphertext encrypted, Plaintext destination)
    {
        ArgumentNullException.ThrowIfNull(encrypted);
        ArgumentNullException.ThrowIfNull(destination);
        var level = Evaluator.CheckCiphertext(_context, encrypted, nameof(encrypted));
        int n = level.Degree, l = level.ModulusCount;
        ulong[] phase = ArrayPool<ulong>.Shared.Rent(n * l);
        try
        {
        Phase(encrypted, level, phase, coefficientForm: _context.Parameters.Scheme != SchemeType.Ckks);
        switch (_context.Parameters.Scheme)
        {
            case SchemeType.Ckks:
                destination.Resize(n * l);
                phase.AsSpan(0, n * l).CopyTo(destination.Data);
                destination.IsNttForm = true;
                destination.ParmsId = level.ParmsId;
                destination.Scale = encrypted.Scale;
                break;
            case SchemeType.Bfv:
                destination.Resize(n);
                destination.IsNttForm = false;
                destination.ParmsId = default;
                destination.Scale = 1.0;
                ScaleToPlain(level, phase, destination.Data);
                break;
            case SchemeType.Bgv:
            {
                destination.Resize(n);
                destination.IsNttForm = false;
                destination.ParmsId = default;
                destination.Scale = 1.0;
                var constants = level.Plain!;
                constants.ToPlain.Convert(phase, destination.Data, n);
                var t = constants.T;
                ulong inverse = t.Invert(encrypted.CorrectionFactor);
                for (int j = 0; j < n; j++)
                {
                    destination.Data[j] = t.Multiply(destination.Data[j], inverse);
                }

                break;
            }

            default:
                throw new InvalidOperationException("unknown scheme.");
        }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(phase);
        }
    }

    /// <summary>
    /// The invariant noise budget in bits (BFV and BGV): decryption is correct while it is positive.
    /// </summary>
    public int InvariantNoiseBudget(Ciphertext encrypted)
    {
        ArgumentNullException.ThrowIfNull(encrypted);
        var scheme = _context.Parameters.Scheme;
        if (scheme == SchemeType.Ckks)
        {
            throw new InvalidOperationException("CKKS has no invariant noise budget.");
        }

        var level = Evaluator.CheckCiphertext(_context, encrypted, nameof(encrypted));
        int n = level.Degree, l = level.ModulusCount;
        var phase = new ulong[n * l];
        Phase(encrypted, level, phase, coefficientForm: true);
        ulong t = level.Plain!.T.Value;
        var q = level.TotalCoeffModulus;
        var residues = new ulong[l];
        BigInteger maxNorm = BigInteger.Zero;
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < l; i++)
            {
                residues[i] = phase[i * n + j];
            }

            BigInteger v = level.Ring.Base.Compose(residues);
            BigInteger noise;
            if (scheme == SchemeType.Bfv)
            {
                // t [c(s)]_Q = t e + (t Delta - Q) m-ish: the invariant noise scaled by Q.
                noise = BigInteger.Remainder(v * t, q);
            }
            else
            {
                // BGV: [c(s)]_Q = m + t e, centered.
                noise = v;
            }

            if (noise * 2 > q)
            {
                noise = q - noise;
            }

            if (noise > maxNorm)
            {
                maxNorm = noise;
            }
        }

        long bits = q.GetBitLength() - (maxNorm.IsZero ? 0 : maxNorm.GetBitLength()) - 1;
        if (scheme == SchemeType.Bgv)
        {
            bits -= BitOperations.Log2(t) + 1;
        }

        return (int)Math.Max(0, bits);
    }

    /// <summary>phase = c0 + c1 s + c2 s^2 + ... at the ciphertext's level.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Phase(Ciphertext encrypted, ContextData level, ulong[] phase, bool coefficientForm)
    {
        int n = level.Degree, l = level.ModulusCount, size = encrypted.Size;
        var ring = level.Ring;
        _context.Parallelism.For(l, n, i =>
        {
            var q = level.Moduli[i];
            var tables = ring.Tables(i);
            var acc = phase.AsSpan(i * n, n);
            var s = _secretKey.Data.AsSpan(i * n, n);
            ulong[] sPower = ArrayPool<ulong>.Shared.Rent(n);
            ulong[] tmp = ArrayPool<ulong>.Shared.Rent(n);
            try
            {
                var sp = sPower.AsSpan(0, n);
                var tp = tmp.AsSpan(0, n);
                s.CopyTo(sp);
                encrypted.Limb(size - 1, i).CopyTo(acc);
                if (!encrypted.IsNttForm)
                {
                    tables.Forward(acc);
                }

                // Horner over c_1..c_k in NTT form: acc = (...(c_k s + c_{k-1}) s + ...) s; then + c_0.
                for (int c = size - 2; c >= 1; c--)
                {
                    PolyArithmetic.Multiply(acc, sp, acc, q);
                    encrypted.Limb(c, i).CopyTo(tp);
                    if (!encrypted.IsNttForm)
                    {
                        tables.Forward(tp);
                    }

                    // (kept fully reduced: Add below needs [0, q))

                    PolyArithmetic.Add(acc, tp, acc, q);
                }

                PolyArithmetic.Multiply(acc, sp, acc, q);
                if (!encrypted.IsNttForm)
                {
                    // Coefficient-form ciphertext (BFV): add c_0 after the inverse transform.
                    tables.Inverse(acc);
                    PolyArithmetic.Add(acc, encrypted.Limb(0, i), acc, q);
                    if (!coefficientForm)
                    {
                        tables.Forward(acc);
                    }
                }
                else
                {
                    PolyArithmetic.Add(acc, encrypted.Limb(0, i), acc, q);
                    if (coefficientForm)
                    {
                        tables.Inverse(acc);
                    }
                }
            }
            finally
            {
                ArrayPool<ulong>.Shared.Return(sPower);
                ArrayPool<ulong>.Shared.Return(tmp);
            }
        });
    }

    /// <summary>m = round(t x / Q) mod t for x = phase (coefficient form), exact in RNS.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ScaleToPlain(ContextData level, ulong[] phase, ulong[] destination)
    {
        var constants = level.Plain!;
        var t = constants.T;
        int n = level.Degree, l = level.ModulusCount;
        var inverseQ = new double[l];
        for (int i = 0; i < l; i++)
        {
            inverseQ[i] = 1.0 / level.Moduli[i].Value;
        }

        var beta = constants.BfvBeta;
        var betaShoup = constants.BfvBetaShoup;
        var omega = constants.BfvOmegaModT;
        for (int j = 0; j < n; j++)
        {
            UInt128 acc = 0;
            double fraction = 0;
            for (int i = 0; i < l; i++)
            {
                ulong x = phase[i * n + j];
                ulong qi = level.Moduli[i].Value;
                acc += Math.BigMul(x, omega[i]);
                // x beta_i = quotient q_i + remainder, exactly: Shoup's estimate is short by at most one.
                ulong quotient = Math.BigMul(x, betaShoup[i], out _);
                ulong remainder = x * beta[i] - quotient * qi;
                if (remainder >= qi)
                {
                    remainder -= qi;
                    quotient++;
                }

                acc += quotient;
                fraction += remainder * inverseQ[i];
            }

            acc += (ulong)Math.Round(fraction, MidpointRounding.AwayFromZero);
            // Barrett instead of a 128-bit division; its high word must first be below t.
            ulong hi = (ulong)(acc >> 64);
            if (hi >= t.Value)
            {
                hi = t.Reduce(hi);
            }

            destination[j] = t.Reduce(hi, (ulong)acc);
        }
    }
}
