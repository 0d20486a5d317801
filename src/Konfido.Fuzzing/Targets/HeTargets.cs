using System.Text;
using Konfido.He;
using Konfido.He.Compiler;
using Konfido.He.Compiler.Runtime;
using Konfido.He.Serialization;

namespace Konfido.Fuzzing.Targets;

/// <summary>A small BFV context (n = 4096, the default 109-bit modulus, 128-bit secure) and one object of each kind.</summary>
internal sealed class HeSamples
{
    public HeSamples()
    {
        var parameters = new EncryptionParameters(SchemeType.Bfv)
        {
            PolyModulusDegree = 4096,
            CoeffModulus = CoeffModulus.BFVDefault(4096),
            PlainModulus = PlainModulus.Batching(4096, 20),
        };
        Parameters = parameters;
        Context = new HeContext(parameters);
        var keys = new KeyGenerator(Context);
        keys.CreatePublicKey(out var publicKey);
        keys.CreateRelinKeys(out var relinKeys);
        keys.CreateGaloisKeys([1], out var galoisKeys);
        SecretKey = keys.SecretKey;
        var encoder = new BatchEncoder(Context);
        var plain = new Plaintext();
        encoder.Encode([.. Enumerable.Range(0, 64).Select(i => (ulong)(60 + i))], plain);
        var encryptor = new Encryptor(Context, publicKey, keys.SecretKey);
        var asymmetric = new Ciphertext();
        encryptor.Encrypt(plain, asymmetric);
        var symmetric = new Ciphertext();
        encryptor.EncryptSymmetric(plain, symmetric);
        Objects =
        [
            HeSerializer.Save(parameters),
            HeSerializer.Save(asymmetric),
            HeSerializer.Save(symmetric),
            HeSerializer.Save(plain),
            HeSerializer.Save(publicKey),
            HeSerializer.Save(keys.SecretKey),
            HeSerializer.Save(relinKeys),
            HeSerializer.Save(galoisKeys),
        ];
    }

    public EncryptionParameters Parameters { get; }

    public HeContext Context { get; }

    public SecretKey SecretKey { get; }

    public IReadOnlyList<byte[]> Objects { get; }
}

/// <summary>
/// Serialised HE objects (<see cref="HeSerializer"/> loaders: documented failure <see cref="HeFormatException"/>; the
/// parameters' context: <see cref="ArgumentException"/>). The object kind byte picks the loader, so a mutated kind
/// reaches another loader. Invariants: an accepted object saves and loads back; an accepted ciphertext decrypts.
/// </summary>
/// <remarks>The seeds hold fresh keys (the HE key generator draws from the system RNG): inputs repeat only within a process.</remarks>
public sealed class HeObjectTarget : FuzzTarget
{
    private readonly Lazy<HeSamples> _samples = new(() => new HeSamples());

    /// <inheritdoc />
    public override string Name => "he-objects";

    /// <inheritdoc />
    public override string Description => "serialised HE parameters, ciphertexts, plaintexts and keys (HeSerializer.Load*); invariants: accepted objects save and load back, ciphertexts decrypt";

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary => ["KHE", "\u0001", "\u0002", "\u0003", "\u0004", "\u0005", "\u0006", "\u0007"];

    /// <inheritdoc />
    public override FuzzResult Run(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var samples = _samples.Value;
        var kind = input.Length > 4 ? (HeObjectKind)input[4] : HeObjectKind.Ciphertext;
        try
        {
            switch (kind)
            {
                case HeObjectKind.Parameters:
                {
                    var parameters = HeSerializer.LoadParameters(input);
                    _ = new HeContext(parameters);
                    Roundtrip(HeSerializer.Save(parameters), b => HeSerializer.LoadParameters(b));
                    break;
                }

                case HeObjectKind.Plaintext:
                    Roundtrip(HeSerializer.Save(HeSerializer.LoadPlaintext(samples.Context, input)), b => HeSerializer.LoadPlaintext(samples.Context, b));
                    break;
                case HeObjectKind.PublicKey:
                    Roundtrip(HeSerializer.Save(HeSerializer.LoadPublicKey(samples.Context, input)), b => HeSerializer.LoadPublicKey(samples.Context, b));
                    break;
                case HeObjectKind.SecretKey:
                    Roundtrip(HeSerializer.Save(HeSerializer.LoadSecretKey(samples.Context, input)), b => HeSerializer.LoadSecretKey(samples.Context, b));
                    break;
                case HeObjectKind.RelinKeys:
                    Roundtrip(HeSerializer.Save(HeSerializer.LoadRelinKeys(samples.Context, input)), b => HeSerializer.LoadRelinKeys(samples.Context, b));
                    break;
                case HeObjectKind.GaloisKeys:
                    Roundtrip(HeSerializer.Save(HeSerializer.LoadGaloisKeys(samples.Context, input)), b => HeSerializer.LoadGaloisKeys(samples.Context, b));
                    break;
                default:
                {
                    var ciphertext = HeSerializer.LoadCiphertext(samples.Context, input);
                    Roundtrip(HeSerializer.Save(ciphertext), b => HeSerializer.LoadCiphertext(samples.Context, b));
                    var plain = new Plaintext();
                    new Decryptor(samples.Context, samples.SecretKey).Decrypt(ciphertext, plain);
                    break;
                }
            }
        }
        catch (HeFormatException ex)
        {
            return FuzzResult.Reject(ex.Message);
        }
        catch (ArgumentException ex) when (kind == HeObjectKind.Parameters)
        {
            return FuzzResult.Reject(ex.Message);
        }

        return FuzzResult.Accept;
    }

    /// <inheritdoc />
    protected override IEnumerable<byte[]> CreateSeeds() => _samples.Value.Objects;

    private static void Roundtrip(byte[] saved, Action<byte[]> load)
    {
        try
        {
            load(saved);
        }
        catch (HeFormatException ex)
        {
            throw new FuzzInvariantException("he-roundtrip", $"an accepted object saves to bytes that do not load: {ex.Message}");
        }
    }
}

/// <summary>
/// The HE run-time's bundle container (<see cref="HeBundle.Deserialize"/>: documented failure <see cref="HeFormatException"/>).
/// Invariant: an accepted bundle serialises and reads back with the same entries.
/// </summary>
public sealed class HeBundleTarget : FuzzTarget
{
    /// <inheritdoc />
    public override string Name => "he-bundle";

    /// <inheritdoc />
    public override string Description => "HE run-time bundles of named serialised objects (HeBundle.Deserialize); invariant: accepted bundles round-trip";

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary => ["KHEB", "\u0001", "input:hr", "output:mean"];

    /// <inheritdoc />
    public override FuzzResult Run(byte[] input)
    {
        HeBundle bundle;
        try
        {
            bundle = HeBundle.Deserialize(input);
        }
        catch (HeFormatException ex)
        {
            return FuzzResult.Reject(ex.Message);
        }

        HeBundle again;
        try
        {
            again = HeBundle.Deserialize(bundle.Serialize());
        }
        catch (HeFormatException ex)
        {
            throw new FuzzInvariantException("he-bundle-roundtrip", $"an accepted bundle serialises to bytes that do not read: {ex.Message}");
        }

        if (!again.Names.SequenceEqual(bundle.Names) || again.Names.Any(n => !again[n].AsSpan().SequenceEqual(bundle[n])))
        {
            throw new FuzzInvariantException("he-bundle-roundtrip", "an accepted bundle reads back with other entries");
        }

        return FuzzResult.Accept;
    }

    /// <inheritdoc />
    protected override IEnumerable<byte[]> CreateSeeds()
    {
        var bundle = new HeBundle();
        bundle.Set("input:hr", Enumerable.Range(0, 300).Select(i => (byte)i).ToArray());
        bundle.Set("output:mean", Encoding.UTF8.GetBytes("KHE payload"));
        bundle.Set("é-name", []);
        yield return bundle.Serialize();
        yield return new HeBundle().Serialize();
    }
}

/// <summary>
/// The HE program language (<see cref="HeProgramParser.Parse"/>: documented failure <see cref="HeSyntaxException"/>)
/// and the compiler behind it (<see cref="HeCompiler.Compile(HeProgram, HeCompilerOptions?)"/>: <see cref="HeCompilationException"/>).
/// Invariant: a parsed program prints to source that parses and prints the same.
/// </summary>
public sealed class HeProgramTarget : TextFuzzTarget
{
    /// <inheritdoc />
    public override string Name => "he-program";

    /// <inheritdoc />
    public override string Description => "HE program text parsing and compilation (HeProgramParser.Parse, HeCompiler.Compile); invariant: printed programs parse back to the same text";

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary =>
        ["program ", "slots ", "precision ", "secret ", "clear ", " in [", "]", "let ", "output ", "sum(", "sqrt(", "rotate(", "inverse(", "exp(", "poly(", "*", "/", "+", "-", "^", "(", ")", ",", "#", "1e300", "4096", "65536", "0.0000001"];

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds()
    {
        foreach (var name in HeExamplePrograms.Names)
        {
            yield return HeExamplePrograms.Source(name);
        }

        yield return "program tiny\nslots 8\nsecret x in [0, 10]\noutput y = x * x + 1\n";
    }

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        HeProgram program;
        try
        {
            program = HeProgramParser.Parse(text);
        }
        catch (HeSyntaxException ex)
        {
            return FuzzResult.Reject(ex.Reason);
        }

        var printed = program.ToSource();
        string reprinted;
        try
        {
            reprinted = HeProgramParser.Parse(printed).ToSource();
        }
        catch (HeSyntaxException ex)
        {
            throw new FuzzInvariantException("he-program-print", $"a parsed program prints to source that does not parse: {ex.Message}");
        }

        if (reprinted != printed)
        {
            throw new FuzzInvariantException("he-program-print", "a parsed program's printed source parses to a different program");
        }

        try
        {
            _ = HeCompiler.Compile(program);
        }
        catch (HeCompilationException ex)
        {
            return FuzzResult.Reject(ex.Message);
        }

        return FuzzResult.Accept;
    }
}
