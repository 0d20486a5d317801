using System.Security.Cryptography;

namespace Konfido.He;

/// <summary>The secret key s (ternary), stored in NTT form over every prime of the key level.</summary>
public sealed class SecretKey
{
    internal SecretKey(ulong[] data, ParmsId parmsId)
    {
        Data = data;
        ParmsId = parmsId;
    }

    /// <summary>The NTT residues of s, limb-major over the key level.</summary>
    internal ulong[] Data { get; }

    /// <summary>The key level's id.</summary>
    public ParmsId ParmsId { get; }

    /// <summary>Overwrites the key material with zeros.</summary>
    public void Clear() => CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Data.AsSpan()));
}

/// <summary>The public key (b, a) = (-a s + e, a), an encryption of zero at the key level (NTT form).</summary>
public sealed class PublicKey
{
    internal PublicKey(Ciphertext data) => Data = data;

    /// <summary>The key as a size-2 ciphertext at the key level.</summary>
    public Ciphertext Data { get; }

    /// <summary>The key level's id.</summary>
    public ParmsId ParmsId => Data.ParmsId;
}

/// <summary>
/// Key-switching keys: for each target key s', one list of encryptions (one per data prime) of
/// P g_i s' at the key level (NTT form), where g_i is the CRT unit vector of q_i.
/// </summary>
public class KSwitchKeys
{
    private protected KSwitchKeys(ParmsId parmsId) => ParmsId = parmsId;

    /// <summary>The key level's id.</summary>
    public ParmsId ParmsId { get; }

    internal Dictionary<ulong, Ciphertext[]> Keys { get; } = [];

    private readonly Dictionary<ulong, ulong[][]> _quotients = [];
    private readonly Lock _gate = new();

    /// <summary>
    /// The multiplication companions of every residue k of the key for <paramref name="element"/>
    /// (same layout as the key parts), computed once on first use: Shoup quotients
    /// floor(k 2^64 / q), or for primes where <see cref="Rlwe.RlweCore.UseFloatCompanions"/> holds
    /// the bits of the double k / q.
    /// </summary>
    internal ulong[][] ShoupQuotients(ulong element, HeContext context)
    {
        lock (_gate)
        {
            if (_quotients.TryGetValue(element, out var cached))
            {
                return cached;
            }

            var parts = Keys[element];
            var level = context.KeyContextData;
            int n = level.Degree, k = level.ModulusCount;
            var result = new ulong[parts.Length][];
            for (int i = 0; i < parts.Length; i++)
            {
                var quotients = new ulong[2 * k * n];
                for (int c = 0; c < 2; c++)
                {
                    for (int limb = 0; limb < k; limb++)
                    {
                        var q = level.Moduli[limb];
                        var source = parts[i].Limb(c, limb);
                        var target = quotients.AsSpan((c * k + limb) * n, n);
                        bool useDouble = Rlwe.RlweCore.UseFloatCompanions(q.Value);
                        for (int j = 0; j < n; j++)
                        {
                            target[j] = useDouble ? BitConverter.DoubleToUInt64Bits((double)source[j] / q.Value) : q.ShoupPrecompute(source[j]);
                        }
                    }
                }

                result[i] = quotients;
            }

            _quotients[element] = result;
            return result;
        }
    }

    /// <summary>The number of key-switching keys held.</summary>
    public int Count => Keys.Count;
}

/// <summary>Relinearisation keys: key switching from s^2 to s.</summary>
public sealed class RelinKeys : KSwitchKeys
{
    internal const ulong RelinIndex = 2;

    internal RelinKeys(ParmsId parmsId) : base(parmsId)
    {
    }

    internal Ciphertext[] Key => Keys[RelinIndex];
}

/// <summary>Galois keys: key switching from s(X^g) to s, keyed by the Galois element g.</summary>
public sealed class GaloisKeys : KSwitchKeys
{
    internal GaloisKeys(ParmsId parmsId) : base(parmsId)
    {
    }

    /// <summary>True when a key for Galois element g is present.</summary>
    public bool HasKey(ulong galoisElement) => Keys.ContainsKey(galoisElement);

    /// <summary>The Galois elements present.</summary>
    public IEnumerable<ulong> Elements => Keys.Keys.Order();
}
