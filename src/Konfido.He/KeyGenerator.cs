// Key generation: ternary secret, public key, relinearisation and Galois keys.
// References: J. Fan, F. Vercauteren, "Somewhat practical fully homomorphic encryption", eprint
// 2012/144 (keys); Microsoft SEAL 4.x KeyGenerator (key level with the special prime, Galois keys
// for the power-of-two steps and the conjugation by default).
using Konfido.He.Arithmetic;
using Konfido.He.Rings;
using Konfido.He.Rlwe;

namespace Konfido.He;

/// <summary>Generates a secret key and the public, relinearisation and Galois keys derived from it.</summary>
public sealed class KeyGenerator
{
    private readonly HeContext _context;

    /// <summary>Generates a fresh ternary secret key for <paramref name="context"/>.</summary>
    public KeyGenerator(HeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        var keyLevel = context.KeyContextData;
        int n = keyLevel.Degree, k = keyLevel.ModulusCount;
        var s = new sbyte[n];
        using (var rng = SeededExpander.CreateRandom())
        {
            Samplers.Ternary(rng, s);
        }

        var data = new ulong[n * k];
        Samplers.ToResidues(s, keyLevel.Ring.Base.Moduli, data, n);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(s.AsSpan()));
        context.Parallelism.For(k, n, i => keyLevel.Ring.Tables(i).Forward(data.AsSpan(i * n, n)));
        SecretKey = new SecretKey(data, keyLevel.ParmsId);
    }

    /// <summary>Uses an existing secret key. Requires a key of this context.</summary>
    public KeyGenerator(HeContext context, SecretKey secretKey)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(secretKey);
        if (secretKey.ParmsId != context.KeyParmsId)
        {
            throw new ArgumentException("the secret key does not belong to this context.", nameof(secretKey));
        }

        _context = context;
        SecretKey = secretKey;
    }

    /// <summary>The secret key.</summary>
    public SecretKey SecretKey { get; }

    /// <summary>Creates a public key (an encryption of zero at the key level).</summary>
    public void CreatePublicKey(out PublicKey destination)
    {
        var ct = new Ciphertext();
        RlweCore.EncryptZeroSymmetric(SecretKey, _context.KeyContextData, ntt: true, ct,
            System.Security.Cryptography.RandomNumberGenerator.GetBytes(SeededExpander.SeedLength));
        destination = new PublicKey(ct);
    }

    /// <summary>Creates relinearisation keys (switching s^2 to s). Requires a special prime.</summary>
    public void CreateRelinKeys(out RelinKeys destination)
    {
        RequireKeySwitching();
        var keyLevel = _context.KeyContextData;
        int n = keyLevel.Degree, k = keyLevel.ModulusCount;
        var square = new ulong[n * k];
        for (int i = 0; i < k; i++)
        {
            var limb = SecretKey.Data.AsSpan(i * n, n);
            PolyArithmetic.Multiply(limb, limb, square.AsSpan(i * n, n), keyLevel.Moduli[i]);
        }

        destination = new RelinKeys(keyLevel.ParmsId);
        destination.Keys[RelinKeys.RelinIndex] = RlweCore.CreateKeySwitchingKey(SecretKey, square, _context);
    }

    /// <summary>Galois keys for every power-of-two step (both directions) and the conjugation / row swap.</summary>
    public void CreateGaloisKeys(out GaloisKeys destination)
    {
        var tool = _context.GaloisTool;
        var elements = new List<ulong> { tool.ConjugationElement };
        for (int step = 1; step < _context.Parameters.PolyModulusDegree / 2; step <<= 1)
        {
            elements.Add(tool.ElementFromStep(step));
            elements.Add(tool.ElementFromStep(-step));
        }

        CreateGaloisKeysFromElements(elements, out destination);
    }

    /// <summary>Galois keys for the given rotation steps (and the row swap / conjugation).</summary>
    public void CreateGaloisKeys(IEnumerable<int> steps, out GaloisKeys destination)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var tool = _context.GaloisTool;
        var elements = steps.Select(tool.ElementFromStep).Append(tool.ConjugationElement);
        CreateGaloisKeysFromElements(elements, out destination);
    }

    /// <summary>Galois keys for the given Galois elements (odd, below 2N).</summary>
    public void CreateGaloisKeysFromElements(IEnumerable<ulong> galoisElements, out GaloisKeys destination)
    {
        ArgumentNullException.ThrowIfNull(galoisElements);
        RequireKeySwitching();
        var keyLevel = _context.KeyContextData;
        int n = keyLevel.Degree, k = keyLevel.ModulusCount;
        destination = new GaloisKeys(keyLevel.ParmsId);
        foreach (ulong g in galoisElements.Distinct())
        {
            if (!_context.GaloisTool.IsValidElement(g))
            {
                throw new ArgumentException($"{g} is not a valid Galois element.", nameof(galoisElements));
            }

            var rotated = new ulong[n * k];
            for (int i = 0; i < k; i++)
            {
                _context.GaloisTool.ApplyNtt(SecretKey.Data.AsSpan(i * n, n), g, rotated.AsSpan(i * n, n));
            }

            destination.Keys[g] = RlweCore.CreateKeySwitchingKey(SecretKey, rotated, _context);
        }
    }

    private void RequireKeySwitching()
    {
        if (!_context.UsingKeySwitching)
        {
            throw new InvalidOperationException("these parameters have a single prime: key switching keys need a special prime.");
        }
    }
}
