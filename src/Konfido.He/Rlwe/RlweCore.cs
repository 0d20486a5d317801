// RLWE encryptions of zero, key-switching keys and key switching with one special prime.
// References:
//  - V. Lyubashevsky, C. Peikert, O. Regev, "On ideal lattices and learning with errors over rings",
//    EUROCRYPT 2010 (RLWE).
//  - C. Gentry, S. Halevi, N. Smart, "Homomorphic evaluation of the AES circuit", CRYPTO 2012
//    (key switching with a special modulus P, "GHS").
//  - Microsoft SEAL 4.x (Evaluator::switch_key_inplace): decomposition over the RNS limbs
//    (Bajard et al. SAC 2016), one special prime, mod-down by P with rounding.
// Sizes: key level = data primes + one special prime; at most 64 primes.
using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Konfido.He.Arithmetic;
using Konfido.He.Rings;

namespace Konfido.He.Rlwe;

/// <summary>RLWE building blocks shared by the key generator, the encryptor and the evaluator.</summary>
internal static class RlweCore
{
    /// <summary>
    /// destination = a symmetric encryption of zero under s at <paramref name="level"/>:
    /// (-a s + e', a) with e' = e (BFV, CKKS) or t e (BGV). NTT form when <paramref name="ntt"/>.
    /// When <paramref name="seed"/> is given, a is expanded from it.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void EncryptZeroSymmetric(SecretKey secretKey, ContextData level, bool ntt, Ciphertext destination, byte[]? seed)
    {
        var context = level.Context;
        int n = level.Degree, l = level.ModulusCount;
        var ring = level.Ring;
        destination.Resize(2, n, l);
        destination.IsNttForm = ntt;
        destination.ParmsId = level.ParmsId;
        destination.Scale = 1.0;
        destination.CorrectionFactor = 1;
        var moduli = level.ModuliArray;
        using (var aRng = seed is null ? SeededExpander.CreateRandom() : new SeededExpander(seed))
        {
            Samplers.Uniform(aRng, moduli, destination.Polynomial(1), n);
        }

        // c0 = -(a s) in NTT form.
        var c0 = destination.Data;
        var c1 = destination.Data;
        int length = n * l;
        ulong[] aNtt = ArrayPool<ulong>.Shared.Rent(length);
        try
        {
            c1.AsSpan(length, length).CopyTo(aNtt);
            context.Parallelism.For(l, n, i =>
            {
                var q = moduli[i];
                var limb = aNtt.AsSpan(i * n, n);
                if (!ntt)
                {
                    ring.Tables(i).Forward(limb);
                }

                var target = c0.AsSpan(i * n, n);
                PolyArithmetic.Multiply(limb, secretKey.Data.AsSpan(i * n, n), target, q);
                PolyArithmetic.Negate(target, target, q);
                if (!ntt)
                {
                    ring.Tables(i).Inverse(target);
                }
            });
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(aNtt);
        }

        AddError(level, destination.Polynomial(0), ntt, context.Parameters.Scheme == SchemeType.Bgv);
        destination.Seed = seed;
    }

    /// <summary>
    /// destination = a public-key encryption of zero at <paramref name="level"/>:
    /// (p0 u + e0', p1 u + e1'), u ternary. NTT form when <paramref name="ntt"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void EncryptZeroPublic(PublicKey publicKey, ContextData level, bool ntt, Ciphertext destination)
    {
        var context = level.Context;
        int n = level.Degree, l = level.ModulusCount;
        var ring = level.Ring;
        destination.Resize(2, n, l);
        destination.IsNttForm = ntt;
        destination.ParmsId = level.ParmsId;
        destination.Scale = 1.0;
        destination.CorrectionFactor = 1;
        var moduli = level.ModuliArray;
        var u = new sbyte[n];
        ulong[] uLimbs = ArrayPool<ulong>.Shared.Rent(n * l);
        try
        {
            using (var rng = SeededExpander.CreateRandom())
            {
                Samplers.Ternary(rng, u);
            }

            Samplers.ToResidues(u, moduli, uLimbs, n);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(u.AsSpan()));
            var pk = publicKey.Data;
            var data = destination.Data;
            context.Parallelism.For(l, n, i =>
            {
                var q = moduli[i];
                var ui = uLimbs.AsSpan(i * n, n);
                ring.Tables(i).Forward(ui);
                for (int c = 0; c < 2; c++)
                {
                    var target = data.AsSpan(c * n * l + i * n, n);
                    PolyArithmetic.Multiply(pk.Limb(c, i), ui, target, q);
                    if (!ntt)
                    {
                        ring.Tables(i).Inverse(target);
                    }
                }
            });
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(uLimbs.AsSpan()));
            ArrayPool<ulong>.Shared.Return(uLimbs);
        }

        bool bgv = context.Parameters.Scheme == SchemeType.Bgv;
        AddError(level, destination.Polynomial(0), ntt, bgv);
        AddError(level, destination.Polynomial(1), ntt, bgv);
    }

    /// <summary>poly += e (or t e for BGV), e a fresh Gaussian error, in the given form.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void AddError(ContextData level, Span<ulong> poly, bool ntt, bool timesPlainModulus)
    {
        int n = level.Degree, l = level.ModulusCount;
        var ring = level.Ring;
        var moduli = level.ModuliArray;
        var e = new sbyte[n];
        using (var rng = SeededExpander.CreateRandom())
        {
            Samplers.Gaussian(rng, e);
        }

        ulong[] limbs = ArrayPool<ulong>.Shared.Rent(n * l);
        try
        {
            Samplers.ToResidues(e, moduli, limbs, n);
            var tMod = timesPlainModulus ? level.Context.Parameters.PlainModulus : null;
            ulong[] target = ArrayPool<ulong>.Shared.Rent(n * l);
            poly.CopyTo(target);
            level.Context.Parallelism.For(l, ntt ? n : 0, i =>
            {
                var q = moduli[i];
                var ei = limbs.AsSpan(i * n, n);
                if (tMod is { } t)
                {
                    PolyArithmetic.MultiplyScalar(ei, q.Reduce(t.Value), ei, q);
                }

                if (ntt)
                {
                    ring.Tables(i).Forward(ei);
                }

                PolyArithmetic.Add(target.AsSpan(i * n, n), ei, target.AsSpan(i * n, n), q);
            });
            target.AsSpan(0, n * l).CopyTo(poly);
            ArrayPool<ulong>.Shared.Return(target);
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(limbs);
        }
    }

    /// <summary>
    /// The key-switching key from s' (NTT form over the key level) to s: for each data prime i,
    /// a symmetric encryption of zero at the key level plus [P]_{q_i} s' on limb i.
    /// </summary>
    public static Ciphertext[] CreateKeySwitchingKey(SecretKey secretKey, ReadOnlySpan<ulong> newKey, HeContext context)
    {
        var keyLevel = context.KeyContextData;
        int n = keyLevel.Degree, count = keyLevel.ModulusCount;
        int special = count - 1;
        ulong p = keyLevel.Moduli[special].Value;
        var keys = new Ciphertext[special];
        for (int i = 0; i < special; i++)
        {
            var ct = new Ciphertext();
            // Seeded: the uniform half is serialised as its 32-byte seed (half-size keys).
            EncryptZeroSymmetric(secretKey, keyLevel, ntt: true, ct, System.Security.Cryptography.RandomNumberGenerator.GetBytes(SeededExpander.SeedLength));
            var q = keyLevel.Moduli[i];
            var limb = ct.Limb(0, i);
            var scaled = new ulong[n];
            PolyArithmetic.MultiplyScalar(newKey.Slice(i * n, n), q.Reduce(p), scaled, q);
            PolyArithmetic.Add(limb, scaled, limb, q);
            keys[i] = ct;
        }

        return keys;
    }

    /// <summary>
    /// Key switching of polynomial <paramref name="index"/> of the ciphertext data
    /// <paramref name="data"/> (layout [size][l][N] at <paramref name="level"/>, NTT form when
    /// <paramref name="ntt"/>): computes (k0, k1) with k0 + k1 s = target s' + small (a multiple
    /// of t for BGV) and adds it into polynomials 0 and 1, or adds k0 into polynomial 0 and writes
    /// k1 over polynomial 1 when <paramref name="replaceSecond"/> (Galois automorphisms).
    /// </summary>
    /// <remarks>
    /// Three phases, each over independent jobs: (1) NTT form only: the target's limbs to
    /// coefficient form (the digits [target]_{q_i}); (2) per output prime q_j of the level and the
    /// special prime P: each digit lifted to q_j (a copy when q_i &lt; 4 q_j), one lazy forward NTT,
    /// Shoup multiply-accumulate with both key components (the limb's own NTT is reused when the
    /// ciphertext is in NTT form); the special limbs and, for coefficient-form ciphertexts, all
    /// limbs go back to coefficient form lazily; (3) per output limb: mod-down by P,
    /// (acc_j + 4 q_j - lift) * P^-1 with SEAL's add-half lift, added into the ciphertext in the
    /// same pass. Coefficient-form ciphertexts (BFV) need no forward NTT in phase 3.
    /// </remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void SwitchKeyInto(ContextData level, ulong[] data, int index, bool ntt, Ciphertext[] key, ulong[][] keyQuotients, bool replaceSecond)
    {
        var context = level.Context;
        if (!context.UsingKeySwitching)
        {
            throw new InvalidOperationException("these parameters have a single prime: key switching needs a special prime.");
        }

        var keyLevel = context.KeyContextData;
        int n = level.Degree, l = level.ModulusCount;
        int special = keyLevel.ModulusCount - 1;
        int keyLimbs = keyLevel.ModulusCount;
        bool bgv = context.Parameters.Scheme == SchemeType.Bgv;
        var specialTables = context.Tables(special);
        ulong p = specialTables.Modulus.Value, half = p >> 1;
        int targetOffset = index * l * n;
        ulong[]? digits = ntt ? ArrayPool<ulong>.Shared.Rent(l * n) : null;
        ulong[] acc = ArrayPool<ulong>.Shared.Rent(2 * (l + 1) * n); // [component][output j in 0..l][N]
        try
        {
            // (1) Digits in coefficient form, canonical in [0, q_i) (they multiply the key's noise).
            ulong[] digitSource = data;
            int digitOffset = targetOffset;
            if (digits is not null)
            {
                digitSource = digits;
                digitOffset = 0;
                context.Parallelism.For(l, n, i =>
                {
                    var limb = digits.AsSpan(i * n, n);
                    data.AsSpan(targetOffset + i * n, n).CopyTo(limb);
                    level.Ring.Tables(i).Inverse(limb);
                });
            }

            // (2) acc_j = sum_i NTT_j(digit_i) * key_i[j], for j over the level's primes and P.
            context.Parallelism.For(l + 1, l * n, jj =>
            {
                int j = jj < l ? jj : special;
                var tables = context.Tables(j);
                var q = tables.Modulus;
                ulong qv = q.Value;
                ulong[] scratch = ArrayPool<ulong>.Shared.Rent(n);
                try
                {
                    var t = scratch.AsSpan(0, n);
                    var acc0 = acc.AsSpan(jj * n, n);
                    var acc1 = acc.AsSpan(((l + 1) + jj) * n, n);
                    for (int i = 0; i < l; i++)
                    {
                        ReadOnlySpan<ulong> digit;
                        if (i == j && ntt)
                        {
                            // The limb's own NTT is the ciphertext's limb.
                            digit = data.AsSpan(targetOffset + i * n, n);
                        }
                        else
                        {
                            var src = digitSource.AsSpan(digitOffset + i * n, n);
                            if (level.Moduli[i].Value <= 4 * qv)
                            {
                                src.CopyTo(t);
                            }
                            else
                            {
                                PolyArithmetic.Reduce(src, t, q);
                            }

                            tables.ForwardLazy(t);
                            digit = t;
                        }

                        var quotients = keyQuotients[i];
                        MultiplyAccumulateShoup(digit, key[i].Limb(0, j), quotients.AsSpan(j * n, n), acc0, qv, first: i == 0);
                        MultiplyAccumulateShoup(digit, key[i].Limb(1, j), quotients.AsSpan((keyLimbs + j) * n, n), acc1, qv, first: i == 0);
                    }

                    // acc in [0, 2q). The special limbs go to coefficient form: x + h mod P
                    // (BGV: x mod P, lifted centred with its t-correction in phase 3).
                    if (jj == l)
                    {
                        tables.InverseLazy(acc0);
                        tables.InverseLazy(acc1);
                        PolyArithmetic.AddConstantReduce(acc0, bgv ? 0 : half, qv);
                        PolyArithmetic.AddConstantReduce(acc1, bgv ? 0 : half, qv);
                    }
                    else if (!ntt)
                    {
                        tables.InverseLazy(acc0);
                        tables.InverseLazy(acc1);
                    }
                }
                finally
                {
                    ArrayPool<ulong>.Shared.Return(scratch);
                }
            });

            // (3) Mod-down by P into the ciphertext: c_j += (acc_j - lift_j(acc_P)) * P^-1 mod q_j.
            var plain = context.Parameters.PlainModulus;
            ulong pInvT = bgv ? plain!.Value.Invert(plain.Value.Reduce(p)) : 0;
            bool reduceLift = false;
            for (int j = 0; j < l; j++)
            {
                reduceLift |= p > 4 * level.Moduli[j].Value;
            }

            bool needLift = ntt || bgv || reduceLift;
            int work = needLift ? n : n / 8; // a bare fused pass is a fraction of an NTT
            context.Parallelism.For(2 * l, work, job =>
            {
                int c = job / l, j = job % l;
                var tables = level.Ring.Tables(j);
                var q = tables.Modulus;
                ulong qv = q.Value;
                ulong pModQ = q.Reduce(p);
                ulong pInv = q.Invert(pModQ);
                ulong pInvShoup = q.ShoupPrecompute(pInv);
                ulong halfModQ = q.Reduce(half);
                ReadOnlySpan<ulong> x = acc.AsSpan((c * (l + 1) + l) * n, n);
                ulong offset = 4 * qv;
                ulong[]? lift = needLift ? ArrayPool<ulong>.Shared.Rent(n) : null;
                try
                {
                    if (lift is not null)
                    {
                        var lt = lift.AsSpan(0, n);
                        if (bgv)
                        {
                            LiftCentered(x, p, q, lt, plain, pInvT, pModQ);
                        }
                        else if (ntt)
                        {
                            PolyArithmetic.LiftShifted(x, lt, qv - halfModQ, q, p > 4 * qv);
                        }
                        else
                        {
                            PolyArithmetic.Reduce(x, lt, q);
                            offset += halfModQ;
                        }

                        if (ntt)
                        {
                            tables.ForwardLazy(lt);
                        }

                        x = lt;
                    }
                    else
                    {
                        offset += halfModQ;
                    }

                    PolyArithmetic.SubtractMultiplyShoup(acc.AsSpan((c * (l + 1) + j) * n, n), x, offset, pInv, pInvShoup,
                        data.AsSpan((c * l + j) * n, n), qv, accumulate: c == 0 || !replaceSecond);
                }
                finally
                {
                    if (lift is not null)
                    {
                        ArrayPool<ulong>.Shared.Return(lift);
                    }
                }
            });
        }
        finally
        {
            if (digits is not null)
            {
                ArrayPool<ulong>.Shared.Return(digits);
            }

            ArrayPool<ulong>.Shared.Return(acc);
        }
    }

    /// <summary>
    /// dst = the centered representative of x (mod m) reduced mod q; for BGV adds m k with
    /// k = [-x m^-1]_t so that the result is 0 mod t (rounding that keeps the plaintext).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void LiftCentered(ReadOnlySpan<ulong> x, ulong m, Modulus q, Span<ulong> dst, Modulus? t, ulong mInvT, ulong mModQ)
    {
        ulong half = m >> 1;
        for (int c = 0; c < x.Length; c++)
        {
            ulong v = x[c];
            ulong r;
            bool negative = v > half;
            // Branch-free: the centered value v - m (when v > m/2) is congruent to v - [m]_q.
            ulong negativeMask = (ulong)-(long)(v > half ? 1 : 0);
            r = q.Subtract(q.Reduce(v), mModQ & negativeMask);
            if (t is { } tm)
            {
                // x centered mod t, then k = [-x m^-1]_t centered.
                ulong xt = negative ? tm.Negate(tm.Reduce(m - v)) : tm.Reduce(v);
                ulong k = tm.Multiply(tm.Negate(xt), mInvT);
                ulong kq = k > tm.Value / 2 ? q.Negate(q.Reduce(tm.Value - k)) : q.Reduce(k);
                r = q.Add(r, q.Multiply(kq, mModQ));
            }

            dst[c] = r;
        }
    }

    /// <summary>
    /// Whether key residues modulo q carry double-precision companions k / q instead of Shoup
    /// quotients: AVX-512 and q &lt; 2^48, so that for digits x &lt; 4q the estimate
    /// x (k / q) is within 4q 2^-52 &lt; 1/4 of x k / q and its truncation is off by at most one.
    /// </summary>
    internal static bool UseFloatCompanions(ulong q) => NttTables.UseAvx512 && q < 1UL << 48;

    /// <summary>
    /// acc = acc + x k mod q (acc = x k when <paramref name="first"/>), lazily in [0, 2q), with k's
    /// companions kq (<see cref="UseFloatCompanions"/>: doubles k / q, else Shoup quotients).
    /// Requires x &lt; 4q (lazy NTT outputs).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MultiplyAccumulateShoup(ReadOnlySpan<ulong> x, ReadOnlySpan<ulong> k, ReadOnlySpan<ulong> kq, Span<ulong> acc, ulong q, bool first)
    {
        int n = acc.Length;
        ulong twoQ = 2 * q;
        fixed (ulong* px = x, pk = k, pq = kq, pa = acc)
        {
            int c = 0;
            if (UseFloatCompanions(q))
            {
                // qHat = trunc(x (k / q)) is off by at most one: x k - qHat q + q lies in [0, 3q).
                var vq = Vector512.Create(q);
                var v2q = Vector512.Create(twoQ);
                for (; c + 8 <= n; c += 8)
                {
                    var v = Vector512.Load(px + c);
                    var qHat = Avx512DQ.ConvertToVector512UInt64WithTruncation(Avx512DQ.ConvertToVector512Double(v) * Vector512.Load(pq + c).AsDouble());
                    var r = Avx512DQ.MultiplyLow(v, Vector512.Load(pk + c)) - Avx512DQ.MultiplyLow(qHat, vq) + vq;
                    r = Avx512F.Min(r, r - v2q);
                    if (!first)
                    {
                        r += Vector512.Load(pa + c);
                        r = Avx512F.Min(r, r - v2q);
                    }

                    r.Store(pa + c);
                }

                for (; c < n; c++)
                {
                    ulong qHat = (ulong)(px[c] * BitConverter.UInt64BitsToDouble(pq[c]));
                    ulong r = Modulus.CorrectOnce(px[c] * pk[c] - qHat * q + q, twoQ);
                    pa[c] = first ? r : Modulus.CorrectOnce(pa[c] + r, twoQ);
                }

                return;
            }

            if (NttTables.UseAvx512)
            {
                var vq = Vector512.Create(q);
                var v2q = Vector512.Create(twoQ);
                if (first)
                {
                    for (; c + 8 <= n; c += 8)
                    {
                        var v = Vector512.Load(px + c);
                        var wq = Vector512.Load(pq + c);
                        var qHat = NttTables.MultiplyHigh(v, wq, Avx512F.ShiftRightLogical(wq, 32));
                        (Avx512DQ.MultiplyLow(v, Vector512.Load(pk + c)) - Avx512DQ.MultiplyLow(qHat, vq)).Store(pa + c);
                    }
                }
                else
                {
                    for (; c + 8 <= n; c += 8)
                    {
                        var v = Vector512.Load(px + c);
                        var wq = Vector512.Load(pq + c);
                        var qHat = NttTables.MultiplyHigh(v, wq, Avx512F.ShiftRightLogical(wq, 32));
                        var r = Avx512DQ.MultiplyLow(v, Vector512.Load(pk + c)) - Avx512DQ.MultiplyLow(qHat, vq);
                        var sum = Vector512.Load(pa + c) + r;
                        Avx512F.Min(sum, sum - v2q).Store(pa + c);
                    }
                }
            }

            for (; c < n; c++)
            {
                ulong r = Modulus.MultiplyShoupLazy(px[c], pk[c], pq[c], q);
                pa[c] = first ? r : Modulus.CorrectOnce(pa[c] + r, twoQ);
            }
        }
    }

    /// <summary>
    /// Divides <paramref name="size"/> polynomials by the last prime of the level with rounding
    /// (CKKS rescale, BFV modulus switch; not BGV): for polynomial c of <paramref name="source"/>
    /// (layout [size][l][N]) the l-1 limbs of round(x / q_last) go to <paramref name="destination"/>
    /// (layout [size][l-1][N]). The destination may be the source array: the result is compacted in place.
    /// </summary>
    /// <remarks>
    /// As in SEAL's divide_and_round_q_last(_ntt)_inplace: adding h = floor(q_last / 2) to the last
    /// limb turns the centred lift into a plain one, since (x + h mod q_last) - h is the centred
    /// residue r of x. The last limb is inverse-transformed once; then, per kept prime q_j, one pass
    /// computes (c_j + 4 q_j - r) * q_last^-1 mod q_j with a Shoup multiplication, where r is taken
    /// mod q_j (coefficient form) or is the lazy transform of r + q_j (NTT form, in [0, 4q_j)).
    /// </remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void DivideRoundByLast(ContextData level, ulong[] source, ulong[] destination, int size, bool ntt)
    {
        int n = level.Degree, l = level.ModulusCount, kept = l - 1;
        System.Diagnostics.Debug.Assert(kept >= 1 && level.Context.Parameters.Scheme != SchemeType.Bgv);
        var lastTables = level.Ring.Tables(kept);
        ulong last = lastTables.Modulus.Value, half = last >> 1;
        var parallelism = level.Context.Parallelism;
        bool threaded = parallelism.Threads > 1;
        bool inPlace = ReferenceEquals(source, destination);
        ulong[] lastLimbs = ArrayPool<ulong>.Shared.Rent(size * n);
        // In place, the serial order below never overwrites a limb before reading it; threads may, so they write aside.
        ulong[]? staging = inPlace && threaded ? ArrayPool<ulong>.Shared.Rent(size * kept * n) : null;
        ulong[] output = staging ?? destination;
        try
        {
            // x + h mod q_last in coefficient form, for every polynomial, before any limb is overwritten.
            parallelism.For(size, n, c =>
            {
                var x = lastLimbs.AsSpan(c * n, n);
                source.AsSpan((c * l + kept) * n, n).CopyTo(x);
                if (ntt)
                {
                    lastTables.InverseLazy(x);
                }

                PolyArithmetic.AddConstantReduce(x, half, last);
            });

            parallelism.For(size * kept, n, job =>
            {
                int c = job / kept, j = job % kept;
                var tables = level.Ring.Tables(j);
                var q = tables.Modulus;
                ulong qv = q.Value;
                ulong inverse = q.Invert(q.Reduce(last));
                ulong inverseShoup = q.ShoupPrecompute(inverse);
                ulong halfModQ = q.Reduce(half);
                ReadOnlySpan<ulong> x = lastLimbs.AsSpan(c * n, n);
                bool reduce = last > 4 * qv;
                // Coefficient form: subtract h in the final pass. NTT form: the lift minus h is
                // transformed (h on every coefficient is not a constant polynomial).
                ulong offset = ntt ? 4 * qv : 4 * qv + halfModQ;
                ulong[]? lift = ntt || reduce ? ArrayPool<ulong>.Shared.Rent(n) : null;
                try
                {
                    if (lift is not null)
                    {
                        var lt = lift.AsSpan(0, n);
                        if (ntt)
                        {
                            // [0, 3q): a valid input of the lazy transform.
                            PolyArithmetic.LiftShifted(x, lt, qv - halfModQ, q, reduce);
                            tables.ForwardLazy(lt);
                        }
                        else
                        {
                            PolyArithmetic.Reduce(x, lt, q);
                        }

                        x = lt;
                    }

                    PolyArithmetic.SubtractMultiplyShoup(source.AsSpan((c * l + j) * n, n), x, offset, inverse, inverseShoup,
                        output.AsSpan((c * kept + j) * n, n), qv, accumulate: false);
                }
                finally
                {
                    if (lift is not null)
                    {
                        ArrayPool<ulong>.Shared.Return(lift);
                    }
                }
            });

            staging?.AsSpan(0, size * kept * n).CopyTo(destination);
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(lastLimbs);
            if (staging is not null)
            {
                ArrayPool<ulong>.Shared.Return(staging);
            }
        }
    }

    /// <summary>
    /// Divides by the last prime of the level with rounding (rescale / mod switch): the l-1 limbs of
    /// dst = round(x / q_last) (BGV: (x - delta) / q_last with delta = 0 mod t). Works per polynomial.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void DivideRoundByLast(ContextData level, ReadOnlySpan<ulong> poly, Span<ulong> dst, bool ntt)
    {
        var context = level.Context;
        int n = level.Degree, l = level.ModulusCount;
        var lastTables = level.Ring.Tables(l - 1);
        ulong last = lastTables.Modulus.Value;
        ulong[] lastLimb = ArrayPool<ulong>.Shared.Rent(n);
        ulong[] source = ArrayPool<ulong>.Shared.Rent((l - 1) * n);
        ulong[] result = ArrayPool<ulong>.Shared.Rent((l - 1) * n);
        try
        {
            poly.Slice((l - 1) * n, n).CopyTo(lastLimb);
            if (ntt)
            {
                lastTables.Inverse(lastLimb.AsSpan(0, n));
            }

            bool bgv = context.Parameters.Scheme == SchemeType.Bgv;
            var plain = context.Parameters.PlainModulus;
            ulong inverseT = bgv ? plain!.Value.Invert(plain.Value.Reduce(last)) : 0;
            poly.Slice(0, (l - 1) * n).CopyTo(source);
            context.Parallelism.For(l - 1, n, j =>
            {
                var tables = level.Ring.Tables(j);
                var q = tables.Modulus;
                ulong[] lift = ArrayPool<ulong>.Shared.Rent(n);
                try
                {
                    var lt = lift.AsSpan(0, n);
                    LiftCentered(lastLimb.AsSpan(0, n), last, q, lt, bgv ? plain : null, inverseT, q.Reduce(last));
                    if (ntt)
                    {
                        tables.Forward(lt);
                    }

                    var d = result.AsSpan(j * n, n);
                    PolyArithmetic.Subtract(source.AsSpan(j * n, n), lt, d, q);
                    PolyArithmetic.MultiplyScalar(d, q.Invert(q.Reduce(last)), d, q);
                }
                finally
                {
                    ArrayPool<ulong>.Shared.Return(lift);
                }
            });
            result.AsSpan(0, (l - 1) * n).CopyTo(dst);
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(lastLimb);
            ArrayPool<ulong>.Shared.Return(source);
            ArrayPool<ulong>.Shared.Return(result);
        }
    }
}
