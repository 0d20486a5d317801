namespace Konfido.He.Tests;

/// <summary>Shared BFV/BGV fixture: N = 4096 (and 8192 for depth), keys generated once per class.</summary>
public sealed class IntegerSchemeFixture
{
    public IntegerSchemeFixture()
    {
        Bfv = new Setup(SchemeType.Bfv, 8192);
        Bgv = new Setup(SchemeType.Bgv, 8192);
    }

    public Setup Bfv { get; }

    public Setup Bgv { get; }

    public sealed class Setup
    {
        public Setup(SchemeType scheme, int n)
        {
            var parms = new EncryptionParameters(scheme)
            {
                PolyModulusDegree = n,
                CoeffModulus = CoeffModulus.BFVDefault(n),
                PlainModulus = PlainModulus.Batching(n, 20),
            };
            Context = new HeContext(parms);
            Keys = new KeyGenerator(Context);
            Keys.CreatePublicKey(out var pk);
            Keys.CreateRelinKeys(out var rk);
            Keys.CreateGaloisKeys(out var gk);
            PublicKey = pk;
            RelinKeys = rk;
            GaloisKeys = gk;
            Encoder = new BatchEncoder(Context);
            Encryptor = new Encryptor(Context, pk, Keys.SecretKey);
            Decryptor = new Decryptor(Context, Keys.SecretKey);
            Evaluator = new Evaluator(Context);
            T = parms.PlainModulus!.Value.Value;
        }

        public HeContext Context { get; }
        public KeyGenerator Keys { get; }
        public PublicKey PublicKey { get; }
        public RelinKeys RelinKeys { get; }
        public GaloisKeys GaloisKeys { get; }
        public BatchEncoder Encoder { get; }
        public Encryptor Encryptor { get; }
        public Decryptor Decryptor { get; }
        public Evaluator Evaluator { get; }
        public ulong T { get; }

        public ulong[] RandomSlots(Random random)
        {
            var v = new ulong[Encoder.SlotCount];
            for (int i = 0; i < v.Length; i++)
            {
                v[i] = (ulong)random.NextInt64() % T;
            }

            return v;
        }

        public Ciphertext Encrypt(ulong[] values, bool symmetric = false)
        {
            var plain = new Plaintext();
            Encoder.Encode(values, plain);
            var ct = new Ciphertext();
            if (symmetric)
            {
                Encryptor.EncryptSymmetric(plain, ct);
            }
            else
            {
                Encryptor.Encrypt(plain, ct);
            }

            return ct;
        }

        public Plaintext Encode(ulong[] values)
        {
            var plain = new Plaintext();
            Encoder.Encode(values, plain);
            return plain;
        }

        public ulong[] Decrypt(Ciphertext ct)
        {
            var plain = new Plaintext();
            Decryptor.Decrypt(ct, plain);
            return Encoder.Decode(plain);
        }
    }
}

public sealed class BfvTests(IntegerSchemeFixture fixture) : IClassFixture<IntegerSchemeFixture>
{
    public static TheoryData<SchemeType> Schemes => new() { SchemeType.Bfv, SchemeType.Bgv };

    private IntegerSchemeFixture.Setup Get(SchemeType scheme) => scheme == SchemeType.Bfv ? fixture.Bfv : fixture.Bgv;

    private static ulong[] Map(ulong[] a, ulong[] b, Func<ulong, ulong, ulong> f) => [.. a.Zip(b, f)];

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Encode_decode_and_encrypt_decrypt_round_trip(SchemeType scheme)
    {
        var s = Get(scheme);
        var values = s.RandomSlots(new Random(1));
        Assert.Equal(values, s.Encoder.Decode(s.Encode(values)));
        Assert.Equal(values, s.Decrypt(s.Encrypt(values)));
        Assert.Equal(values, s.Decrypt(s.Encrypt(values, symmetric: true)));
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Add_sub_negate_are_exact(SchemeType scheme)
    {
        var s = Get(scheme);
        var random = new Random(2);
        ulong t = s.T;
        var a = s.RandomSlots(random);
        var b = s.RandomSlots(random);
        var ca = s.Encrypt(a);
        var cb = s.Encrypt(b);
        var sum = new Ciphertext();
        s.Evaluator.Add(ca, cb, sum);
        Assert.Equal(Map(a, b, (x, y) => (x + y) % t), s.Decrypt(sum));
        var diff = new Ciphertext();
        s.Evaluator.Sub(ca, cb, diff);
        Assert.Equal(Map(a, b, (x, y) => (x + t - y) % t), s.Decrypt(diff));
        var neg = new Ciphertext();
        s.Evaluator.Negate(ca, neg);
        Assert.Equal([.. a.Select(x => (t - x) % t)], s.Decrypt(neg));
        s.Evaluator.AddInplace(ca, ca);
        Assert.Equal([.. a.Select(x => 2 * x % t)], s.Decrypt(ca));
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Plain_operands_are_exact(SchemeType scheme)
    {
        var s = Get(scheme);
        var random = new Random(3);
        ulong t = s.T;
        var a = s.RandomSlots(random);
        var b = s.RandomSlots(random);
        var ca = s.Encrypt(a);
        var pb = s.Encode(b);
        var r = new Ciphertext();
        s.Evaluator.AddPlain(ca, pb, r);
        Assert.Equal(Map(a, b, (x, y) => (x + y) % t), s.Decrypt(r));
        s.Evaluator.SubPlain(ca, pb, r);
        Assert.Equal(Map(a, b, (x, y) => (x + t - y) % t), s.Decrypt(r));
        s.Evaluator.MultiplyPlain(ca, pb, r);
        Assert.Equal(Map(a, b, (x, y) => (ulong)((UInt128)x * y % t)), s.Decrypt(r));
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Multiply_square_and_relinearize_are_exact(SchemeType scheme)
    {
        var s = Get(scheme);
        var random = new Random(4);
        ulong t = s.T;
        var a = s.RandomSlots(random);
        var b = s.RandomSlots(random);
        var ca = s.Encrypt(a);
        var cb = s.Encrypt(b);
        var product = new Ciphertext();
        s.Evaluator.Multiply(ca, cb, product);
        Assert.Equal(3, product.Size);
        var expected = Map(a, b, (x, y) => (ulong)((UInt128)x * y % t));
        Assert.Equal(expected, s.Decrypt(product));
        s.Evaluator.RelinearizeInplace(product, s.RelinKeys);
        Assert.Equal(2, product.Size);
        Assert.Equal(expected, s.Decrypt(product));
        var square = new Ciphertext();
        s.Evaluator.Square(ca, square);
        s.Evaluator.RelinearizeInplace(square, s.RelinKeys);
        Assert.Equal([.. a.Select(x => (ulong)((UInt128)x * x % t))], s.Decrypt(square));
        // Depth 2: (a b)^2.
        s.Evaluator.SquareInplace(product);
        s.Evaluator.RelinearizeInplace(product, s.RelinKeys);
        Assert.Equal([.. expected.Select(x => (ulong)((UInt128)x * x % t))], s.Decrypt(product));
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Rotations_permute_the_rows_and_swap_them(SchemeType scheme)
    {
        var s = Get(scheme);
        var a = s.RandomSlots(new Random(5));
        int half = a.Length / 2;
        var ca = s.Encrypt(a);
        foreach (int step in new[] { 1, -1, 3, 100 })
        {
            var r = new Ciphertext();
            s.Evaluator.RotateRows(ca, step, s.GaloisKeys, r);
            var got = s.Decrypt(r);
            for (int i = 0; i < half; i++)
            {
                int from = ((i + step) % half + half) % half;
                Assert.Equal(a[from], got[i]);
                Assert.Equal(a[half + from], got[half + i]);
            }
        }

        var swapped = new Ciphertext();
        s.Evaluator.RotateColumns(ca, s.GaloisKeys, swapped);
        Assert.Equal([.. a.Skip(half), .. a.Take(half)], s.Decrypt(swapped));
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Mod_switching_keeps_the_message(SchemeType scheme)
    {
        var s = Get(scheme);
        var random = new Random(6);
        ulong t = s.T;
        var a = s.RandomSlots(random);
        var b = s.RandomSlots(random);
        var ca = s.Encrypt(a);
        var cb = s.Encrypt(b);
        s.Evaluator.ModSwitchToNextInplace(ca);
        Assert.Equal(s.Context.FirstContextData.Next!.ParmsId, ca.ParmsId);
        Assert.Equal(a, s.Decrypt(ca));
        s.Evaluator.ModSwitchToNextInplace(cb);
        s.Evaluator.MultiplyInplace(ca, cb);
        s.Evaluator.RelinearizeInplace(ca, s.RelinKeys);
        Assert.Equal(Map(a, b, (x, y) => (ulong)((UInt128)x * y % t)), s.Decrypt(ca));
        // Adding operands with different BGV correction factors aligns them.
        var fresh = s.Encrypt(b);
        s.Evaluator.ModSwitchToInplace(fresh, ca.ParmsId);
        s.Evaluator.AddInplace(ca, fresh);
        Assert.Equal(Map(Map(a, b, (x, y) => (ulong)((UInt128)x * y % t)), b, (x, y) => (x + y) % t), s.Decrypt(ca));
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Noise_budget_shrinks_with_each_multiplication_as_theory_says(SchemeType scheme)
    {
        var s = Get(scheme);
        var random = new Random(7);
        var ca = s.Encrypt(s.RandomSlots(random));
        int fresh = s.Decryptor.InvariantNoiseBudget(ca);
        // Fresh: log2 Q - log2(t * ||e||) - 1 with ||e|| around N * sigma * 6: well above zero but
        // below log2 Q - log2 t.
        int logQ = s.Context.FirstContextData.TotalCoeffModulusBitCount;
        Assert.InRange(fresh, logQ - 20 - 40, logQ - 20);
        var budgets = new List<int> { fresh };
        for (int i = 0; i < 3; i++)
        {
            s.Evaluator.SquareInplace(ca);
            s.Evaluator.RelinearizeInplace(ca, s.RelinKeys);
            budgets.Add(s.Decryptor.InvariantNoiseBudget(ca));
        }

        // Each multiplication costs at least log2 t + log2 N / 2 bits (the t N ||s|| growth factor
        // of the tensor) and at most about log2 t + log2 N + a few.
        for (int i = 1; i < budgets.Count; i++)
        {
            if (budgets[i - 1] == 0)
            {
                break;
            }

            int consumed = budgets[i - 1] - budgets[i];
            Assert.True(consumed >= 10, $"step {i}: consumed {consumed} bits ({string.Join(",", budgets)})");
        }

        Assert.True(budgets[^1] < budgets[0]);
    }
}
