using Konfido.Puf.Keys;

namespace Konfido.Puf.Protocol;

/// <summary>
/// The device-authentication protocol's parameters as a user writes them (validated by
/// <see cref="PufProtocolSettings.Create"/>). The error-correcting code is chosen from
/// <see cref="DesignBitErrorRate"/>, the worst-case raw bit-error rate (measured with <c>konfido puf eval</c>
/// at the model's worst-case temperature, plus margin), for a key-failure rate of at most
/// <see cref="TargetFailureRate"/>.
/// </summary>
public sealed record PufProtocolParameters
{
    /// <summary>The raw bit-error rate the code must tolerate (default 0.06: measured ≈ 0.045 at 60 °C plus margin).</summary>
    public double DesignBitErrorRate { get; init; } = 0.06;

    /// <summary>The min-entropy per response bit assumed in the leakage budget (default 0.95, below the measured MCV estimate).</summary>
    public double MinEntropyPerBit { get; init; } = 0.95;

    /// <summary>The acceptable probability that a genuine device fails to authenticate (default 1e-9).</summary>
    public double TargetFailureRate { get; init; } = 1e-9;

    /// <summary>The number of single-use challenges enrolled per device (default 32).</summary>
    public int ChallengePoolSize { get; init; } = 32;

    /// <summary>Reads per challenge at enrolment, combined by majority to a reliable reference (odd; default 5).</summary>
    public int EnrolmentReads { get; init; } = 5;

    /// <summary>Bits of the public fingerprint response used to detect clones at enrolment (default 512).</summary>
    public int FingerprintBits { get; init; } = 512;

    /// <summary>A new device whose fingerprint is closer than this fractional Hamming distance to an enrolled one is refused as a clone (default 0.25).</summary>
    public double CloneThreshold { get; init; } = 0.25;

    /// <summary>How long a started authentication stays open (default 2 minutes).</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>Validated protocol settings with the chosen reverse-fuzzy-extractor code.</summary>
public sealed class PufProtocolSettings
{
    /// <summary>The public challenge seed every device answers at enrolment for clone detection.</summary>
    public static ReadOnlySpan<byte> FingerprintSeed => "konfido-puf fingerprint v1"u8;

    private PufProtocolSettings(PufProtocolParameters parameters, FuzzyExtractorDesign design, FuzzyExtractorSettings code)
    {
        Parameters = parameters;
        Design = design;
        Code = code;
    }

    /// <summary>The literal parameters.</summary>
    public PufProtocolParameters Parameters { get; }

    /// <summary>The code design with its analytic failure rate.</summary>
    public FuzzyExtractorDesign Design { get; }

    /// <summary>The code used by the sketch (repetition + BCH).</summary>
    public FuzzyExtractorSettings Code { get; }

    /// <summary>Response bits per authentication challenge (the codeword length).</summary>
    public int ResponseBits => Code.Code.CodewordBits;

    /// <summary>Validates <paramref name="parameters"/> and designs the code; throws <see cref="ArgumentException"/> explaining a rejection.</summary>
    /// <param name="parameters">The literal parameters (defaults if null).</param>
    public static PufProtocolSettings Create(PufProtocolParameters? parameters = null)
    {
        var p = parameters ?? new PufProtocolParameters();
        if (!(p.DesignBitErrorRate > 0 && p.DesignBitErrorRate < 0.25))
        {
            throw new ArgumentException($"DesignBitErrorRate must lie in (0, 0.25), got {p.DesignBitErrorRate}", nameof(parameters));
        }

        if (!(p.MinEntropyPerBit > 0.5 && p.MinEntropyPerBit <= 1))
        {
            throw new ArgumentException($"MinEntropyPerBit must lie in (0.5, 1], got {p.MinEntropyPerBit}", nameof(parameters));
        }

        if (!(p.TargetFailureRate > 0 && p.TargetFailureRate < 1e-3))
        {
            throw new ArgumentException($"TargetFailureRate must lie in (0, 1e-3), got {p.TargetFailureRate}", nameof(parameters));
        }

        if (p.ChallengePoolSize is < 1 or > 4096)
        {
            throw new ArgumentException($"ChallengePoolSize must be between 1 and 4096, got {p.ChallengePoolSize}", nameof(parameters));
        }

        if (p.EnrolmentReads < 1 || p.EnrolmentReads % 2 == 0)
        {
            throw new ArgumentException($"EnrolmentReads must be odd and positive, got {p.EnrolmentReads}", nameof(parameters));
        }

        if (p.FingerprintBits is < 64 or > 65536 || !(p.CloneThreshold > 0 && p.CloneThreshold < 0.5))
        {
            throw new ArgumentException("FingerprintBits must be 64..65536 and CloneThreshold in (0, 0.5)", nameof(parameters));
        }

        if (p.SessionTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("SessionTimeout must be positive", nameof(parameters));
        }

        var design = FuzzyExtractorDesigner.Choose(p.DesignBitErrorRate, p.MinEntropyPerBit, 32, p.TargetFailureRate)
            ?? throw new ArgumentException($"no repetition + BCH code reaches {p.TargetFailureRate:g} at bit-error rate {p.DesignBitErrorRate}", nameof(parameters));
        return new PufProtocolSettings(p, design, FuzzyExtractorSettings.Create(design.Parameters));
    }
}
