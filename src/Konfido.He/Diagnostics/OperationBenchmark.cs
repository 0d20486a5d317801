using System.Diagnostics;
using System.Numerics;
using Konfido.He.Arithmetic;

namespace Konfido.He.Diagnostics;

/// <summary>Per-operation medians of one benchmark run (microseconds).</summary>
/// <param name="Scheme">"bfv" or "ckks".</param>
/// <param name="PolyModulusDegree">N.</param>
/// <param name="LogQ">Total bits of the coefficient modulus (special prime included).</param>
/// <param name="Threads">Threads used over RNS limbs.</param>
/// <param name="Operations">Median wall-clock microseconds per operation name.</param>
/// <param name="CpuOperations">Mean process CPU microseconds per operation (all threads): a steadier
/// figure than wall-clock time on a loaded machine.</param>
public sealed record OperationBenchmarkResult(string Scheme, int PolyModulusDegree, int LogQ, int Threads,
    IReadOnlyDictionary<string, double> Operations, IReadOnlyDictionary<string, double> CpuOperations);

/// <summary>
/// Times each homomorphic operation (median of repeated runs after warm-up) on SEAL's default
/// parameters for N: BFV with a 20-bit batching t, CKKS with scale 2^min(40, smallest data prime - 6) on the same chain.
/// </summary>
public static class OperationBenchmark
{
    /// <summary>The operation names, in report order.</summary>
    public static readonly IReadOnlyList<string> OperationNames =
        ["ntt_forward", "ntt_inverse", "encode", "encrypt_public", "encrypt_symmetric", "decrypt", "add", "multiply", "square", "multiply_plain", "relinearize", "rescale", "rotate"];

    /// <summary>Runs the benchmark. Requires N in {1024..32768} with a default chain, threads &gt;= 1, iterations &gt;= 1.</summary>
    public static OperationBenchmarkResult Run(SchemeType scheme, int polyModulusDegree, int threads, int iterations = 15, Action<string>? progress = null)
    {
        if (scheme is not (SchemeType.Bfv or SchemeType.Ckks or SchemeType.Bgv))
        {
            throw new ArgumentOutOfRangeException(nameof(scheme), "benchmark BFV, BGV or CKKS.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        int n = polyModulusDegree;
        var parms = new EncryptionParameters(scheme) { PolyModulusDegree = n, CoeffModulus = CoeffModulus.BFVDefault(n) };
        if (scheme != SchemeType.Ckks)
        {
            parms.PlainModulus = PlainModulus.Batching(n, 20);
        }

        var context = new HeContext(parms, SecurityLevel.Tc128, threads);
        progress?.Invoke($"keys for {scheme} N={n}, log q={parms.CoeffModulus.Sum(q => q.BitCount)}, threads={threads}");
        var keys = new KeyGenerator(context);
        keys.CreatePublicKey(out var pk);
        keys.CreateRelinKeys(out var rk);
        keys.CreateGaloisKeys([1], out var gk);
        var encryptor = new Encryptor(context, pk, keys.SecretKey);
        var decryptor = new Decryptor(context, keys.SecretKey);
        var evaluator = new Evaluator(context);
        var results = new Dictionary<string, double>();
        var cpu = new Dictionary<string, double>();
        var random = new Random(42);

        // NTT of one limb.
        var tables = context.KeyContextData.Ring.Tables(0);
        var limb = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            limb[i] = (ulong)random.NextInt64() % tables.Modulus.Value;
        }

        results["ntt_forward"] = Median(cpu, "ntt_forward", iterations * 4, () => tables.Forward(limb));
        results["ntt_inverse"] = Median(cpu, "ntt_inverse", iterations * 4, () => tables.Inverse(limb));

        var plain = new Plaintext();
        var plain2 = new Plaintext();
        Action encode;
        if (scheme == SchemeType.Ckks)
        {
            var encoder = new CKKSEncoder(context);
            var values = Enumerable.Range(0, encoder.SlotCount).Select(_ => new Complex(random.NextDouble(), random.NextDouble())).ToArray();
            double scale = Math.Pow(2, Math.Min(40, context.FirstContextData.Moduli.Min(q => q.BitCount) - 6));
            encode = () => encoder.Encode(values, context.FirstParmsId, scale, plain);
            encoder.Encode(values, context.FirstParmsId, scale, plain2);
        }
        else
        {
            var encoder = new BatchEncoder(context);
            ulong t = parms.PlainModulus!.Value.Value;
            var values = Enumerable.Range(0, encoder.SlotCount).Select(_ => (ulong)random.NextInt64() % t).ToArray();
            encode = () => encoder.Encode(values, plain);
            encoder.Encode(values, plain2);
        }

        results["encode"] = Median(cpu, "encode", iterations, encode);
        var a = new Ciphertext();
        var b = new Ciphertext();
        var d = new Ciphertext();
        results["encrypt_public"] = Median(cpu, "encrypt_public", iterations, () => encryptor.Encrypt(plain, a));
        results["encrypt_symmetric"] = Median(cpu, "encrypt_symmetric", iterations, () => encryptor.EncryptSymmetric(plain, b));
        encryptor.Encrypt(plain2, b);
        var decrypted = new Plaintext();
        results["decrypt"] = Median(cpu, "decrypt", iterations, () => decryptor.Decrypt(a, decrypted));
        results["add"] = Median(cpu, "add", iterations * 4, () => evaluator.Add(a, b, d));
        results["multiply"] = Median(cpu, "multiply", iterations, () => evaluator.Multiply(a, b, d));
        results["square"] = Median(cpu, "square", iterations, () => evaluator.Square(a, d));
        results["multiply_plain"] = Median(cpu, "multiply_plain", iterations, () => evaluator.MultiplyPlain(a, plain2, d));
        var product = new Ciphertext();
        evaluator.Multiply(a, b, product);
        results["relinearize"] = Median(cpu, "relinearize", iterations, () => evaluator.Relinearize(product, rk, d));
        if (scheme == SchemeType.Ckks)
        {
            evaluator.Relinearize(product, rk, product);
            results["rescale"] = Median(cpu, "rescale", iterations, () => evaluator.RescaleToNext(product, d));
            results["rotate"] = Median(cpu, "rotate", iterations, () => evaluator.RotateVector(a, 1, gk, d));
        }
        else
        {
            results["rotate"] = Median(cpu, "rotate", iterations, () => evaluator.RotateRows(a, 1, gk, d));
        }

        progress?.Invoke("done");
        string name = scheme switch { SchemeType.Bfv => "bfv", SchemeType.Bgv => "bgv", _ => "ckks" };
        return new OperationBenchmarkResult(name, n, parms.CoeffModulus.Sum(q => q.BitCount), threads, results, cpu);
    }

    private static double Median(Dictionary<string, double> cpu, string name, int runs, Action action)
    {
        for (int i = 0; i < Math.Max(2, runs / 5); i++)
        {
            action();
        }

        var samples = new double[runs];
        var watch = new Stopwatch();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuStart = process.TotalProcessorTime;
        for (int i = 0; i < runs; i++)
        {
            watch.Restart();
            action();
            watch.Stop();
            samples[i] = watch.Elapsed.TotalMicroseconds;
        }

        process.Refresh();
        cpu[name] = (process.TotalProcessorTime - cpuStart).TotalMicroseconds / runs;
        Array.Sort(samples);
        return runs % 2 == 1 ? samples[runs / 2] : (samples[runs / 2 - 1] + samples[runs / 2]) / 2;
    }
}
