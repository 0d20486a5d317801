// The validated parameter context and its modulus-switching chain.
// References: Microsoft SEAL 4.x SEALContext (key level with the special prime, then the data
// levels obtained by dropping the last prime); Lattigo's validated Parameters objects.
using System.Numerics;
using System.Security.Cryptography;
using Konfido.He.Arithmetic;
using Konfido.He.Rings;

namespace Konfido.He;

/// <summary>Identifies one level of one parameter set (a hash of scheme, N, primes and t).</summary>
public readonly record struct ParmsId(ulong Value)
{
    /// <summary>The hash of a parameter set.</summary>
    public static ParmsId Compute(SchemeType scheme, int degree, ReadOnlySpan<Modulus> primes, ulong plainModulus)
    {
        var bytes = new byte[8 * (primes.Length + 3)];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), (ulong)scheme);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), (ulong)degree);
        BitConverter.TryWriteBytes(bytes.AsSpan(16), plainModulus);
        for (int i = 0; i < primes.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(24 + 8 * i), primes[i].Value);
        }

        return new ParmsId(BitConverter.ToUInt64(SHA256.HashData(bytes), 0));
    }

    /// <inheritdoc />
    public override string ToString() => Value.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Validated encryption parameters with all precomputations: the key level (every prime) and the
/// data levels (dropping the last prime each time), as in SEAL's SEALContext.
/// </summary>
public sealed class HeContext
{
    private readonly Dictionary<ParmsId, ContextData> _byId = [];
    private readonly NttTables[] _tables;

    /// <summary>
    /// Validates <paramref name="parameters"/> and precomputes. Throws <see cref="ArgumentException"/>
    /// listing every rejection (see <see cref="Validate"/>). <paramref name="threads"/> bounds the
    /// threads used over RNS limbs (1 = single-threaded).
    /// </summary>
    public HeContext(EncryptionParameters parameters, SecurityLevel securityLevel = SecurityLevel.Tc128, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var problems = Validate(parameters, securityLevel);
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid encryption parameters: " + string.Join("; ", problems), nameof(parameters));
        }

        Parameters = parameters with { CoeffModulus = [.. parameters.CoeffModulus] };
        SecurityLevel = securityLevel;
        Threads = threads;
        Parallelism = new Parallelism(threads);
        int n = parameters.PolyModulusDegree;
        _tables = [.. Parameters.CoeffModulus.Select(q => new NttTables(n, q))];
        GaloisTool = new GaloisTool(n);

        int count = _tables.Length;
        KeyContextData = new ContextData(this, count, isKeyLevel: true);
        _byId[KeyContextData.ParmsId] = KeyContextData;
        if (count == 1)
        {
            FirstContextData = KeyContextData;
        }
        else
        {
            ContextData? previous = KeyContextData;
            for (int k = count - 1; k >= 1; k--)
            {
                var data = new ContextData(this, k, isKeyLevel: false);
                _byId[data.ParmsId] = data;
                previous.Next = data;
                data.Previous = previous;
                previous = data;
            }

            FirstContextData = KeyContextData.Next!;
        }

        var last = FirstContextData;
        while (last.Next is not null)
        {
            last = last.Next;
        }

        LastContextData = last;
    }

    /// <summary>The validated parameters (a private copy).</summary>
    public EncryptionParameters Parameters { get; }

    /// <summary>The security level enforced.</summary>
    public SecurityLevel SecurityLevel { get; }

    /// <summary>Threads used over RNS limbs (1 = single-threaded).</summary>
    public int Threads { get; }

    /// <summary>Runs the limbs' jobs on up to <see cref="Threads"/> threads where it pays.</summary>
    internal Parallelism Parallelism { get; }

    /// <summary>True when the chain has a special prime, so relinearisation and rotations work.</summary>
    public bool UsingKeySwitching => _tables.Length > 1;

    /// <summary>The key level: every prime (keys live here).</summary>
    public ContextData KeyContextData { get; }

    /// <summary>The first data level (every prime but the special one); fresh ciphertexts live here.</summary>
    public ContextData FirstContextData { get; }

    /// <summary>The last data level (one prime).</summary>
    public ContextData LastContextData { get; }

    /// <summary>The ParmsId of the key level.</summary>
    public ParmsId KeyParmsId => KeyContextData.ParmsId;

    /// <summary>The ParmsId of the first data level.</summary>
    public ParmsId FirstParmsId => FirstContextData.ParmsId;

    /// <summary>The ParmsId of the last data level.</summary>
    public ParmsId LastParmsId => LastContextData.ParmsId;

    /// <summary>True when t is a prime = 1 mod 2N (BFV/BGV batching available).</summary>
    public bool BatchingEnabled =>
        Parameters.PlainModulus is { } t && NumberTheory.IsPrime(t.Value) &&
        t.Value % (2UL * (ulong)Parameters.PolyModulusDegree) == 1;

    internal GaloisTool GaloisTool { get; }

    internal NttTables Tables(int index) => _tables[index];

    /// <summary>The level with the given id, or null when the id is foreign to this context.</summary>
    public ContextData? GetContextData(ParmsId parmsId) => _byId.GetValueOrDefault(parmsId);

    /// <summary>The level with the given id. Throws when the id is foreign to this context.</summary>
    internal ContextData RequireContextData(ParmsId parmsId, string what) =>
        GetContextData(parmsId) ?? throw new ArgumentException($"{what} has parameters {parmsId} that do not belong to this context.");

    /// <summary>Every reason the parameters are rejected at the given level (empty when valid).</summary>
    public static IReadOnlyList<string> Validate(EncryptionParameters parameters, SecurityLevel securityLevel = SecurityLevel.Tc128)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var problems = new List<string>();
        int n = parameters.PolyModulusDegree;
        if (parameters.Scheme == SchemeType.None)
        {
            problems.Add("no scheme chosen (Bfv, Ckks or Bgv)");
        }

        bool degreeOk = n >= 1024 && n <= 32768 && BitOperations.IsPow2(n);
        if (!degreeOk)
        {
            problems.Add($"poly modulus degree {n} must be a power of two from 1024 to 32768");
        }

        var primes = parameters.CoeffModulus ?? [];
        if (primes.Count == 0)
        {
            problems.Add("the coefficient modulus is empty");
        }

        if (primes.Count > 64)
        {
            problems.Add($"the coefficient modulus has {primes.Count} primes; at most 64 are supported");
        }

        int totalBits = 0;
        var seen = new HashSet<ulong>();
        foreach (var q in primes)
        {
            totalBits += q.BitCount;
            if (q.BitCount > 60)
            {
                problems.Add($"coefficient prime {q.Value} has {q.BitCount} bits; at most 60 are allowed");
            }

            if (!seen.Add(q.Value))
            {
                problems.Add($"coefficient prime {q.Value} appears twice");
            }

            if (!NumberTheory.IsPrime(q.Value))
            {
                problems.Add($"coefficient modulus {q.Value} is not prime");
            }
            else if (degreeOk && q.Value % (2UL * (ulong)n) != 1)
            {
                problems.Add($"coefficient prime {q.Value} is not congruent to 1 mod 2N = {2 * n}, so it has no NTT");
            }
        }

        if (degreeOk && securityLevel != SecurityLevel.None)
        {
            int max = CoeffModulus.MaxBitCount(n, securityLevel);
            if (totalBits > max)
            {
                problems.Add($"the coefficient modulus has {totalBits} bits, above the {max}-bit limit of the " +
                             $"HomomorphicEncryption.org standard for N = {n} at {(int)securityLevel}-bit security");
            }
        }

        if (parameters.Scheme is SchemeType.Bfv or SchemeType.Bgv)
        {
            if (parameters.PlainModulus is not { } t)
            {
                problems.Add($"{parameters.Scheme} needs a plain modulus");
            }
            else
            {
                if (t.BitCount > 60)
                {
                    problems.Add($"plain modulus {t.Value} has {t.BitCount} bits; at most 60 are allowed");
                }

                foreach (var q in primes)
                {
                    if (q.Value == t.Value || BigInteger.GreatestCommonDivisor(q.Value, t.Value) != 1)
                    {
                        problems.Add($"plain modulus {t.Value} is not coprime to coefficient prime {q.Value}");
                    }
                }

                if (primes.Count > 0 && primes.Count(q => q.BitCount > 0) > 0)
                {
                    int dataBits = primes.Count > 1 ? totalBits - primes[^1].BitCount : totalBits;
                    if (t.BitCount >= dataBits)
                    {
                        problems.Add($"plain modulus {t.Value} ({t.BitCount} bits) is not smaller than the data modulus ({dataBits} bits)");
                    }
                }
            }
        }
        else if (parameters.Scheme == SchemeType.Ckks && parameters.PlainModulus is not null)
        {
            problems.Add("CKKS takes no plain modulus");
        }

        return problems;
    }
}

/// <summary>
/// One level of the modulus chain: the primes q_0..q_{k-1} of this level, the ring, and the
/// scheme-specific constants.
/// </summary>
public sealed class ContextData
{
    internal ContextData(HeContext context, int primeCount, bool isKeyLevel)
    {
        Context = context;
        var parms = context.Parameters;
        IsKeyLevel = isKeyLevel;
        ChainIndex = primeCount - 1;
        _moduli = [.. parms.CoeffModulus.Take(primeCount)];
        Ring = new RnsRing([.. Enumerable.Range(0, primeCount).Select(context.Tables)], context.Threads);
        ulong t = parms.PlainModulus?.Value ?? 0;
        ParmsId = ParmsId.Compute(parms.Scheme, parms.PolyModulusDegree, _moduli, t);
        TotalCoeffModulus = Ring.Base.Product;
        TotalCoeffModulusBitCount = (int)TotalCoeffModulus.GetBitLength();
        if (parms.PlainModulus is { } plain && !isKeyLevel)
        {
            Plain = new PlainConstants(this, plain);
            if (parms.Scheme == SchemeType.Bfv)
            {
                Multiplier = new Bfv.HpsMultiplier(this, plain);
            }
        }
    }

    /// <summary>The owning context.</summary>
    public HeContext Context { get; }

    /// <summary>The id of this level.</summary>
    public ParmsId ParmsId { get; }

    /// <summary>Number of primes minus one (0 for the last level).</summary>
    public int ChainIndex { get; }

    /// <summary>True for the key level (which includes the special prime).</summary>
    public bool IsKeyLevel { get; }

    private readonly Modulus[] _moduli;

    /// <summary>The primes of this level.</summary>
    public IReadOnlyList<Modulus> Moduli => _moduli;

    internal Modulus[] ModuliArray => _moduli;

    /// <summary>Number of primes at this level.</summary>
    public int ModulusCount => Moduli.Count;

    /// <summary>The ring R_Q of this level.</summary>
    public RnsRing Ring { get; }

    /// <summary>Q of this level.</summary>
    public BigInteger TotalCoeffModulus { get; }

    /// <summary>The bit length of Q.</summary>
    public int TotalCoeffModulusBitCount { get; }

    /// <summary>The next (lower) level, or null at the last level.</summary>
    public ContextData? Next { get; internal set; }

    /// <summary>The previous (higher) level, or null at the key level.</summary>
    public ContextData? Previous { get; internal set; }

    internal PlainConstants? Plain { get; }

    internal Bfv.HpsMultiplier? Multiplier { get; }

    internal int Degree => Ring.Degree;
}

/// <summary>Constants linking a level's Q with the plaintext modulus t.</summary>
internal sealed class PlainConstants
{
    public PlainConstants(ContextData level, Modulus t)
    {
        T = t;
        var q = level.TotalCoeffModulus;
        int k = level.ModulusCount;
        var delta = q / t.Value;
        QModT = (ulong)(q % t.Value);
        DeltaMod = new ulong[k];
        TMod = new ulong[k];
        BfvOmegaModT = new ulong[k];
        BfvBeta = new ulong[k];
        BfvBetaShoup = new ulong[k];
        for (int i = 0; i < k; i++)
        {
            var qi = level.Moduli[i];
            DeltaMod[i] = (ulong)(delta % qi.Value);
            TMod[i] = qi.Reduce(t.Value);
            // t * [(Q/q_i)^-1]_{q_i} = omega_i q_i + beta_i (decryption scaling of BFV).
            var a = new BigInteger(t.Value) * level.Ring.Base.InversePuncturedProduct(i);
            BfvOmegaModT[i] = (ulong)(a / qi.Value % t.Value);
            BfvBeta[i] = (ulong)(a % qi.Value);
            BfvBetaShoup[i] = qi.ShoupPrecompute(BfvBeta[i]);
        }

        ToPlain = new BaseConverter(level.Ring.Base, new RnsBase([t]));
    }

    public Modulus T { get; }

    public ulong QModT { get; }

    /// <summary>[floor(Q/t)]_{q_i}.</summary>
    public ulong[] DeltaMod { get; }

    /// <summary>[t]_{q_i}.</summary>
    public ulong[] TMod { get; }

    public ulong[] BfvOmegaModT { get; }

    public ulong[] BfvBeta { get; }

    /// <summary>Shoup quotients of <see cref="BfvBeta"/>: floor(x beta_i / q_i) from two word products.</summary>
    public ulong[] BfvBetaShoup { get; }

    /// <summary>Centered conversion from Q to t (BGV decryption).</summary>
    public BaseConverter ToPlain { get; }
}
