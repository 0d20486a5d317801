using Konfido.Puf.Coding;

namespace Konfido.Puf.Keys;

/// <summary>
/// The parameters of the code-offset fuzzy extractor as a user writes them: the outer BCH code
/// (m, t), the inner repetition factor, the number of BCH blocks, the key length and whether
/// responses are debiased first (validated by <see cref="FuzzyExtractorSettings.Create"/>).
/// </summary>
/// <param name="BchM">The BCH field degree (length 2^m - 1).</param>
/// <param name="BchT">The BCH correction capability.</param>
/// <param name="Repetition">The inner repetition factor (odd, 1 = none).</param>
/// <param name="Blocks">The number of BCH blocks.</param>
/// <param name="KeyBytes">The key length: 16 or 32.</param>
/// <param name="Debias">Whether to apply von Neumann debiasing to the responses first.</param>
public sealed record FuzzyExtractorParameters(int BchM, int BchT, int Repetition, int Blocks, int KeyBytes = 32, bool Debias = false);

/// <summary>Validated, immutable fuzzy-extractor settings with the built code.</summary>
public sealed class FuzzyExtractorSettings
{
    private FuzzyExtractorSettings(FuzzyExtractorParameters parameters, ConcatenatedCode code)
    {
        Parameters = parameters;
        Code = code;
    }

    /// <summary>The parameters these settings were built from.</summary>
    public FuzzyExtractorParameters Parameters { get; }

    /// <summary>The concatenated repetition + BCH code.</summary>
    public ConcatenatedCode Code { get; }

    /// <summary>
    /// Bits the helper data leaks about the response, at most: codeword bits minus message bits
    /// (Dodis–Reyzin–Smith, Lemma 3.1). Von Neumann selection leaks nothing more for independent bits.
    /// </summary>
    public int EntropyLossBits => Code.CodewordBits - Code.MessageBits;

    /// <summary>Validates <paramref name="parameters"/>; null with the reason when unusable.</summary>
    /// <param name="parameters">The literal parameters.</param>
    /// <param name="error">Why they were rejected.</param>
    public static FuzzyExtractorSettings? TryCreate(FuzzyExtractorParameters parameters, out string? error)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Repetition < 1 || parameters.Repetition % 2 == 0 || parameters.Repetition > 63)
        {
            error = $"the repetition factor must be odd and between 1 and 63, got {parameters.Repetition}";
            return null;
        }

        if (parameters.Blocks is < 1 or > 64)
        {
            error = $"blocks must be between 1 and 64, got {parameters.Blocks}";
            return null;
        }

        if (parameters.KeyBytes is not (16 or 32))
        {
            error = $"the key must be 16 or 32 bytes, got {parameters.KeyBytes}";
            return null;
        }

        if (parameters.BchM > 12)
        {
            error = $"BCH m above 12 makes helper data impractically large for a PUF key, got {parameters.BchM}";
            return null;
        }

        var bch = BchCode.TryCreate(new BchParameters(parameters.BchM, parameters.BchT), out error);
        if (bch is null)
        {
            return null;
        }

        error = null;
        return new FuzzyExtractorSettings(parameters, new ConcatenatedCode(bch, parameters.Repetition, parameters.Blocks));
    }

    /// <summary>Validates <paramref name="parameters"/>; throws <see cref="ArgumentException"/> with the reason when unusable.</summary>
    /// <param name="parameters">The literal parameters.</param>
    public static FuzzyExtractorSettings Create(FuzzyExtractorParameters parameters) =>
        TryCreate(parameters, out var error) ?? throw new ArgumentException(error, nameof(parameters));
}

/// <summary>A parameter choice with its analytic justification.</summary>
/// <param name="Parameters">The chosen parameters.</param>
/// <param name="BitErrorRate">The raw bit-error rate designed for.</param>
/// <param name="Log10FailureRate">log10 of the analytic key-failure probability at that rate.</param>
/// <param name="ResponseBits">Response bits consumed (before debiasing).</param>
/// <param name="ResidualEntropyBits">Lower bound on the min-entropy left after the helper data leak.</param>
public sealed record FuzzyExtractorDesign(
    FuzzyExtractorParameters Parameters,
    double BitErrorRate,
    double Log10FailureRate,
    int ResponseBits,
    double ResidualEntropyBits);

/// <summary>Chooses fuzzy-extractor parameters from a measured bit-error rate.</summary>
public static class FuzzyExtractorDesigner
{
    /// <summary>
    /// The design with the fewest response bits whose analytic key-failure rate at bit-error rate
    /// <paramref name="bitErrorRate"/> is at most <paramref name="targetFailureRate"/> and whose residual
    /// min-entropy (at <paramref name="minEntropyPerBit"/>) is at least the key length in bits.
    /// Null if no design within m ≤ 10, r ≤ 15, B ≤ 16 achieves it. Requires 0 &lt; bitErrorRate &lt; 0.5.
    /// </summary>
    /// <param name="bitErrorRate">The worst-case raw bit-error rate (with margin already added).</param>
    /// <param name="minEntropyPerBit">The min-entropy per response bit, 0..1.</param>
    /// <param name="keyBytes">16 or 32.</param>
    /// <param name="targetFailureRate">The acceptable key-failure probability, e.g. 1e-9.</param>
    public static FuzzyExtractorDesign? Choose(double bitErrorRate, double minEntropyPerBit, int keyBytes = 32, double targetFailureRate = 1e-9)
    {
        if (!(bitErrorRate > 0 && bitErrorRate < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(bitErrorRate), bitErrorRate, "the bit-error rate must lie in (0, 0.5)");
        }

        if (!(minEntropyPerBit > 0 && minEntropyPerBit <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(minEntropyPerBit), minEntropyPerBit, "min-entropy per bit must lie in (0, 1]");
        }

        var targetLog = Math.Log10(targetFailureRate);
        FuzzyExtractorDesign? best = null;
        for (var m = 5; m <= 10; m++)
        {
            var n = (1 << m) - 1;
            for (var r = 1; r <= 15; r += 2)
            {
                for (var t = 1; 2 * t < n; t++)
                {
                    var k = n - BchCode.GeneratorDegree(m, t);
                    if (k <= 0)
                    {
                        break;
                    }

                    var perBlock = k - r * n * (1 - minEntropyPerBit);
                    if (perBlock <= 0)
                    {
                        continue;
                    }

                    var blocks = (int)Math.Ceiling(keyBytes * 8 / perBlock);
                    if (blocks > 16)
                    {
                        continue;
                    }

                    var log = FailureAnalysis.Log10KeyFailure(bitErrorRate, n, t, r, blocks);
                    if (log > targetLog)
                    {
                        continue;
                    }

                    var bits = blocks * n * r;
                    if (best is null || bits < best.ResponseBits)
                    {
                        best = new FuzzyExtractorDesign(
                            new FuzzyExtractorParameters(m, t, r, blocks, keyBytes),
                            bitErrorRate,
                            log,
                            bits,
                            blocks * perBlock);
                    }

                    break; // larger t only costs entropy for this (m, r)
                }
            }
        }

        return best;
    }
}
