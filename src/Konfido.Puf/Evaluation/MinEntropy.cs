// The most-common-value min-entropy estimate of NIST SP 800-90B (January 2018), section 6.3.1:
// p̂ = (count of the most common value) / L, p_u = min(1, p̂ + 2.576·sqrt(p̂(1 - p̂)/(L - 1))),
// H = -log2(p_u) per sample. Binary samples here: one response bit per sample.
namespace Konfido.Puf.Evaluation;

/// <summary>Min-entropy estimates.</summary>
public static class MinEntropy
{
    /// <summary>The SP 800-90B MCV estimate in bits per binary sample. Requires at least 2 samples.</summary>
    /// <param name="bits">Samples, 0 or 1.</param>
    public static double MostCommonValue(ReadOnlySpan<byte> bits)
    {
        if (bits.Length < 2)
        {
            throw new ArgumentException("at least two samples are needed", nameof(bits));
        }

        var ones = 0;
        foreach (var b in bits)
        {
            ones += b & 1;
        }

        var length = bits.Length;
        var p = Math.Max(ones, length - ones) / (double)length;
        var upper = Math.Min(1, p + 2.576 * Math.Sqrt(p * (1 - p) / (length - 1)));
        return -Math.Log2(upper);
    }
}
