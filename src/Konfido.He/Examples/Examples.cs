// Numbered, runnable examples in the spirit of SEAL's examples (1 BFV basics ... 7 serialisation).
// Each writes a short narrative to a TextWriter and returns true when the decrypted results match
// the same computation in the clear; the test suite runs all of them.
using System.Numerics;
using Konfido.He.Serialization;

namespace Konfido.He.Examples;

/// <summary>Example 1: BFV basics — encrypt x, compute 4(x^2 + 1)(x + 1)^2, watch the noise budget.</summary>
public static class Example1BfvBasics
{
    /// <summary>Runs the example; true when the result is correct.</summary>
    public static bool Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var parms = new EncryptionParameters(SchemeType.Bfv)
        {
            PolyModulusDegree = 4096,
            CoeffModulus = CoeffModulus.BFVDefault(4096),
        };
        parms.SetPlainModulus(1024);
        var context = new HeContext(parms);
        var keygen = new KeyGenerator(context);
        keygen.CreatePublicKey(out var publicKey);
        keygen.CreateRelinKeys(out var relinKeys);
        var encryptor = new Encryptor(context, publicKey);
        var evaluator = new Evaluator(context);
        var decryptor = new Decryptor(context, keygen.SecretKey);

        const ulong x = 6;
        var xPlain = new Plaintext(1) { [0] = x };
        var xEncrypted = new Ciphertext();
        encryptor.Encrypt(xPlain, xEncrypted);
        output.WriteLine($"fresh encryption of x = {x}: noise budget {decryptor.InvariantNoiseBudget(xEncrypted)} bits");

        var one = new Plaintext(1) { [0] = 1 };
        var xSqPlusOne = new Ciphertext();
        evaluator.Square(xEncrypted, xSqPlusOne);
        evaluator.RelinearizeInplace(xSqPlusOne, relinKeys);
        evaluator.AddPlainInplace(xSqPlusOne, one);
        var xPlusOneSq = new Ciphertext();
        evaluator.AddPlain(xEncrypted, one, xPlusOneSq);
        evaluator.SquareInplace(xPlusOneSq);
        evaluator.RelinearizeInplace(xPlusOneSq, relinKeys);
        var result = new Ciphertext();
        evaluator.Multiply(xSqPlusOne, xPlusOneSq, result);
        evaluator.RelinearizeInplace(result, relinKeys);
        evaluator.MultiplyPlainInplace(result, new Plaintext(1) { [0] = 4 });
        output.WriteLine($"after 4(x^2+1)(x+1)^2: noise budget {decryptor.InvariantNoiseBudget(result)} bits");

        var decrypted = new Plaintext();
        decryptor.Decrypt(result, decrypted);
        ulong expected = 4 * (x * x + 1) * (x + 1) * (x + 1) % 1024;
        output.WriteLine($"decrypted {decrypted[0]}, expected {expected}");
        return decrypted[0] == expected && decrypted.Data.Skip(1).All(c => c == 0);
    }
}

/// <summary>Example 2: encoders — BatchEncoder's 2 x N/2 matrix and CKKSEncoder's complex slots.</summary>
public static class Example2Encoders
{
    /// <summary>Runs the example; true when both encoders round-trip.</summary>
    public static bool Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var bfv = new HeContext(new EncryptionParameters(SchemeType.Bfv)
        {
            PolyModulusDegree = 4096,
            CoeffModulus = CoeffModulus.BFVDefault(4096),
            PlainModulus = PlainModulus.Batching(4096, 20),
        });
        var batch = new BatchEncoder(bfv);
        var matrix = new long[batch.SlotCount];
        matrix[0] = 1;
        matrix[1] = -2;
        matrix[batch.SlotCount / 2] = 3;
        var plain = new Plaintext();
        batch.Encode(matrix, plain);
        var back = new long[batch.SlotCount];
        batch.Decode(plain, back);
        output.WriteLine($"batch encoder: {batch.SlotCount} slots, first row starts [{back[0]}, {back[1]}], second row starts [{back[batch.SlotCount / 2]}]");
        bool batchOk = back.SequenceEqual(matrix);

        var ckks = new HeContext(new EncryptionParameters(SchemeType.Ckks)
        {
            PolyModulusDegree = 4096,
            CoeffModulus = CoeffModulus.Create(4096, [40, 30, 30]),
        });
        var encoder = new CKKSEncoder(ckks);
        var values = new Complex[] { new(0.5, 1), new(-3.25, 0), Math.PI };
        var ckksPlain = new Plaintext();
        encoder.Encode(values, ckks.FirstParmsId, Math.Pow(2, 30), ckksPlain);
        var decoded = new Complex[encoder.SlotCount];
        encoder.Decode(ckksPlain, decoded);
        double error = values.Select((v, i) => Complex.Abs(v - decoded[i])).Max();
        output.WriteLine($"CKKS encoder: {encoder.SlotCount} complex slots, max round-trip error {error:E2}");
        return batchOk && error < 1e-6;
    }
}

/// <summary>Example 3: levels — the modulus chain and modulus switching.</summary>
public static class Example3Levels
{
    /// <summary>Runs the example; true when switching keeps the message and shrinks the ciphertext.</summary>
    public static bool Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var parms = new EncryptionParameters(SchemeType.Bfv)
        {
            PolyModulusDegree = 8192,
            CoeffModulus = CoeffModulus.Create(8192, [50, 30, 30, 50, 50]),
            PlainModulus = PlainModulus.Batching(8192, 20),
        };
        var context = new HeContext(parms);
        for (var level = context.KeyContextData; level is not null; level = level.Next)
        {
            output.WriteLine($"level {level.ChainIndex}{(level.IsKeyLevel ? " (key level)" : "")}: {level.ModulusCount} primes, {level.TotalCoeffModulusBitCount} bits, id {level.ParmsId}");
        }

        var keygen = new KeyGenerator(context);
        keygen.CreatePublicKey(out var pk);
        var encryptor = new Encryptor(context, pk);
        var decryptor = new Decryptor(context, keygen.SecretKey);
        var evaluator = new Evaluator(context);
        var encoder = new BatchEncoder(context);
        var plain = new Plaintext();
        encoder.Encode(new ulong[] { 7, 8, 9 }, plain);
        var ct = new Ciphertext();
        encryptor.Encrypt(plain, ct);
        bool ok = true;
        while (context.GetContextData(ct.ParmsId)!.Next is not null)
        {
            evaluator.ModSwitchToNextInplace(ct);
            var result = new Plaintext();
            decryptor.Decrypt(ct, result);
            var slots = encoder.Decode(result);
            output.WriteLine($"switched to {ct.CoeffModulusSize} primes: noise budget {decryptor.InvariantNoiseBudget(ct)} bits, slots [{slots[0]}, {slots[1]}, {slots[2]}]");
            ok &= slots[0] == 7 && slots[1] == 8 && slots[2] == 9;
        }

        return ok;
    }
}

/// <summary>Example 4: BGV — x^8 by repeated squaring with modulus switching after each step.</summary>
public static class Example4Bgv
{
    /// <summary>Runs the example; true when x^8 is exact in every slot.</summary>
    public static bool Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var context = new HeContext(new EncryptionParameters(SchemeType.Bgv)
        {
            PolyModulusDegree = 8192,
            CoeffModulus = CoeffModulus.BFVDefault(8192),
            PlainModulus = PlainModulus.Batching(8192, 20),
        });
        var keygen = new KeyGenerator(context);
        keygen.CreatePublicKey(out var pk);
        keygen.CreateRelinKeys(out var rk);
        var encryptor = new Encryptor(context, pk);
        var decryptor = new Decryptor(context, keygen.SecretKey);
        var evaluator = new Evaluator(context);
        var encoder = new BatchEncoder(context);
        ulong t = context.Parameters.PlainModulus!.Value.Value;
        var values = Enumerable.Range(0, encoder.SlotCount).Select(i => (ulong)(i % 100)).ToArray();
        var plain = new Plaintext();
        encoder.Encode(values, plain);
        var ct = new Ciphertext();
        encryptor.Encrypt(plain, ct);
        for (int i = 0; i < 3; i++)
        {
            evaluator.SquareInplace(ct);
            evaluator.RelinearizeInplace(ct, rk);
            output.WriteLine($"after squaring {i + 1}: noise budget {decryptor.InvariantNoiseBudget(ct)} bits");
            if (i < 2)
            {
                evaluator.ModSwitchToNextInplace(ct);
                output.WriteLine($"  after mod switch: noise budget {decryptor.InvariantNoiseBudget(ct)} bits, {ct.CoeffModulusSize} primes");
            }
        }

        var result = new Plaintext();
        decryptor.Decrypt(ct, result);
        var slots = encoder.Decode(result);
        var expected = values.Select(v => (ulong)BigInteger.ModPow(v, 8, t)).ToArray();
        output.WriteLine($"x^8 for x = 3: {slots[3]} (expected {expected[3]})");
        return slots.SequenceEqual(expected);
    }
}

/// <summary>Example 5: CKKS — evaluate pi x^3 + 0.4 x + 1 with rescaling and level alignment.</summary>
public static class Example5Ckks
{
    /// <summary>Runs the example; true when the maximum error is below 1e-4.</summary>
    public static bool Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var context = new HeContext(new EncryptionParameters(SchemeType.Ckks)
        {
            PolyModulusDegree = 8192,
            CoeffModulus = CoeffModulus.Create(8192, [60, 40, 40, 60]),
        });
        double scale = Math.Pow(2, 40);
        var keygen = new KeyGenerator(context);
        keygen.CreatePublicKey(out var pk);
        keygen.CreateRelinKeys(out var rk);
        var encryptor = new Encryptor(context, pk);
        var decryptor = new Decryptor(context, keygen.SecretKey);
        var evaluator = new Evaluator(context);
        var encoder = new CKKSEncoder(context);
        int slots = encoder.SlotCount;
        var xs = Enumerable.Range(0, slots).Select(i => (double)i / (slots - 1)).ToArray();

        var plainX = new Plaintext();
        encoder.Encode(xs, context.FirstParmsId, scale, plainX);
        var x = new Ciphertext();
        encryptor.Encrypt(plainX, x);
        var plainPi = new Plaintext();
        var plainPoint4 = new Plaintext();
        var plainOne = new Plaintext();
        encoder.Encode(Math.PI, context.FirstParmsId, scale, plainPi);
        encoder.Encode(0.4, context.FirstParmsId, scale, plainPoint4);

        var x3 = new Ciphertext();
        evaluator.Square(x, x3);
        evaluator.RelinearizeInplace(x3, rk);
        evaluator.RescaleToNextInplace(x3);                 // x^2 at level 1
        var piX = new Ciphertext();
        evaluator.MultiplyPlain(x, plainPi, piX);
        evaluator.RescaleToNextInplace(piX);                // pi x at level 1
        evaluator.MultiplyInplace(x3, piX);
        evaluator.RelinearizeInplace(x3, rk);
        evaluator.RescaleToNextInplace(x3);                 // pi x^3 at level 0
        var point4X = new Ciphertext();
        evaluator.MultiplyPlain(x, plainPoint4, point4X);
        evaluator.RescaleToNextInplace(point4X);            // 0.4 x at level 1

        // Align levels and scales before adding (the scales differ slightly: q_i are not exactly 2^40).
        evaluator.ModSwitchToInplace(point4X, x3.ParmsId);
        point4X.Scale = x3.Scale;
        encoder.Encode(1.0, x3.ParmsId, x3.Scale, plainOne);
        var result = new Ciphertext();
        evaluator.Add(x3, point4X, result);
        evaluator.AddPlainInplace(result, plainOne);
        output.WriteLine($"result at level {context.GetContextData(result.ParmsId)!.ChainIndex}, scale 2^{Math.Log2(result.Scale):F2}");

        var plainResult = new Plaintext();
        decryptor.Decrypt(result, plainResult);
        var decoded = new double[slots];
        encoder.Decode(plainResult, decoded);
        double maxError = xs.Select((v, i) => Math.Abs(Math.PI * v * v * v + 0.4 * v + 1 - decoded[i])).Max();
        output.WriteLine($"pi x^3 + 0.4 x + 1 at x = 1: {decoded[slots - 1]:F6} (exact {Math.PI + 1.4:F6}); max error {maxError:E2}");
        return maxError < 1e-4;
    }
}

/// <summary>Example 6: rotations — BFV rows and columns, CKKS vectors.</summary>
public static class Example6Rotation
{
    /// <summary>Runs the example; true when every rotation moves the slots as documented.</summary>
    public static bool Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var bfv = new HeContext(new EncryptionParameters(SchemeType.Bfv)
        {
            PolyModulusDegree = 4096,
            CoeffModulus = CoeffModulus.BFVDefault(4096),
            PlainModulus = PlainModulus.Batching(4096, 20),
        });
        var keygen = new KeyGenerator(bfv);
        keygen.CreatePublicKey(out var pk);
        keygen.CreateGaloisKeys(out var gk);
        var encoder = new BatchEncoder(bfv);
        var encryptor = new Encryptor(bfv, pk);
        var decryptor = new Decryptor(bfv, keygen.SecretKey);
        var evaluator = new Evaluator(bfv);
        int half = encoder.SlotCount / 2;
        var values = Enumerable.Range(0, encoder.SlotCount).Select(i => (ulong)i).ToArray();
        var plain = new Plaintext();
        encoder.Encode(values, plain);
        var ct = new Ciphertext();
        encryptor.Encrypt(plain, ct);
        evaluator.RotateRowsInplace(ct, 3, gk);
        var result = new Plaintext();
        decryptor.Decrypt(ct, result);
        var rows = encoder.Decode(result);
        output.WriteLine($"rows rotated left by 3: [{rows[0]}, {rows[1]}, ...] and [{rows[half]}, ...]");
        bool ok = rows[0] == 3 && rows[half - 1] == 2 && rows[half] == (ulong)half + 3;
        evaluator.RotateColumnsInplace(ct, gk);
        decryptor.Decrypt(ct, result);
        rows = encoder.Decode(result);
        output.WriteLine($"columns swapped: first row now starts [{rows[0]}, ...]");
        ok &= rows[0] == (ulong)half + 3;

        var ckks = new HeContext(new EncryptionParameters(SchemeType.Ckks)
        {
            PolyModulusDegree = 4096,
            CoeffModulus = CoeffModulus.Create(4096, [40, 29, 40]),
        });
        var ckKeys = new KeyGenerator(ckks);
        ckKeys.CreatePublicKey(out var ckPk);
        ckKeys.CreateGaloisKeys([2], out var ckGk);
        var ckEncoder = new CKKSEncoder(ckks);
        var xs = Enumerable.Range(0, ckEncoder.SlotCount).Select(i => (double)i).ToArray();
        var ckPlain = new Plaintext();
        ckEncoder.Encode(xs, ckks.FirstParmsId, Math.Pow(2, 30), ckPlain);
        var ckCt = new Ciphertext();
        new Encryptor(ckks, ckPk).Encrypt(ckPlain, ckCt);
        var ckEvaluator = new Evaluator(ckks);
        ckEvaluator.RotateVectorInplace(ckCt, 2, ckGk);
        new Decryptor(ckks, ckKeys.SecretKey).Decrypt(ckCt, ckPlain);
        var decoded = new double[ckEncoder.SlotCount];
        ckEncoder.Decode(ckPlain, decoded);
        output.WriteLine($"CKKS vector rotated left by 2: [{decoded[0]:F3}, {decoded[1]:F3}, ...]");
        ok &= Math.Abs(decoded[0] - 2) < 1e-3 && Math.Abs(decoded[^1] - 1) < 1e-3;
        return ok;
    }
}

/// <summary>Example 7: serialisation — a client/server split where the server never sees the secret key.</summary>
public static class Example7Serialization
{
    /// <summary>Runs the example; true when the client decrypts the server's result.</summary>
    public static bool Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        // Client: parameters, keys, encrypted inputs (a seeded symmetric ciphertext is half size).
        var parms = new EncryptionParameters(SchemeType.Bfv)
        {
            PolyModulusDegree = 4096,
            CoeffModulus = CoeffModulus.BFVDefault(4096),
            PlainModulus = PlainModulus.Batching(4096, 20),
        };
        var clientContext = new HeContext(parms);
        var keygen = new KeyGenerator(clientContext);
        keygen.CreateRelinKeys(out var rk);
        var encoder = new BatchEncoder(clientContext);
        var plain = new Plaintext();
        encoder.Encode(new ulong[] { 11, 12, 13 }, plain);
        var ct = new Ciphertext();
        new Encryptor(clientContext, keygen.SecretKey).EncryptSymmetric(plain, ct);
        byte[] parmsBytes = HeSerializer.Save(parms);
        byte[] relinBytes = HeSerializer.Save(rk);
        byte[] inputBytes = HeSerializer.Save(ct);
        output.WriteLine($"client sends parameters ({parmsBytes.Length} B), relinearisation keys ({relinBytes.Length} B), seeded ciphertext ({inputBytes.Length} B)");

        // Server: squares the input.
        var serverContext = new HeContext(HeSerializer.LoadParameters(parmsBytes));
        var serverRelin = HeSerializer.LoadRelinKeys(serverContext, relinBytes);
        var input = HeSerializer.LoadCiphertext(serverContext, inputBytes);
        var evaluator = new Evaluator(serverContext);
        evaluator.SquareInplace(input);
        evaluator.RelinearizeInplace(input, serverRelin);
        byte[] resultBytes = HeSerializer.Save(input);
        output.WriteLine($"server returns the square ({resultBytes.Length} B)");

        // Client: decrypts.
        var result = HeSerializer.LoadCiphertext(clientContext, resultBytes);
        var decrypted = new Plaintext();
        new Decryptor(clientContext, keygen.SecretKey).Decrypt(result, decrypted);
        var slots = encoder.Decode(decrypted);
        output.WriteLine($"client decrypts [{slots[0]}, {slots[1]}, {slots[2]}]");
        return slots[0] == 121 && slots[1] == 144 && slots[2] == 169;
    }
}
