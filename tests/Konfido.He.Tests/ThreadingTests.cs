namespace Konfido.He.Tests;

public sealed class ThreadingTests
{
    // N = 8192 passes every threshold of the parallel paths (key switching, rescale, tensor).
    [Theory]
    [InlineData(SchemeType.Bfv, 4096)]
    [InlineData(SchemeType.Bgv, 4096)]
    [InlineData(SchemeType.Ckks, 4096)]
    [InlineData(SchemeType.Bfv, 8192)]
    [InlineData(SchemeType.Bgv, 8192)]
    [InlineData(SchemeType.Ckks, 8192)]
    public void Two_threads_give_the_same_results_as_one(SchemeType scheme, int n)
    {
        var parms = new EncryptionParameters(scheme) { PolyModulusDegree = n, CoeffModulus = CoeffModulus.BFVDefault(n) };
        if (scheme != SchemeType.Ckks)
        {
            parms.PlainModulus = PlainModulus.Batching(n, 17);
        }

        var single = new HeContext(parms, SecurityLevel.Tc128, threads: 1);
        var dual = new HeContext(parms, SecurityLevel.Tc128, threads: 2);
        var keys = new KeyGenerator(single);
        keys.CreatePublicKey(out var pk);
        keys.CreateRelinKeys(out var rk);
        keys.CreateGaloisKeys([1], out var gk);
        var plain = new Plaintext();
        if (scheme == SchemeType.Ckks)
        {
            new CKKSEncoder(single).Encode([0.5, -0.25, 0.125], single.FirstParmsId, 1 << 28, plain);
        }
        else
        {
            new BatchEncoder(single).Encode(new ulong[] { 3, 5, 7 }, plain);
        }

        var ct = new Ciphertext();
        new Encryptor(single, pk).Encrypt(plain, ct);
        Ciphertext Run(HeContext context)
        {
            // Keys and ciphertexts are shared: both contexts have the same ParmsId chain.
            var evaluator = new Evaluator(context);
            var r = new Ciphertext();
            evaluator.Multiply(ct, ct, r);
            evaluator.RelinearizeInplace(r, rk);
            evaluator.ApplyGaloisInplace(r, context.GaloisTool.ElementFromStep(1), gk);
            if (scheme == SchemeType.Ckks)
            {
                // Aside and in place (the threaded in-place path stages its output).
                var aside = new Ciphertext();
                evaluator.RescaleToNext(r, aside);
                evaluator.RescaleToNextInplace(r);
                Assert.Equal(aside.Data.AsSpan(0, aside.Size * aside.PolynomialLength).ToArray(), r.Data.AsSpan(0, r.Size * r.PolynomialLength).ToArray());
            }
            else
            {
                evaluator.ModSwitchToNextInplace(r);
            }

            return r;
        }

        var a = Run(single);
        var b = Run(dual);
        Assert.Equal(a.Data.AsSpan(0, a.Size * a.PolynomialLength).ToArray(), b.Data.AsSpan(0, b.Size * b.PolynomialLength).ToArray());
    }

    [Theory]
    [InlineData(1, 5, 100_000)]
    [InlineData(2, 5, 100_000)]
    [InlineData(2, 3, 10)]
    [InlineData(2, 1, 100_000)]
    [InlineData(4, 64, 8192)]
    public void The_scheduler_runs_every_job_exactly_once(int threads, int count, long work)
    {
        var parallelism = new Konfido.He.Rings.Parallelism(threads);
        // Many calls: some run threaded, some serial (small work, or backing off after a call no worker joined).
        for (int call = 0; call < 100; call++)
        {
            var visits = new int[count];
            parallelism.For(count, work, i => Interlocked.Increment(ref visits[i]));
            Assert.All(visits, v => Assert.Equal(1, v));
        }
    }
}
