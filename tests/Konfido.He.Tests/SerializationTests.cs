using Konfido.He.Serialization;

namespace Konfido.He.Tests;

public sealed class SerializationTests(IntegerSchemeFixture fixture) : IClassFixture<IntegerSchemeFixture>
{
    [Fact]
    public void Parameters_round_trip()
    {
        var parms = fixture.Bfv.Context.Parameters;
        var loaded = HeSerializer.LoadParameters(HeSerializer.Save(parms));
        Assert.Equal(parms.Scheme, loaded.Scheme);
        Assert.Equal(parms.PolyModulusDegree, loaded.PolyModulusDegree);
        Assert.Equal(parms.CoeffModulus, loaded.CoeffModulus);
        Assert.Equal(parms.PlainModulus, loaded.PlainModulus);
        Assert.Equal(fixture.Bfv.Context.FirstParmsId, new HeContext(loaded).FirstParmsId);
    }

    [Fact]
    public void Ciphertexts_and_keys_round_trip_and_still_work()
    {
        var s = fixture.Bfv;
        var values = s.RandomSlots(new Random(9));
        var ct = s.Encrypt(values);
        var bytes = HeSerializer.Save(ct);
        var loaded = HeSerializer.LoadCiphertext(s.Context, bytes);
        Assert.Equal(values, s.Decrypt(loaded));
        // Compact: bit-packed residues, well below 8 bytes per residue.
        Assert.True(bytes.Length < ct.Data.Length * 8 * 0.8, $"{bytes.Length} bytes");

        var relin = HeSerializer.LoadRelinKeys(s.Context, HeSerializer.Save(s.RelinKeys));
        var galois = HeSerializer.LoadGaloisKeys(s.Context, HeSerializer.Save(s.GaloisKeys));
        var pk = HeSerializer.LoadPublicKey(s.Context, HeSerializer.Save(s.PublicKey));
        var sk = HeSerializer.LoadSecretKey(s.Context, HeSerializer.Save(s.Keys.SecretKey));
        var encryptor = new Encryptor(s.Context, pk);
        var decryptor = new Decryptor(s.Context, sk);
        var plain = s.Encode(values);
        var fresh = new Ciphertext();
        encryptor.Encrypt(plain, fresh);
        s.Evaluator.SquareInplace(fresh);
        s.Evaluator.RelinearizeInplace(fresh, relin);
        s.Evaluator.RotateRowsInplace(fresh, 1, galois);
        var result = new Plaintext();
        decryptor.Decrypt(fresh, result);
        var got = s.Encoder.Decode(result);
        int half = values.Length / 2;
        Assert.Equal((ulong)((UInt128)values[1] * values[1] % s.T), got[0]);
        Assert.Equal((ulong)((UInt128)values[0] * values[0] % s.T), got[half - 1]);

        var loadedPlain = HeSerializer.LoadPlaintext(s.Context, HeSerializer.Save(plain));
        Assert.Equal(plain.Data, loadedPlain.Data);
    }

    [Fact]
    public void Seeded_symmetric_ciphertexts_are_half_size_and_decrypt()
    {
        var s = fixture.Bfv;
        var values = s.RandomSlots(new Random(10));
        var seeded = s.Encrypt(values, symmetric: true);
        var full = s.Encrypt(values);
        var seededBytes = HeSerializer.Save(seeded);
        Assert.True(seededBytes.Length < HeSerializer.Save(full).Length * 0.6);
        Assert.Equal(values, s.Decrypt(HeSerializer.LoadCiphertext(s.Context, seededBytes)));
        // Once operated on, the seed no longer describes c1 and is not used.
        s.Evaluator.AddInplace(seeded, full);
        var sum = s.Decrypt(HeSerializer.LoadCiphertext(s.Context, HeSerializer.Save(seeded)));
        Assert.Equal([.. values.Select(v => 2 * v % s.T)], sum);
    }

    [Fact]
    public void Ckks_ciphertexts_round_trip_with_scale_and_level()
    {
        var parms = new EncryptionParameters(SchemeType.Ckks) { PolyModulusDegree = 4096, CoeffModulus = CoeffModulus.Create(4096, [40, 30, 30]) };
        var context = new HeContext(parms);
        var keys = new KeyGenerator(context);
        var encoder = new CKKSEncoder(context);
        var plain = new Plaintext();
        encoder.Encode([1.5, -2.25], context.FirstParmsId, 1 << 30, plain);
        var ct = new Ciphertext();
        new Encryptor(context, keys.SecretKey).EncryptSymmetric(plain, ct);
        var loaded = HeSerializer.LoadCiphertext(context, HeSerializer.Save(ct));
        Assert.Equal(ct.Scale, loaded.Scale);
        Assert.Equal(ct.Data.AsSpan(0, ct.Size * ct.PolynomialLength).ToArray(), loaded.Data.AsSpan(0, loaded.Size * loaded.PolynomialLength).ToArray());
        var result = new Plaintext();
        new Decryptor(context, keys.SecretKey).Decrypt(loaded, result);
        var decoded = new double[encoder.SlotCount];
        encoder.Decode(result, decoded);
        Assert.Equal(1.5, decoded[0], 4);
        Assert.Equal(-2.25, decoded[1], 4);
    }

    [Fact]
    public void Keys_are_stored_with_seeded_halves()
    {
        var s = fixture.Bfv;
        var part = s.RelinKeys.Keys[RelinKeys.RelinIndex][0];
        Assert.NotNull(part.Seed);
        var unseeded = part.Clone();
        unseeded.Seed = null;
        Assert.True(HeSerializer.Save(part).Length < HeSerializer.Save(unseeded).Length * 0.6);
        var pkBytes = HeSerializer.Save(s.PublicKey);
        var loaded = HeSerializer.LoadPublicKey(s.Context, pkBytes);
        Assert.Equal(s.PublicKey.Data.Polynomial(1).ToArray(), loaded.Data.Polynomial(1).ToArray());
    }

    [Fact]
    public void Malformed_or_foreign_input_is_a_clear_error_never_a_crash()
    {
        var s = fixture.Bfv;
        var bytes = HeSerializer.Save(s.Encrypt(s.RandomSlots(new Random(11))));
        var foreign = fixture.Bgv.Context;

        AssertRejected(() => HeSerializer.LoadCiphertext(foreign, bytes), "foreign");
        AssertRejected(() => HeSerializer.LoadCiphertext(s.Context, bytes.AsSpan(0, bytes.Length - 1)), "truncated");
        AssertRejected(() => HeSerializer.LoadCiphertext(s.Context, [.. bytes, 0]), "trailing");
        AssertRejected(() => HeSerializer.LoadCiphertext(s.Context, [.. "XYZ"u8, .. bytes.AsSpan(3)]), "magic");
        var wrongVersion = (byte[])bytes.Clone();
        wrongVersion[3] = 9;
        AssertRejected(() => HeSerializer.LoadCiphertext(s.Context, wrongVersion), "version");
        AssertRejected(() => HeSerializer.LoadRelinKeys(s.Context, bytes), "expected a RelinKeys");
        AssertRejected(() => HeSerializer.LoadCiphertext(s.Context, []), "magic");

        // Every single-byte corruption of the header and a sample of the body: an error or a
        // well-formed ciphertext, never another exception type.
        var random = new Random(12);
        for (int trial = 0; trial < 120; trial++)
        {
            var corrupt = (byte[])bytes.Clone();
            int position = trial < 80 ? trial : random.Next(corrupt.Length);
            corrupt[position] ^= (byte)(1 << random.Next(8));
            try
            {
                var ct = HeSerializer.LoadCiphertext(s.Context, corrupt);
                s.Decrypt(ct);
            }
            catch (HeFormatException)
            {
            }
        }

        // Residues above their prime are refused.
        var ctOk = s.Encrypt(s.RandomSlots(random));
        ctOk.Data[5] = s.Context.FirstContextData.Moduli[0].Value;
        AssertRejected(() => HeSerializer.LoadCiphertext(s.Context, HeSerializer.Save(ctOk)), "not reduced");
    }

    private static void AssertRejected(Action action, string fragment)
    {
        var ex = Assert.Throws<HeFormatException>(action);
        Assert.Contains(fragment, ex.Message, StringComparison.OrdinalIgnoreCase);
    }
}
