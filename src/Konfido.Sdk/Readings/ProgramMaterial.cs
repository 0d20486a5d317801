using Konfido.He.Compiler;
using Konfido.He.Compiler.Runtime;
using Konfido.He.Serialization;

namespace Konfido.Sdk;

/// <summary>The reading kinds the SDK and the device simulator know, with their units.</summary>
public static class ReadingKinds
{
    /// <summary>Blood glucose, mmol/L (one decimal).</summary>
    public const string Glucose = "glucose";

    /// <summary>Systolic blood pressure, mmHg.</summary>
    public const string Systolic = "systolic";

    /// <summary>Diastolic blood pressure, mmHg.</summary>
    public const string Diastolic = "diastolic";

    /// <summary>Heart rate, beats per minute.</summary>
    public const string HeartRate = "heart-rate";

    /// <summary>Every kind, in a stable order.</summary>
    public static IReadOnlyList<string> All { get; } = [Glucose, Systolic, Diastolic, HeartRate];

    /// <summary>The unit of <paramref name="kind"/>.</summary>
    /// <param name="kind">A kind of <see cref="All"/>.</param>
    public static string Unit(string kind) => kind switch
    {
        Glucose => "mmol/L",
        Systolic or Diastolic => "mmHg",
        HeartRate => "/min",
        _ => throw new ArgumentException($"unknown reading kind '{kind}'", nameof(kind)),
    };

    /// <summary>The decimals kept when <paramref name="kind"/> is encoded as an integer (glucose 1, the others 0).</summary>
    /// <param name="kind">A kind of <see cref="All"/>.</param>
    public static int Decimals(string kind)
    {
        _ = Unit(kind);
        return kind == Glucose ? 1 : 0;
    }

    /// <summary>
    /// The HE program that aggregates a stream of <paramref name="kind"/> readings: one secret integer vector of
    /// <paramref name="slots"/> readings per batch (unused slots zero); the node adds the batches' ciphertexts and
    /// the program sums the slots (BFV, exact). The data owner divides the decrypted total by the reading count.
    /// A slot may accumulate up to 2^24 - 1 over all batches. Requires slots a power of two in 8..1024.
    /// </summary>
    /// <param name="kind">A kind of <see cref="All"/>.</param>
    /// <param name="slots">Readings per batch.</param>
    public static string ProgramSource(string kind, int slots = 64)
    {
        _ = Unit(kind);
        if (slots is < 8 or > 1024 || (slots & (slots - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(slots), slots, "slots must be a power of two in 8..1024");
        }

        return $"""
            # The total of a stream of encrypted {kind} readings ({Unit(kind)} x 10^{Decimals(kind)}), batches added by the node.
            program readings_{kind.Replace('-', '_')}
            slots {slots}
            secret value int in [0, 16777215]
            output total = sum(value)

            """;
    }
}

/// <summary>
/// A program's public encryption material as a device holds it: the compiled program and the data owner's
/// public key (never a secret key). Encrypts batches of readings. Thread-safe.
/// </summary>
public sealed class ProgramMaterial
{
    private readonly HeInputEncryptor _encryptor;
    private readonly Lock _gate = new();

    private ProgramMaterial(AnalyticsProgram info, byte[] program, byte[] publicKey, HeInputEncryptor encryptor)
    {
        Info = info;
        ProgramBytes = program;
        PublicKeyBytes = publicKey;
        _encryptor = encryptor;
    }

    /// <summary>The program's description.</summary>
    public AnalyticsProgram Info { get; }

    internal byte[] ProgramBytes { get; }

    internal byte[] PublicKeyBytes { get; }

    /// <summary>
    /// Loads material (from the node or a device's cache). Throws <see cref="FormatException"/> if the program or key
    /// does not load, the key is not the one <see cref="AnalyticsProgram.KeyId"/> names, or the program does not have
    /// exactly the one secret input <see cref="AnalyticsProgram.Input"/>.
    /// </summary>
    /// <param name="info">The program's description.</param>
    /// <param name="program">The serialised compiled program.</param>
    /// <param name="publicKey">The serialised key bundle holding the public key.</param>
    public static ProgramMaterial Load(AnalyticsProgram info, byte[] program, byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(publicKey);
        if (!string.Equals(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(publicKey)), info.KeyId, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"program '{info.Id}': the public key is not the key {info.KeyId} the program names");
        }

        try
        {
            var compiled = CompiledProgram.Deserialize(program);
            if (compiled.SecretInputs is not [var input] || input != info.Input || compiled.Program.Slots != info.Slots)
            {
                throw new FormatException($"program '{info.Id}' must have exactly the secret input '{info.Input}' over {info.Slots} slots");
            }

            return new ProgramMaterial(info, program, publicKey, new HeInputEncryptor(compiled, HeBundle.Deserialize(publicKey)));
        }
        catch (HeFormatException ex)
        {
            throw new FormatException($"program '{info.Id}' material does not load: {ex.Message}", ex);
        }
    }

    /// <summary>The integer a reading is encoded as: round(value × 10^Decimals). Throws <see cref="ArgumentOutOfRangeException"/> outside 0..MaxValue.</summary>
    /// <param name="value">The reading in its unit.</param>
    public long Encode(double value)
    {
        var scaled = Math.Round(value * Math.Pow(10, Info.Decimals), MidpointRounding.AwayFromZero);
        if (!double.IsFinite(scaled) || scaled < 0 || scaled > Info.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"a {Info.Kind} reading must encode to 0..{Info.MaxValue}");
        }

        return (long)scaled;
    }

    /// <summary>Encrypts one batch (1..Slots readings, the rest of the slots zero) with the public key. Requires readings that <see cref="Encode"/> accepts.</summary>
    /// <param name="readings">The readings in their unit.</param>
    public byte[] EncryptBatch(IReadOnlyList<double> readings)
    {
        ArgumentNullException.ThrowIfNull(readings);
        if (readings.Count < 1 || readings.Count > Info.Slots)
        {
            throw new ArgumentOutOfRangeException(nameof(readings), readings.Count, $"a batch holds 1..{Info.Slots} readings");
        }

        var vector = new double[Info.Slots];
        for (var i = 0; i < readings.Count; i++)
        {
            vector[i] = Encode(readings[i]);
        }

        lock (_gate)
        {
            return _encryptor.Encrypt(Info.Input, vector);
        }
    }
}
