using BenchmarkDotNet.Attributes;
using Konfido.He;
using Konfido.He.Arithmetic;

namespace Konfido.He.Benchmarks;

/// <summary>The negacyclic NTT of one limb: Forward/N=8192/Qi=... (Qi = bits of the prime).</summary>
public class Ntt
{
    private NttTables _tables = null!;
    private ulong[] _values = null!;

    [Params(4096, 8192, 16384)]
    public int N { get; set; }

    [Params(44, 60)]
    public int Qi { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _tables = new NttTables(N, new Modulus(NumberTheory.GenerateNttPrimes(Qi, 1, N)[0]));
        var random = new Random(1);
        _values = [.. Enumerable.Range(0, N).Select(_ => (ulong)random.NextInt64() % _tables.Modulus.Value)];
    }

    [Benchmark]
    public void Forward() => _tables.Forward(_values);

    [Benchmark]
    public void ForwardLazyThenInverse()
    {
        _tables.ForwardLazy(_values);
        _tables.Inverse(_values); // keeps inputs reduced: the case times the pair
    }

    [Benchmark]
    public void Inverse() => _tables.Inverse(_values);
}

/// <summary>Scheme operations on SEAL's default chains: Scheme=Bfv/N=8192/Threads=1 etc.</summary>
public class Schemes
{
    private Evaluator _evaluator = null!;
    private Encryptor _encryptor = null!;
    private Decryptor _decryptor = null!;
    private RelinKeys _relin = null!;
    private GaloisKeys _galois = null!;
    private Plaintext _plain = null!;
    private Ciphertext _a = null!;
    private Ciphertext _b = null!;
    private Ciphertext _product = null!;
    private readonly Ciphertext _destination = new();
    private readonly Plaintext _decrypted = new();

    [Params(SchemeType.Bfv, SchemeType.Ckks)]
    public SchemeType Scheme { get; set; }

    [Params(4096, 8192, 16384)]
    public int N { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var parms = new EncryptionParameters(Scheme) { PolyModulusDegree = N, CoeffModulus = CoeffModulus.BFVDefault(N) };
        if (Scheme == SchemeType.Bfv)
        {
            parms.PlainModulus = PlainModulus.Batching(N, 20);
        }

        var context = new HeContext(parms, SecurityLevel.Tc128, Threads);
        var keys = new KeyGenerator(context);
        keys.CreatePublicKey(out var pk);
        keys.CreateRelinKeys(out _relin);
        keys.CreateGaloisKeys([1], out _galois);
        _encryptor = new Encryptor(context, pk);
        _decryptor = new Decryptor(context, keys.SecretKey);
        _evaluator = new Evaluator(context);
        _plain = new Plaintext();
        if (Scheme == SchemeType.Ckks)
        {
            new CKKSEncoder(context).Encode([1.0, 2.0, 3.0], context.FirstParmsId, Math.Pow(2, Math.Min(40, context.FirstContextData.Moduli.Min(q => q.BitCount) - 6)), _plain);
        }
        else
        {
            new BatchEncoder(context).Encode(new ulong[] { 1, 2, 3 }, _plain);
        }

        _a = new Ciphertext();
        _b = new Ciphertext();
        _product = new Ciphertext();
        _encryptor.Encrypt(_plain, _a);
        _encryptor.Encrypt(_plain, _b);
        _evaluator.Multiply(_a, _b, _product);
    }

    [Benchmark]
    public void EncryptPublic() => _encryptor.Encrypt(_plain, _destination);

    [Benchmark]
    public void Decrypt() => _decryptor.Decrypt(_a, _decrypted);

    [Benchmark]
    public void Add() => _evaluator.Add(_a, _b, _destination);

    [Benchmark]
    public void Multiply() => _evaluator.Multiply(_a, _b, _destination);

    [Benchmark]
    public void MultiplyPlain() => _evaluator.MultiplyPlain(_a, _plain, _destination);

    [Benchmark]
    public void Relinearize() => _evaluator.Relinearize(_product, _relin, _destination);

    /// <summary>CKKS: rescale of a size-3 product; BFV: modulus switch of a fresh ciphertext.</summary>
    [Benchmark]
    public void RescaleOrModSwitch()
    {
        if (Scheme == SchemeType.Ckks)
        {
            _evaluator.RescaleToNext(_product, _destination);
        }
        else
        {
            _evaluator.ModSwitchToNext(_a, _destination);
        }
    }

    [Benchmark]
    public void Rotate()
    {
        if (Scheme == SchemeType.Ckks)
        {
            _evaluator.RotateVector(_a, 1, _galois, _destination);
        }
        else
        {
            _evaluator.RotateRows(_a, 1, _galois, _destination);
        }
    }
}
