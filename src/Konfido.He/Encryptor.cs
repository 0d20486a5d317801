// Encryption: public key (pk-RLWE) and symmetric (with a seed for compact serialisation).
// References: Fan–Vercauteren eprint 2012/144 (BFV, Delta = floor(Q/t)); Brakerski–Gentry–
// Vaikuntanathan ITCS 2012 (BGV, message in the low bits, errors times t); Cheon–Kim–Kim–Song
// ASIACRYPT 2017 (CKKS, NTT-form plaintexts).
using System.Security.Cryptography;
using Konfido.He.Rings;
using Konfido.He.Rlwe;

namespace Konfido.He;

/// <summary>Encrypts plaintexts with a public key, a secret key, or both available.</summary>
public sealed class Encryptor
{
    private readonly HeContext _context;
    private readonly PublicKey? _publicKey;
    private readonly SecretKey? _secretKey;

    /// <summary>An encryptor using the public key.</summary>
    public Encryptor(HeContext context, PublicKey publicKey)
        : this(context, publicKey, null)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
    }

    /// <summary>An encryptor using the secret key (symmetric encryption).</summary>
    public Encryptor(HeContext context, SecretKey secretKey)
        : this(context, null, secretKey)
    {
        ArgumentNullException.ThrowIfNull(secretKey);
    }

    /// <summary>An encryptor holding both keys.</summary>
    public Encryptor(HeContext context, PublicKey? publicKey, SecretKey? secretKey)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (publicKey is not null && publicKey.ParmsId != context.KeyParmsId)
        {
            throw new ArgumentException("the public key does not belong to this context.", nameof(publicKey));
        }

        if (secretKey is not null && secretKey.ParmsId != context.KeyParmsId)
        {
            throw new ArgumentException("the secret key does not belong to this context.", nameof(secretKey));
        }

        _context = context;
        _publicKey = publicKey;
        _secretKey = secretKey;
    }

    /// <summary>Encrypts with the public key. Requires a public key and a plaintext of this context.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Encrypt(Plaintext plain, Ciphertext destination)
    {
        ArgumentNullException.ThrowIfNull(plain);
        ArgumentNullException.ThrowIfNull(destination);
        if (_publicKey is null)
        {
            throw new InvalidOperationException("this encryptor has no public key.");
        }

        var level = LevelOf(plain);
        RlweCore.EncryptZeroPublic(_publicKey, level, NttForm, destination);
        AddPlain(plain, level, destination);
    }

    /// <summary>Encrypts with the secret key. Requires a secret key.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void EncryptSymmetric(Plaintext plain, Ciphertext destination)
    {
        ArgumentNullException.ThrowIfNull(plain);
        ArgumentNullException.ThrowIfNull(destination);
        if (_secretKey is null)
        {
            throw new InvalidOperationException("this encryptor has no secret key.");
        }

        var level = LevelOf(plain);
        var seed = RandomNumberGenerator.GetBytes(SeededExpander.SeedLength);
        RlweCore.EncryptZeroSymmetric(_secretKey, level, NttForm, destination, seed);
        var keepSeed = destination.Seed;
        AddPlain(plain, level, destination);
        destination.Seed = keepSeed;
    }

    /// <summary>Encrypts zero with the public key at the first data level.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void EncryptZero(Ciphertext destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (_publicKey is null)
        {
            throw new InvalidOperationException("this encryptor has no public key.");
        }

        RlweCore.EncryptZeroPublic(_publicKey, _context.FirstContextData, NttForm, destination);
    }

    private bool NttForm => _context.Parameters.Scheme != SchemeType.Bfv;

    private ContextData LevelOf(Plaintext plain)
    {
        if (_context.Parameters.Scheme == SchemeType.Ckks)
        {
            if (!plain.IsNttForm)
            {
                throw new ArgumentException("a CKKS plaintext must come from CKKSEncoder (NTT form).", nameof(plain));
            }

            var level = _context.RequireContextData(plain.ParmsId, "the plaintext");
            if (level.IsKeyLevel && _context.UsingKeySwitching)
            {
                throw new ArgumentException("the plaintext is at the key level; encode at a data level.", nameof(plain));
            }

            return level;
        }

        if (plain.IsNttForm || plain.CoeffCount > _context.Parameters.PolyModulusDegree)
        {
            throw new ArgumentException("the plaintext is not a BFV/BGV plaintext of this context.", nameof(plain));
        }

        ulong t = _context.Parameters.PlainModulus!.Value.Value;
        if (plain.Data.AsSpan().ContainsAnyInRange(t, ulong.MaxValue))
        {
            throw new ArgumentException("a plaintext coefficient is not reduced modulo t.", nameof(plain));
        }

        return _context.FirstContextData;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void AddPlain(Plaintext plain, ContextData level, Ciphertext destination)
    {
        var scheme = _context.Parameters.Scheme;
        int n = level.Degree;
        var c0 = destination.Polynomial(0);
        switch (scheme)
        {
            case SchemeType.Ckks:
                for (int i = 0; i < level.ModulusCount; i++)
                {
                    PolyArithmetic.Add(c0.Slice(i * n, n), plain.Data.AsSpan(i * n, n), c0.Slice(i * n, n), level.Moduli[i]);
                }

                destination.Scale = plain.Scale;
                break;
            case SchemeType.Bfv:
                PlainOps.AddScaledPlain(level, plain, c0, subtract: false);
                break;
            case SchemeType.Bgv:
                PlainOps.AddPlainNtt(level, plain, c0, 1, subtract: false);
                break;
            default:
                throw new InvalidOperationException("unknown scheme.");
        }

        destination.Seed = null;
    }
}
