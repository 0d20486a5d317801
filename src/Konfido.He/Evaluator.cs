// Homomorphic operations on ciphertexts: SEAL's Evaluator vocabulary over BFV, BGV and CKKS.
// References:
//  - BFV: Fan–Vercauteren eprint 2012/144; RNS multiplication: Halevi–Polyakov–Shoup eprint 2018/117.
//  - BGV: Brakerski–Gentry–Vaikuntanathan ITCS 2012; modulus switching with the correction factor
//    as in Kim–Polyakov–Zucca eprint 2021/204 and SEAL 4.x.
//  - CKKS: Cheon–Kim–Kim–Song ASIACRYPT 2017 (rescale by the last prime); RNS-CKKS: Cheon–Han–Kim–
//    Kim–Song SAC 2018 (eprint 2018/931).
//  - Key switching: Gentry–Halevi–Smart CRYPTO 2012 with one special prime (see Rlwe/RlweCore.cs).
using System.Buffers;
using Konfido.He.Arithmetic;
using Konfido.He.Rings;
using Konfido.He.Rlwe;

namespace Konfido.He;

/// <summary>
/// Evaluates operations on ciphertexts: <c>Op(a, b, destination)</c> writes a new result,
/// <c>OpInplace(a, b)</c> overwrites a. The destination may be one of the operands.
/// </summary>
public sealed class Evaluator
{
    private readonly HeContext _context;

    /// <summary>An evaluator for <paramref name="context"/>.</summary>
    public Evaluator(HeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
    }

    private SchemeType Scheme => _context.Parameters.Scheme;

    // ---------------------------------------------------------------- add, sub, negate

    /// <summary>destination = -a.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Negate(Ciphertext encrypted, Ciphertext destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var level = CheckCiphertext(_context, encrypted, nameof(encrypted));
        destination.CopyFrom(encrypted);
        NegateCore(level, destination);
    }

    /// <summary>a = -a.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void NegateInplace(Ciphertext encrypted)
    {
        var level = CheckCiphertext(_context, encrypted, nameof(encrypted));
        NegateCore(level, encrypted);
    }

    /// <summary>destination = a + b.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Add(Ciphertext a, Ciphertext b, Ciphertext destination) => AddSub(a, b, destination, subtract: false);

    /// <summary>a = a + b.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void AddInplace(Ciphertext a, Ciphertext b) => AddSub(a, b, a, subtract: false);

    /// <summary>destination = a - b.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Sub(Ciphertext a, Ciphertext b, Ciphertext destination) => AddSub(a, b, destination, subtract: true);

    /// <summary>a = a - b.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void SubInplace(Ciphertext a, Ciphertext b) => AddSub(a, b, a, subtract: true);

    /// <summary>destination = the sum of all <paramref name="encrypteds"/>. Requires at least one.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void AddMany(IReadOnlyList<Ciphertext> encrypteds, Ciphertext destination)
    {
        ArgumentNullException.ThrowIfNull(encrypteds);
        ArgumentNullException.ThrowIfNull(destination);
        if (encrypteds.Count == 0)
        {
            throw new ArgumentException("nothing to add.", nameof(encrypteds));
        }

        var sum = encrypteds[0].Clone();
        for (int i = 1; i < encrypteds.Count; i++)
        {
            AddInplace(sum, encrypteds[i]);
        }

        destination.CopyFrom(sum);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void AddSub(Ciphertext a, Ciphertext b, Ciphertext destination, bool subtract)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var level = CheckCiphertext(_context, a, nameof(a));
        var levelB = CheckCiphertext(_context, b, nameof(b));
        if (level != levelB)
        {
            throw new ArgumentException("the operands are at different levels; mod-switch the higher one first.");
        }

        CheckScales(a.Scale, b.Scale);
        var bb = b;
        if (Scheme == SchemeType.Bgv && a.CorrectionFactor != b.CorrectionFactor)
        {
            // Align b's correction factor with a's: multiply b by f_a / f_b mod t.
            var t = PlainOps.PlainModulusOf(_context);
            ulong ratio = t.Multiply(a.CorrectionFactor, t.Invert(b.CorrectionFactor));
            bb = b.Clone();
            MultiplyScalarCore(level, bb, ratio);
            bb.CorrectionFactor = a.CorrectionFactor;
        }
        else if (ReferenceEquals(destination, b) && !ReferenceEquals(a, b))
        {
            bb = b.Clone();
        }

        if (!ReferenceEquals(destination, a))
        {
            destination.CopyFrom(a);
        }

        int size = Math.Max(a.Size, bb.Size);
        destination.ResizePolynomials(size);
        destination.Seed = null;
        int n = level.Degree, l = level.ModulusCount;
        for (int c = 0; c < bb.Size; c++)
        {
            for (int i = 0; i < l; i++)
            {
                var limb = destination.Limb(c, i);
                if (subtract)
                {
                    PolyArithmetic.Subtract(limb, bb.Limb(c, i), limb, level.Moduli[i]);
                }
                else
                {
                    PolyArithmetic.Add(limb, bb.Limb(c, i), limb, level.Moduli[i]);
                }
            }
        }

        _ = n;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void NegateCore(ContextData level, Ciphertext c)
    {
        c.Seed = null;
        for (int p = 0; p < c.Size; p++)
        {
            for (int i = 0; i < level.ModulusCount; i++)
            {
                var limb = c.Limb(p, i);
                PolyArithmetic.Negate(limb, limb, level.Moduli[i]);
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyScalarCore(ContextData level, Ciphertext c, ulong scalarModT)
    {
        var t = level.Context.Parameters.PlainModulus!.Value;
        ulong half = t.Value >> 1;
        c.Seed = null;
        for (int i = 0; i < level.ModulusCount; i++)
        {
            var q = level.Moduli[i];
            ulong s = scalarModT > half ? q.Negate(q.Reduce(t.Value - scalarModT)) : q.Reduce(scalarModT);
            for (int p = 0; p < c.Size; p++)
            {
                var limb = c.Limb(p, i);
                PolyArithmetic.MultiplyScalar(limb, s, limb, q);
            }
        }
    }

    // ---------------------------------------------------------------- multiply

    /// <summary>destination = a * b (size grows: 2 x 2 gives 3; relinearise afterwards).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Multiply(Ciphertext a, Ciphertext b, Ciphertext destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var level = CheckCiphertext(_context, a, nameof(a));
        var levelB = CheckCiphertext(_context, b, nameof(b));
        if (level != levelB)
        {
            throw new ArgumentException("the operands are at different levels; mod-switch the higher one first.");
        }

        int n = level.Degree, l = level.ModulusCount;
        int sizeA = a.Size, sizeB = b.Size, sizeD = sizeA + sizeB - 1;
        bool same = ReferenceEquals(a, b);
        bool aliased = ReferenceEquals(destination, a) || ReferenceEquals(destination, b);
        double scale = a.Scale * b.Scale;
        ulong factor = 1;
        bool isNtt = a.IsNttForm;
        var parmsId = a.ParmsId;
        if (Scheme == SchemeType.Ckks && Math.Log2(scale) >= level.TotalCoeffModulusBitCount)
        {
            throw new ArgumentException($"the product's scale 2^{Math.Log2(scale):F1} exceeds the modulus at this level ({level.TotalCoeffModulusBitCount} bits); rescale first.");
        }

        // Write straight into the destination unless it is an operand.
        ulong[]? pooled = null;
        ulong[] result;
        if (aliased)
        {
            // Every path writes each output limb in full (the tensor clears what it accumulates into).
            pooled = ArrayPool<ulong>.Shared.Rent(sizeD * n * l);
            result = pooled;
        }
        else
        {
            destination.Resize(sizeD, n, l, clear: false);
            result = destination.Data;
        }

        try
        {
        switch (Scheme)
        {
            case SchemeType.Bfv:
                level.Multiplier!.Multiply(a.Data, sizeA, b.Data, sizeB, same, result, n, _context.Parallelism);
                break;
            case SchemeType.Ckks:
                TensorNtt(level, a, b, result);
                break;
            case SchemeType.Bgv:
                TensorNtt(level, a, b, result);
                factor = PlainOps.PlainModulusOf(_context).Multiply(a.CorrectionFactor, b.CorrectionFactor);
                break;
            default:
                throw new InvalidOperationException("unknown scheme.");
        }

        if (aliased)
        {
            destination.Resize(sizeD, n, l, clear: false);
            result.AsSpan(0, sizeD * n * l).CopyTo(destination.Data);
        }
        }
        finally
        {
            if (pooled is not null)
            {
                ArrayPool<ulong>.Shared.Return(pooled);
            }
        }

        destination.IsNttForm = isNtt;
        destination.ParmsId = parmsId;
        destination.Scale = Scheme == SchemeType.Ckks ? scale : 1.0;
        destination.CorrectionFactor = factor;
    }

    /// <summary>a = a * b.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void MultiplyInplace(Ciphertext a, Ciphertext b) => Multiply(a, b, a);

    /// <summary>destination = a^2.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Square(Ciphertext encrypted, Ciphertext destination) => Multiply(encrypted, encrypted, destination);

    /// <summary>a = a^2.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void SquareInplace(Ciphertext encrypted) => Multiply(encrypted, encrypted, encrypted);

    /// <summary>destination = the product of all <paramref name="encrypteds"/> relinearised after each step.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void MultiplyMany(IReadOnlyList<Ciphertext> encrypteds, RelinKeys relinKeys, Ciphertext destination)
    {
        ArgumentNullException.ThrowIfNull(encrypteds);
        ArgumentNullException.ThrowIfNull(destination);
        if (encrypteds.Count == 0)
        {
            throw new ArgumentException("nothing to multiply.", nameof(encrypteds));
        }

        var product = encrypteds[0].Clone();
        for (int i = 1; i < encrypteds.Count; i++)
        {
            MultiplyInplace(product, encrypteds[i]);
            RelinearizeInplace(product, relinKeys);
        }

        destination.CopyFrom(product);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void TensorNtt(ContextData level, Ciphertext a, Ciphertext b, ulong[] result)
    {
        int n = level.Degree, l = level.ModulusCount;
        int sizeA = a.Size, sizeB = b.Size, sizeD = sizeA + sizeB - 1;
        int poly = n * l;
        _context.Parallelism.For(l, n, limb =>
        {
            var q = level.Moduli[limb];
            if (sizeA == 2 && sizeB == 2)
            {
                PolyArithmetic.Tensor2(a.Limb(0, limb), a.Limb(1, limb), b.Limb(0, limb), b.Limb(1, limb),
                    result.AsSpan(limb * n, n), result.AsSpan(poly + limb * n, n), result.AsSpan(2 * poly + limb * n, n), q);
                return;
            }

            for (int r = 0; r < sizeD; r++)
            {
                var target = result.AsSpan(r * poly + limb * n, n);
                target.Clear();
                for (int i = Math.Max(0, r - sizeB + 1); i <= Math.Min(r, sizeA - 1); i++)
                {
                    PolyArithmetic.MultiplyAdd(a.Limb(i, limb), b.Limb(r - i, limb), target, q);
                }
            }
        });
    }

    // ---------------------------------------------------------------- relinearise

    /// <summary>destination = a relinearised to size 2. Requires size 3 and keys of this context.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Relinearize(Ciphertext encrypted, RelinKeys relinKeys, Ciphertext destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(relinKeys);
        var level = CheckCiphertext(_context, encrypted, nameof(encrypted));
        if (relinKeys.ParmsId != _context.KeyParmsId)
        {
            throw new ArgumentException("the relinearisation keys do not belong to this context.", nameof(relinKeys));
        }

        if (encrypted.Size == 2)
        {
            destination.CopyFrom(encrypted);
            return;
        }

        if (encrypted.Size != 3)
        {
            throw new ArgumentException($"relinearisation takes a size-3 ciphertext, got size {encrypted.Size}.", nameof(encrypted));
        }

        if (!ReferenceEquals(destination, encrypted))
        {
            destination.CopyFrom(encrypted);
        }

        SwitchKeyInto(level, destination, 2, relinKeys, RelinKeys.RelinIndex, removeLast: true);
    }

    /// <summary>a = a relinearised to size 2.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void RelinearizeInplace(Ciphertext encrypted, RelinKeys relinKeys) => Relinearize(encrypted, relinKeys, encrypted);

    // Adds the key switch of polynomial `index` of c into c0, c1 and removes it (or replaces c1).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void SwitchKeyInto(ContextData level, Ciphertext c, int index, KSwitchKeys keys, ulong element, bool removeLast)
    {
        RlweCore.SwitchKeyInto(level, c.Data, index, c.IsNttForm, keys.Keys[element], keys.ShoupQuotients(element, _context), replaceSecond: !removeLast);
        if (removeLast)
        {
            c.ResizePolynomials(c.Size - 1);
        }

        c.Seed = null;
    }

    // ---------------------------------------------------------------- plaintext operands

    /// <summary>destination = a + plain.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void AddPlain(Ciphertext encrypted, Plaintext plain, Ciphertext destination) => AddSubPlain(encrypted, plain, destination, false);

    /// <summary>a = a + plain.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void AddPlainInplace(Ciphertext encrypted, Plaintext plain) => AddSubPlain(encrypted, plain, encrypted, false);

    /// <summary>destination = a - plain.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void SubPlain(Ciphertext encrypted, Plaintext plain, Ciphertext destination) => AddSubPlain(encrypted, plain, destination, true);

    /// <summary>a = a - plain.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void SubPlainInplace(Ciphertext encrypted, Plaintext plain) => AddSubPlain(encrypted, plain, encrypted, true);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void AddSubPlain(Ciphertext encrypted, Plaintext plain, Ciphertext destination, bool subtract)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var level = CheckCiphertext(_context, encrypted, nameof(encrypted));
        if (!ReferenceEquals(destination, encrypted))
        {
            destination.CopyFrom(encrypted);
        }

        destination.Seed = null;
        var c0 = destination.Polynomial(0);
        switch (Scheme)
        {
            case SchemeType.Ckks:
                CheckCkksPlain(plain, level);
                CheckScales(encrypted.Scale, plain.Scale);
                int n = level.Degree;
                for (int i = 0; i < level.ModulusCount; i++)
                {
                    var limb = c0.Slice(i * n, n);
                    if (subtract)
                    {
                        PolyArithmetic.Subtract(limb, plain.Data.AsSpan(i * n, n), limb, level.Moduli[i]);
                    }
                    else
                    {
                        PolyArithmetic.Add(limb, plain.Data.AsSpan(i * n, n), limb, level.Moduli[i]);
                    }
                }

                break;
            case SchemeType.Bfv:
                PlainOps.CheckPlain(_context, plain, nameof(plain));
                PlainOps.AddScaledPlain(level, plain, c0, subtract);
                break;
            case SchemeType.Bgv:
                PlainOps.CheckPlain(_context, plain, nameof(plain));
                PlainOps.AddPlainNtt(level, plain, c0, encrypted.CorrectionFactor, subtract);
                break;
            default:
                throw new InvalidOperationException("unknown scheme.");
        }
    }

    /// <summary>destination = a * plain.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void MultiplyPlain(Ciphertext encrypted, Plaintext plain, Ciphertext destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var level = CheckCiphertext(_context, encrypted, nameof(encrypted));
        int n = level.Degree, l = level.ModulusCount;
        if (!ReferenceEquals(destination, encrypted))
        {
            destination.CopyFrom(encrypted);
        }

        destination.Seed = null;
        ulong[] operand;
        if (Scheme == SchemeType.Ckks)
        {
            CheckCkksPlain(plain, level);
            double scale = encrypted.Scale * plain.Scale;
            if (Math.Log2(scale) >= level.TotalCoeffModulusBitCount)
            {
                throw new ArgumentException($"the product's scale 2^{Math.Log2(scale):F1} exceeds the modulus at this level; rescale first.");
            }

            operand = plain.Data;
            destination.Scale = scale;
        }
        else
        {
            PlainOps.CheckPlain(_context, plain, nameof(plain));
            operand = new ulong[n * l];
            PlainOps.LiftPlainNtt(level, plain, 1, operand);
        }

        bool toNtt = !destination.IsNttForm;
        int size = destination.Size;
        _context.Parallelism.For(l, n, i =>
        {
            var q = level.Moduli[i];
            var tables = level.Ring.Tables(i);
            var p = operand.AsSpan(i * n, n);
            for (int c = 0; c < size; c++)
            {
                var limb = destination.Limb(c, i);
                if (toNtt)
                {
                    tables.Forward(limb);
                }

                PolyArithmetic.Multiply(limb, p, limb, q);
                if (toNtt)
                {
                    tables.Inverse(limb);
                }
            }
        });
    }

    /// <summary>a = a * plain.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void MultiplyPlainInplace(Ciphertext encrypted, Plaintext plain) => MultiplyPlain(encrypted, plain, encrypted);

    // ---------------------------------------------------------------- levels

    /// <summary>
    /// destination = a at the next level: CKKS drops the last prime; BFV and BGV divide by it with
    /// rounding (reducing the noise with the modulus). Requires a level below.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void ModSwitchToNext(Ciphertext encrypted, Ciphertext destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var level = CheckCiphertext(_context, encrypted, nameof(encrypted));
        var next = level.Next ?? throw new ArgumentException("the ciphertext is already at the last level.", nameof(encrypted));
        int n = level.Degree, l = level.ModulusCount, size = encrypted.Size;
        switch (Scheme)
        {
            case SchemeType.Ckks:
                // Drop the last limb of every polynomial; Span copies move overlapping limbs safely.
                LevelDown(encrypted, destination, next, encrypted.Scale, 1, (source, target) =>
                {
                    for (int c = 0; c < size; c++)
                    {
                        source.AsSpan(c * l * n, (l - 1) * n).CopyTo(target.AsSpan(c * (l - 1) * n));
                    }
                });
                return;
            case SchemeType.Bfv:
                LevelDown(encrypted, destination, next, encrypted.Scale, 1,
                    (source, target) => RlweCore.DivideRoundByLast(level, source, target, size, ntt: false));
                return;
            default:
                break;
        }

        // BGV: the rounding must keep the plaintext (delta = 0 mod t).
        var result = new ulong[size * n * (l - 1)];
        var t = _context.Parameters.PlainModulus!.Value;
        for (int c = 0; c < size; c++)
        {
            RlweCore.DivideRoundByLast(level, encrypted.Polynomial(c), result.AsSpan(c * n * (l - 1), n * (l - 1)), encrypted.IsNttForm);
        }

        ulong factor = t.Multiply(encrypted.CorrectionFactor, t.Invert(t.Reduce(level.Moduli[l - 1].Value)));
        FinishLevelChange(encrypted, destination, next, result, encrypted.Scale, factor);
    }

    // Writes the level change computed by compute(source data, target data) into destination:
    // straight into it when it is another ciphertext, compacted in place otherwise.
    private static void LevelDown(Ciphertext encrypted, Ciphertext destination, ContextData next, double scale, ulong factor, Action<ulong[], ulong[]> compute)
    {
        bool ntt = encrypted.IsNttForm;
        int size = encrypted.Size;
        if (ReferenceEquals(destination, encrypted))
        {
            compute(encrypted.Data, encrypted.Data);
            encrypted.Resize(size, next.Degree, next.ModulusCount, clear: false);
        }
        else
        {
            destination.Resize(size, next.Degree, next.ModulusCount, clear: false);
            compute(encrypted.Data, destination.Data);
        }

        destination.IsNttForm = ntt;
        destination.ParmsId = next.ParmsId;
        destination.Scale = scale;
        destination.CorrectionFactor = factor;
    }

    /// <summary>a = a at the next level.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void ModSwitchToNextInplace(Ciphertext encrypted) => ModSwitchToNext(encrypted, encrypted);

    /// <summary>Switches a down to the level <paramref name="parmsId"/>. Requires that level at or below a's.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void ModSwitchToInplace(Ciphertext encrypted, ParmsId parmsId)
    {
        var level = CheckCiphertext(_context, encrypted, nameof(encrypted));
        var target = _context.RequireContextData(parmsId, "the target level");
        if (target.ChainIndex > level.ChainIndex || target.IsKeyLevel)
        {
            throw new ArgumentException("cannot switch to a higher level.", nameof(parmsId));
        }

        while (encrypted.ParmsId != parmsId)
        {
            ModSwitchToNextInplace(encrypted);
        }
    }

    /// <summary>CKKS: drops the last limb of an NTT-form plaintext.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void ModSwitchToNextInplace(Plaintext plain)
    {
        ArgumentNullException.ThrowIfNull(plain);
        if (Scheme != SchemeType.Ckks)
        {
            throw new InvalidOperationException("only CKKS plaintexts carry a level.");
        }

        var level = _context.RequireContextData(plain.ParmsId, "the plaintext");
        var next = level.Next ?? throw new ArgumentException("the plaintext is already at the last level.", nameof(plain));
        var data = plain.Data.AsSpan(0, next.Degree * next.ModulusCount).ToArray();
        double scale = plain.Scale;
        plain.Resize(data.Length);
        data.CopyTo(plain.Data, 0);
        plain.ParmsId = next.ParmsId;
        plain.IsNttForm = true;
        plain.Scale = scale;
    }

    /// <summary>CKKS: switches a plaintext down to <paramref name="parmsId"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void ModSwitchToInplace(Plaintext plain, ParmsId parmsId)
    {
        ArgumentNullException.ThrowIfNull(plain);
        var target = _context.RequireContextData(parmsId, "the target level");
        while (plain.ParmsId != parmsId)
        {
            var level = _context.RequireContextData(plain.ParmsId, "the plaintext");
            if (level.ChainIndex <= target.ChainIndex)
            {
                throw new ArgumentException("cannot switch to a higher level.", nameof(parmsId));
            }

            ModSwitchToNextInplace(plain);
        }
    }

    /// <summary>CKKS: destination = a / q_last (rounded), at the next level, with the scale divided by q_last.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void RescaleToNext(Ciphertext encrypted, Ciphertext destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (Scheme != SchemeType.Ckks)
        {
            throw new InvalidOperationException("rescaling is a CKKS operation; use ModSwitchToNext for BFV/BGV.");
        }

        var level = CheckCiphertext(_context, encrypted, nameof(encrypted));
        var next = level.Next ?? throw new ArgumentException("the ciphertext is at the last level: nothing left to rescale by.", nameof(encrypted));
        int size = encrypted.Size;
        double scale = encrypted.Scale / level.Moduli[level.ModulusCount - 1].Value;
        LevelDown(encrypted, destination, next, scale, 1,
            (source, target) => RlweCore.DivideRoundByLast(level, source, target, size, ntt: true));
    }

    /// <summary>CKKS: a = a / q_last at the next level.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void RescaleToNextInplace(Ciphertext encrypted) => RescaleToNext(encrypted, encrypted);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void FinishLevelChange(Ciphertext source, Ciphertext destination, ContextData next, ulong[] result, double scale, ulong factor)
    {
        bool ntt = source.IsNttForm;
        int size = source.Size;
        destination.Resize(size, next.Degree, next.ModulusCount);
        result.CopyTo(destination.Data, 0);
        destination.IsNttForm = ntt;
        destination.ParmsId = next.ParmsId;
        destination.Scale = scale;
        destination.CorrectionFactor = factor;
    }

    // ---------------------------------------------------------------- Galois

    /// <summary>destination = a(X^g) switched back to s. Requires a Galois key for g and size 2.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void ApplyGalois(Ciphertext encrypted, ulong galoisElement, GaloisKeys galoisKeys, Ciphertext destination)
    {
        ArgumentNullException.ThrowIfNull(galoisKeys);
        ArgumentNullException.ThrowIfNull(destination);
        var level = CheckCiphertext(_context, encrypted, nameof(encrypted));
        if (galoisKeys.ParmsId != _context.KeyParmsId)
        {
            throw new ArgumentException("the Galois keys do not belong to this context.", nameof(galoisKeys));
        }

        if (!galoisKeys.Keys.TryGetValue(galoisElement, out var key))
        {
            throw new ArgumentException($"no Galois key for element {galoisElement}; generate it with KeyGenerator.CreateGaloisKeys.", nameof(galoisKeys));
        }

        if (encrypted.Size != 2)
        {
            throw new ArgumentException("rotations take a size-2 ciphertext; relinearise first.", nameof(encrypted));
        }

        int n = level.Degree, l = level.ModulusCount;
        var tool = _context.GaloisTool;
        bool ntt = encrypted.IsNttForm;
        ulong[] buffer = ArrayPool<ulong>.Shared.Rent(2 * n * l);
        try
        {
            _context.Parallelism.For(2 * l, n / 16, job => // a permutation: cheap
            {
                int c = job / l, i = job % l;
                var target = buffer.AsSpan(job * n, n);
                if (ntt)
                {
                    tool.ApplyNtt(encrypted.Limb(c, i), galoisElement, target);
                }
                else
                {
                    tool.ApplyCoefficients(encrypted.Limb(c, i), galoisElement, level.Moduli[i], target);
                }
            });
            if (!ReferenceEquals(destination, encrypted))
            {
                destination.Resize(2, n, l, clear: false);
                destination.CopyMetadataFrom(encrypted);
            }

            buffer.AsSpan(0, 2 * n * l).CopyTo(destination.Data);
            destination.Seed = null;
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(buffer);
        }

        SwitchKeyInto(level, destination, 1, galoisKeys, galoisElement, removeLast: false);
    }

    /// <summary>a = a(X^g) switched back to s.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void ApplyGaloisInplace(Ciphertext encrypted, ulong galoisElement, GaloisKeys galoisKeys) =>
        ApplyGalois(encrypted, galoisElement, galoisKeys, encrypted);

    /// <summary>BFV/BGV batching: rotates both rows left by <paramref name="steps"/> (negative: right).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void RotateRows(Ciphertext encrypted, int steps, GaloisKeys galoisKeys, Ciphertext destination)
    {
        if (Scheme == SchemeType.Ckks)
        {
            throw new InvalidOperationException("CKKS rotates with RotateVector.");
        }

        RotateCore(encrypted, steps, galoisKeys, destination);
    }

    /// <summary>BFV/BGV batching: rotates the rows in place.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void RotateRowsInplace(Ciphertext encrypted, int steps, GaloisKeys galoisKeys) => RotateRows(encrypted, steps, galoisKeys, encrypted);

    /// <summary>BFV/BGV batching: swaps the two rows.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void RotateColumns(Ciphertext encrypted, GaloisKeys galoisKeys, Ciphertext destination)
    {
        if (Scheme == SchemeType.Ckks)
        {
            throw new InvalidOperationException("CKKS conjugates with ComplexConjugate.");
        }

        ApplyGalois(encrypted, _context.GaloisTool.ConjugationElement, galoisKeys, destination);
    }

    /// <summary>BFV/BGV batching: swaps the two rows in place.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void RotateColumnsInplace(Ciphertext encrypted, GaloisKeys galoisKeys) => RotateColumns(encrypted, galoisKeys, encrypted);

    /// <summary>CKKS: rotates the slot vector left by <paramref name="steps"/> (negative: right).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void RotateVector(Ciphertext encrypted, int steps, GaloisKeys galoisKeys, Ciphertext destination)
    {
        if (Scheme != SchemeType.Ckks)
        {
            throw new InvalidOperationException("BFV/BGV rotate with RotateRows/RotateColumns.");
        }

        RotateCore(encrypted, steps, galoisKeys, destination);
    }

    /// <summary>CKKS: rotates the slot vector in place.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void RotateVectorInplace(Ciphertext encrypted, int steps, GaloisKeys galoisKeys) => RotateVector(encrypted, steps, galoisKeys, encrypted);

    /// <summary>CKKS: complex conjugation of every slot.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void ComplexConjugate(Ciphertext encrypted, GaloisKeys galoisKeys, Ciphertext destination)
    {
        if (Scheme != SchemeType.Ckks)
        {
            throw new InvalidOperationException("complex conjugation is a CKKS operation.");
        }

        ApplyGalois(encrypted, _context.GaloisTool.ConjugationElement, galoisKeys, destination);
    }

    /// <summary>CKKS: complex conjugation in place.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void ComplexConjugateInplace(Ciphertext encrypted, GaloisKeys galoisKeys) => ComplexConjugate(encrypted, galoisKeys, encrypted);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void RotateCore(Ciphertext encrypted, int steps, GaloisKeys galoisKeys, Ciphertext destination)
    {
        ArgumentNullException.ThrowIfNull(galoisKeys);
        if (steps == 0)
        {
            ArgumentNullException.ThrowIfNull(destination);
            CheckCiphertext(_context, encrypted, nameof(encrypted));
            destination.CopyFrom(encrypted);
            return;
        }

        var tool = _context.GaloisTool;
        ulong g = tool.ElementFromStep(steps);
        if (galoisKeys.HasKey(g))
        {
            ApplyGalois(encrypted, g, galoisKeys, destination);
            return;
        }

        // Compose power-of-two rotations (non-adjacent form would be shorter; binary is enough).
        int half = _context.Parameters.PolyModulusDegree / 2;
        int remaining = steps;
        var current = encrypted.Clone();
        while (remaining != 0)
        {
            int sign = Math.Sign(remaining);
            int magnitude = 1;
            while (magnitude * 2 <= Math.Abs(remaining) && magnitude * 2 < half)
            {
                magnitude *= 2;
            }

            ulong element = tool.ElementFromStep(sign * magnitude);
            if (!galoisKeys.HasKey(element))
            {
                throw new ArgumentException($"no Galois key for a rotation by {steps} (nor for the power-of-two step {sign * magnitude}).", nameof(galoisKeys));
            }

            ApplyGaloisInplace(current, element, galoisKeys);
            remaining -= sign * magnitude;
        }

        destination.CopyFrom(current);
    }

    // ---------------------------------------------------------------- checks

    /// <summary>Validates a ciphertext against the context and returns its level.</summary>
    internal static ContextData CheckCiphertext(HeContext context, Ciphertext encrypted, string name)
    {
        ArgumentNullException.ThrowIfNull(encrypted, name);
        var level = context.GetContextData(encrypted.ParmsId)
            ?? throw new ArgumentException($"the ciphertext's parameters ({encrypted.ParmsId}) do not belong to this context.", name);
        if (level.IsKeyLevel && context.UsingKeySwitching)
        {
            throw new ArgumentException("the ciphertext is at the key level.", name);
        }

        if (encrypted.Size < 2 || encrypted.PolyModulusDegree != level.Degree || encrypted.CoeffModulusSize != level.ModulusCount ||
            encrypted.Data.Length < encrypted.Size * level.Degree * level.ModulusCount)
        {
            throw new ArgumentException("the ciphertext's shape does not match its parameters.", name);
        }

        bool expectNtt = context.Parameters.Scheme != SchemeType.Bfv;
        if (encrypted.IsNttForm != expectNtt)
        {
            throw new ArgumentException($"a {context.Parameters.Scheme} ciphertext must {(expectNtt ? "" : "not ")}be in NTT form.", name);
        }

        return level;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void CheckCkksPlain(Plaintext plain, ContextData level)
    {
        ArgumentNullException.ThrowIfNull(plain);
        if (!plain.IsNttForm || plain.ParmsId != level.ParmsId || plain.CoeffCount != level.Degree * level.ModulusCount)
        {
            throw new ArgumentException("the plaintext is not at the ciphertext's level (encode at that level or mod-switch it).", nameof(plain));
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void CheckScales(double a, double b)
    {
        if (Scheme == SchemeType.Ckks && Math.Abs(a - b) > 1e-9 * Math.Max(a, b))
        {
            throw new ArgumentException($"the scales differ (2^{Math.Log2(a):F3} and 2^{Math.Log2(b):F3}); rescale or encode at a matching scale.");
        }
    }
}
