// Compact, versioned binary serialisation of parameters, plaintexts, ciphertexts and keys.
// Layout (little-endian): "KHE" magic, format version (1), object kind, then the body. Residues are
// bit-packed with the bit length of their prime (a 44-bit prime stores 44 bits per residue); a
// fresh symmetric ciphertext stores the 32-byte seed of its second polynomial instead of the
// polynomial (SEAL's seeded ciphertexts). Everything is validated on load against the context:
// parameter id, shape, forms, scale, and every residue below its prime; trailing bytes are refused.
using System.Buffers.Binary;
using Konfido.He.Arithmetic;
using Konfido.He.Rlwe;

namespace Konfido.He.Serialization;

/// <summary>A serialised object that is malformed, truncated, of another kind or foreign to the context.</summary>
public sealed class HeFormatException : FormatException
{
    /// <summary>Creates the exception with a one-line reason.</summary>
    public HeFormatException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and cause.</summary>
    public HeFormatException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public HeFormatException()
    {
    }
}

/// <summary>The kinds of serialised objects.</summary>
public enum HeObjectKind : byte
{
    /// <summary>Encryption parameters.</summary>
    Parameters = 1,

    /// <summary>A ciphertext.</summary>
    Ciphertext = 2,

    /// <summary>A plaintext.</summary>
    Plaintext = 3,

    /// <summary>A public key.</summary>
    PublicKey = 4,

    /// <summary>A secret key.</summary>
    SecretKey = 5,

    /// <summary>Relinearisation keys.</summary>
    RelinKeys = 6,

    /// <summary>Galois keys.</summary>
    GaloisKeys = 7,
}

/// <summary>Saves and loads HE objects in Konfido's compact binary format (version 1).</summary>
public static class HeSerializer
{
    /// <summary>The current format version.</summary>
    public const byte FormatVersion = 1;

    private const int MaxCiphertextSize = 16;

    /// <summary>Serialises encryption parameters.</summary>
    public static byte[] Save(EncryptionParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var w = new Writer(HeObjectKind.Parameters);
        w.Byte((byte)parameters.Scheme);
        w.Int(parameters.PolyModulusDegree);
        w.Int(parameters.CoeffModulus.Count);
        foreach (var q in parameters.CoeffModulus)
        {
            w.ULong(q.Value);
        }

        w.ULong(parameters.PlainModulus?.Value ?? 0);
        return w.ToArray();
    }

    /// <summary>Loads encryption parameters (structure only; <see cref="HeContext"/> validates them).</summary>
    public static EncryptionParameters LoadParameters(ReadOnlySpan<byte> data)
    {
        var r = new Reader(data, HeObjectKind.Parameters);
        var scheme = (SchemeType)r.Byte();
        if (scheme is not (SchemeType.Bfv or SchemeType.Ckks or SchemeType.Bgv))
        {
            throw new HeFormatException($"unknown scheme {(int)scheme}.");
        }

        int n = r.Int();
        int count = r.Int();
        if (count < 1 || count > 64)
        {
            throw new HeFormatException($"{count} coefficient primes is outside [1, 64].");
        }

        var primes = new Modulus[count];
        for (int i = 0; i < count; i++)
        {
            ulong q = r.ULong();
            if (q < 2 || q >= 1UL << 61)
            {
                throw new HeFormatException($"coefficient modulus {q} is outside [2, 2^61).");
            }

            primes[i] = new Modulus(q);
        }

        ulong t = r.ULong();
        if (t == 1 || t >= 1UL << 61)
        {
            throw new HeFormatException($"plain modulus {t} is invalid.");
        }

        r.End();
        return new EncryptionParameters(scheme)
        {
            PolyModulusDegree = n,
            CoeffModulus = primes,
            PlainModulus = t == 0 ? null : new Modulus(t),
        };
    }

    /// <summary>Serialises a ciphertext (seeded when it is a fresh symmetric encryption).</summary>
    public static byte[] Save(Ciphertext ciphertext)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        var w = new Writer(HeObjectKind.Ciphertext);
        WriteCiphertext(w, ciphertext, null);
        return w.ToArray();
    }

    /// <summary>Loads a ciphertext and validates it against <paramref name="context"/>.</summary>
    public static Ciphertext LoadCiphertext(HeContext context, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(context);
        var r = new Reader(data, HeObjectKind.Ciphertext);
        var ct = ReadCiphertext(ref r, context, keyLevel: false);
        r.End();
        return ct;
    }

    /// <summary>Serialises a plaintext.</summary>
    public static byte[] Save(Plaintext plaintext)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        var w = new Writer(HeObjectKind.Plaintext);
        w.Byte(plaintext.IsNttForm ? (byte)1 : (byte)0);
        w.ULong(plaintext.ParmsId.Value);
        w.Double(plaintext.Scale);
        w.Int(plaintext.CoeffCount);
        foreach (ulong v in plaintext.Data)
        {
            w.ULong(v);
        }

        return w.ToArray();
    }

    /// <summary>Loads a plaintext and validates it against <paramref name="context"/>.</summary>
    public static Plaintext LoadPlaintext(HeContext context, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(context);
        var r = new Reader(data, HeObjectKind.Plaintext);
        bool ntt = r.Byte() switch
        {
            0 => false,
            1 => true,
            var b => throw new HeFormatException($"invalid NTT flag {b}."),
        };
        var parmsId = new ParmsId(r.ULong());
        double scale = r.Double();
        int count = r.Int();
        int n = context.Parameters.PolyModulusDegree;
        var plain = new Plaintext();
        if (ntt)
        {
            var level = context.GetContextData(parmsId) ?? throw new HeFormatException($"the plaintext's parameters {parmsId} are foreign to this context.");
            if (count != n * level.ModulusCount || !(scale > 0) || double.IsInfinity(scale))
            {
                throw new HeFormatException("the plaintext's shape or scale does not match its level.");
            }

            plain.Resize(count);
            for (int i = 0; i < count; i++)
            {
                ulong v = r.ULong();
                if (v >= level.Moduli[i / n].Value)
                {
                    throw new HeFormatException($"residue {i} is not reduced modulo its prime.");
                }

                plain.Data[i] = v;
            }
        }
        else
        {
            ulong t = context.Parameters.PlainModulus?.Value ?? throw new HeFormatException("a coefficient-form plaintext needs a BFV/BGV context.");
            if (count < 0 || count > n)
            {
                throw new HeFormatException($"{count} coefficients is outside [0, N].");
            }

            plain.Resize(count);
            for (int i = 0; i < count; i++)
            {
                ulong v = r.ULong();
                if (v >= t)
                {
                    throw new HeFormatException($"coefficient {i} is not reduced modulo t.");
                }

                plain.Data[i] = v;
            }
        }

        r.End();
        plain.IsNttForm = ntt;
        plain.ParmsId = parmsId;
        plain.Scale = scale;
        return plain;
    }

    /// <summary>Serialises a public key.</summary>
    public static byte[] Save(PublicKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var w = new Writer(HeObjectKind.PublicKey);
        WriteCiphertext(w, publicKey.Data, null);
        return w.ToArray();
    }

    /// <summary>Loads a public key of <paramref name="context"/>.</summary>
    public static PublicKey LoadPublicKey(HeContext context, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(context);
        var r = new Reader(data, HeObjectKind.PublicKey);
        var ct = ReadCiphertext(ref r, context, keyLevel: true);
        r.End();
        return new PublicKey(ct);
    }

    /// <summary>Serialises a secret key (handle the bytes as secret material).</summary>
    public static byte[] Save(SecretKey secretKey)
    {
        ArgumentNullException.ThrowIfNull(secretKey);
        var w = new Writer(HeObjectKind.SecretKey);
        w.ULong(secretKey.ParmsId.Value);
        w.Int(secretKey.Data.Length);
        foreach (ulong v in secretKey.Data)
        {
            w.ULong(v);
        }

        return w.ToArray();
    }

    /// <summary>Loads a secret key of <paramref name="context"/>.</summary>
    public static SecretKey LoadSecretKey(HeContext context, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(context);
        var r = new Reader(data, HeObjectKind.SecretKey);
        var parmsId = new ParmsId(r.ULong());
        if (parmsId != context.KeyParmsId)
        {
            throw new HeFormatException($"the secret key's parameters {parmsId} are foreign to this context.");
        }

        var level = context.KeyContextData;
        int n = level.Degree;
        int count = r.Int();
        if (count != n * level.ModulusCount)
        {
            throw new HeFormatException("the secret key's length does not match the key level.");
        }

        var values = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = r.ULong();
            if (values[i] >= level.Moduli[i / n].Value)
            {
                throw new HeFormatException($"secret key residue {i} is not reduced modulo its prime.");
            }
        }

        r.End();
        return new SecretKey(values, parmsId);
    }

    /// <summary>Serialises relinearisation keys.</summary>
    public static byte[] Save(RelinKeys relinKeys) => SaveKSwitch(relinKeys, HeObjectKind.RelinKeys);

    /// <summary>Serialises Galois keys.</summary>
    public static byte[] Save(GaloisKeys galoisKeys) => SaveKSwitch(galoisKeys, HeObjectKind.GaloisKeys);

    /// <summary>Loads relinearisation keys of <paramref name="context"/>.</summary>
    public static RelinKeys LoadRelinKeys(HeContext context, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(context);
        var keys = new RelinKeys(context.KeyParmsId);
        LoadKSwitch(context, data, HeObjectKind.RelinKeys, keys);
        if (keys.Count != 1 || !keys.Keys.ContainsKey(RelinKeys.RelinIndex))
        {
            throw new HeFormatException("relinearisation keys must hold exactly the key for s^2.");
        }

        return keys;
    }

    /// <summary>Loads Galois keys of <paramref name="context"/>.</summary>
    public static GaloisKeys LoadGaloisKeys(HeContext context, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(context);
        var keys = new GaloisKeys(context.KeyParmsId);
        LoadKSwitch(context, data, HeObjectKind.GaloisKeys, keys);
        foreach (ulong g in keys.Keys.Keys)
        {
            if (!context.GaloisTool.IsValidElement(g))
            {
                throw new HeFormatException($"{g} is not a valid Galois element.");
            }
        }

        return keys;
    }

    private static byte[] SaveKSwitch(KSwitchKeys keys, HeObjectKind kind)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var w = new Writer(kind);
        w.ULong(keys.ParmsId.Value);
        w.Int(keys.Keys.Count);
        foreach (var (element, list) in keys.Keys.OrderBy(p => p.Key))
        {
            w.ULong(element);
            w.Int(list.Length);
            foreach (var ct in list)
            {
                WriteCiphertext(w, ct, null);
            }
        }

        return w.ToArray();
    }

    private static void LoadKSwitch(HeContext context, ReadOnlySpan<byte> data, HeObjectKind kind, KSwitchKeys keys)
    {
        var r = new Reader(data, kind);
        var parmsId = new ParmsId(r.ULong());
        if (parmsId != context.KeyParmsId)
        {
            throw new HeFormatException($"the keys' parameters {parmsId} are foreign to this context.");
        }

        int count = r.Int();
        if (count < 0 || count > 4 * context.Parameters.PolyModulusDegree)
        {
            throw new HeFormatException($"{count} keys is implausible.");
        }

        int expected = context.KeyContextData.ModulusCount - 1;
        for (int k = 0; k < count; k++)
        {
            ulong element = r.ULong();
            int length = r.Int();
            if (length != expected)
            {
                throw new HeFormatException($"a key-switching key has {length} parts; expected {expected}.");
            }

            var list = new Ciphertext[length];
            for (int i = 0; i < length; i++)
            {
                list[i] = ReadCiphertext(ref r, context, keyLevel: true);
            }

            if (!keys.Keys.TryAdd(element, list))
            {
                throw new HeFormatException($"key {element} appears twice.");
            }
        }

        r.End();
    }

    private static void WriteCiphertext(Writer w, Ciphertext ct, object? unused)
    {
        _ = unused;
        bool seeded = ct.Seed is not null && ct.Size == 2;
        w.ULong(ct.ParmsId.Value);
        w.Int(ct.Size);
        w.Int(ct.PolyModulusDegree);
        w.Int(ct.CoeffModulusSize);
        w.Byte((byte)((ct.IsNttForm ? 1 : 0) | (seeded ? 2 : 0)));
        w.Double(ct.Scale);
        w.ULong(ct.CorrectionFactor);
        int n = ct.PolyModulusDegree;
        int polys = seeded ? 1 : ct.Size;
        // Bit widths come from the residues' primes; readers recompute them from the context.
        var bits = new int[ct.CoeffModulusSize];
        for (int i = 0; i < bits.Length; i++)
        {
            ulong max = 0;
            for (int c = 0; c < ct.Size; c++)
            {
                foreach (ulong v in ct.Limb(c, i))
                {
                    max = Math.Max(max, v);
                }
            }

            bits[i] = Math.Max(1, 64 - System.Numerics.BitOperations.LeadingZeroCount(max));
            w.Byte((byte)bits[i]);
        }

        for (int c = 0; c < polys; c++)
        {
            for (int i = 0; i < ct.CoeffModulusSize; i++)
            {
                w.Packed(ct.Limb(c, i), bits[i]);
            }
        }

        if (seeded)
        {
            w.Bytes(ct.Seed!);
        }

        _ = n;
    }

    private static Ciphertext ReadCiphertext(ref Reader r, HeContext context, bool keyLevel)
    {
        var parmsId = new ParmsId(r.ULong());
        var level = context.GetContextData(parmsId)
            ?? throw new HeFormatException($"the ciphertext's parameters {parmsId} are foreign to this context (another key set or parameter set).");
        if (keyLevel != level.IsKeyLevel && context.UsingKeySwitching)
        {
            throw new HeFormatException(keyLevel ? "a key must be at the key level." : "a ciphertext cannot be at the key level.");
        }

        int size = r.Int();
        int n = r.Int();
        int limbs = r.Int();
        if (size < 2 || size > MaxCiphertextSize)
        {
            throw new HeFormatException($"ciphertext size {size} is outside [2, {MaxCiphertextSize}].");
        }

        if (n != level.Degree || limbs != level.ModulusCount)
        {
            throw new HeFormatException($"shape {limbs}x{n} does not match the level ({level.ModulusCount}x{level.Degree}).");
        }

        byte flags = r.Byte();
        if ((flags & ~3) != 0)
        {
            throw new HeFormatException($"unknown flags {flags}.");
        }

        bool ntt = (flags & 1) != 0, seeded = (flags & 2) != 0;
        bool expectNtt = keyLevel || context.Parameters.Scheme != SchemeType.Bfv;
        if (ntt != expectNtt)
        {
            throw new HeFormatException($"a {context.Parameters.Scheme} {(keyLevel ? "key" : "ciphertext")} must {(expectNtt ? "" : "not ")}be in NTT form.");
        }

        if (seeded && size != 2)
        {
            throw new HeFormatException("only size-2 ciphertexts can be seeded.");
        }

        double scale = r.Double();
        if (!(scale > 0) || double.IsInfinity(scale) || Math.Log2(scale) >= level.TotalCoeffModulusBitCount * 2)
        {
            throw new HeFormatException($"scale {scale} is invalid.");
        }

        ulong factor = r.ULong();
        if (context.Parameters.PlainModulus is { } t ? factor == 0 || factor >= t.Value : factor != 1)
        {
            throw new HeFormatException($"correction factor {factor} is invalid.");
        }

        var bits = new int[limbs];
        for (int i = 0; i < limbs; i++)
        {
            bits[i] = r.Byte();
            if (bits[i] < 1 || bits[i] > level.Moduli[i].BitCount)
            {
                throw new HeFormatException($"limb {i} claims {bits[i]}-bit residues; its prime has {level.Moduli[i].BitCount} bits.");
            }
        }

        var ct = new Ciphertext();
        ct.Resize(size, n, limbs);
        int polys = seeded ? 1 : size;
        for (int c = 0; c < polys; c++)
        {
            for (int i = 0; i < limbs; i++)
            {
                var limb = ct.Limb(c, i);
                r.Packed(limb, bits[i]);
                ulong q = level.Moduli[i].Value;
                if (limb.ContainsAnyInRange(q, ulong.MaxValue))
                {
                    throw new HeFormatException($"polynomial {c}, limb {i}: a residue is not reduced modulo {q}.");
                }
            }
        }

        if (seeded)
        {
            var seed = r.Bytes(SeededExpander.SeedLength).ToArray();
            using var expander = new SeededExpander(seed);
            Samplers.Uniform(expander, level.ModuliArray, ct.Polynomial(1), n);
            ct.Seed = seed;
        }

        ct.IsNttForm = ntt;
        ct.ParmsId = parmsId;
        ct.Scale = scale;
        ct.CorrectionFactor = factor;
        return ct;
    }

    private sealed class Writer
    {
        private readonly MemoryStream _stream = new();

        public Writer(HeObjectKind kind)
        {
            _stream.Write("KHE"u8);
            _stream.WriteByte(FormatVersion);
            _stream.WriteByte((byte)kind);
        }

        public void Byte(byte v) => _stream.WriteByte(v);

        public void Int(int v)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, v);
            _stream.Write(b);
        }

        public void ULong(ulong v)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, v);
            _stream.Write(b);
        }

        public void Double(double v)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(b, v);
            _stream.Write(b);
        }

        public void Bytes(ReadOnlySpan<byte> v) => _stream.Write(v);

        public void Packed(ReadOnlySpan<ulong> values, int bits)
        {
            var buffer = new byte[(values.Length * bits + 7) / 8];
            UInt128 acc = 0;
            int accBits = 0, position = 0;
            foreach (ulong v in values)
            {
                acc |= (UInt128)v << accBits;
                accBits += bits;
                while (accBits >= 8)
                {
                    buffer[position++] = (byte)acc;
                    acc >>= 8;
                    accBits -= 8;
                }
            }

            if (accBits > 0)
            {
                buffer[position] = (byte)acc;
            }

            _stream.Write(buffer);
        }

        public byte[] ToArray() => _stream.ToArray();
    }

    private ref struct Reader
    {
        private ReadOnlySpan<byte> _data;

        public Reader(ReadOnlySpan<byte> data, HeObjectKind kind)
        {
            _data = data;
            if (data.Length < 5 || !data[..3].SequenceEqual("KHE"u8))
            {
                throw new HeFormatException("not a Konfido HE object (bad magic).");
            }

            if (data[3] != FormatVersion)
            {
                throw new HeFormatException($"unsupported format version {data[3]} (this library reads version {FormatVersion}).");
            }

            if (data[4] != (byte)kind)
            {
                throw new HeFormatException($"expected a {kind}, found object kind {data[4]}.");
            }

            _data = data[5..];
        }

        public byte Byte() => Take(1)[0];

        public int Int() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        public ulong ULong() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

        public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

        public ReadOnlySpan<byte> Bytes(int count) => Take(count);

        public void Packed(Span<ulong> values, int bits)
        {
            var buffer = Take((values.Length * bits + 7) / 8);
            ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
            UInt128 acc = 0;
            int accBits = 0, position = 0;
            for (int i = 0; i < values.Length; i++)
            {
                while (accBits < bits)
                {
                    acc |= (UInt128)buffer[position++] << accBits;
                    accBits += 8;
                }

                values[i] = (ulong)acc & mask;
                acc >>= bits;
                accBits -= bits;
            }
        }

        public readonly void End()
        {
            if (!_data.IsEmpty)
            {
                throw new HeFormatException($"{_data.Length} unexpected trailing bytes.");
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || count > _data.Length)
            {
                throw new HeFormatException("the data is truncated.");
            }

            var head = _data[..count];
            _data = _data[count..];
            return head;
        }
    }
}
