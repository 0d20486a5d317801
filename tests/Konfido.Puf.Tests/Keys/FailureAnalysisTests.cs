using Konfido.Puf.Coding;
using Konfido.Puf.Keys;

namespace Konfido.Puf.Tests.Keys;

public sealed class FailureAnalysisTests
{
    [Theory]
    [InlineData(10, 0.1, 2)]
    [InlineData(63, 0.02, 5)]
    [InlineData(255, 0.001, 8)]
    [InlineData(15, 0.5, 7)]
    public void Log_tail_matches_direct_summation(int n, double p, int t)
    {
        // Direct sum with exact binomial coefficients in decimal arithmetic.
        var direct = 0.0;
        for (var i = t + 1; i <= n; i++)
        {
            direct += Choose(n, i) * Math.Pow(p, i) * Math.Pow(1 - p, n - i);
        }

        Assert.Equal(Math.Log(direct), FailureAnalysis.LogUpperTail(n, p, t), 6);
    }

    [Fact]
    public void Tails_far_below_double_range_do_not_underflow()
    {
        var log = FailureAnalysis.LogUpperTail(1023, 1e-6, 100);
        Assert.True(double.IsFinite(log) && log < -1000);
    }

    [Fact]
    public void Repetition_of_three_fails_when_two_of_three_flip()
    {
        const double p = 0.1;
        Assert.Equal(3 * p * p * (1 - p) + p * p * p, FailureAnalysis.RepetitionFailure(p, 3), 12);
    }

    [Theory]
    [InlineData(0.02)]
    [InlineData(0.05)]
    [InlineData(0.10)]
    public void Designer_meets_the_target_and_leaves_enough_entropy(double ber)
    {
        var design = FuzzyExtractorDesigner.Choose(ber, minEntropyPerBit: 0.97, keyBytes: 32, targetFailureRate: 1e-9);
        Assert.NotNull(design);
        Assert.True(design.Log10FailureRate <= -9);
        Assert.True(design.ResidualEntropyBits >= 256);
        var settings = FuzzyExtractorSettings.Create(design.Parameters);
        Assert.Equal(design.ResponseBits, settings.Code.CodewordBits);
        // The chosen code is not over-designed by orders of magnitude at this error rate:
        // one less correctable error must already miss the target (or t = 1).
        var p = design.Parameters;
        if (p.BchT > 1)
        {
            var weaker = FailureAnalysis.Log10KeyFailure(ber, (1 << p.BchM) - 1, p.BchT - 1, p.Repetition, p.Blocks);
            Assert.True(weaker > -9);
        }

        Assert.True(BchCode.GeneratorDegree(p.BchM, p.BchT) == settings.Code.Outer.ParityBits);
    }

    private static double Choose(int n, int k)
    {
        var r = 1.0;
        for (var i = 1; i <= k; i++)
        {
            r = r * (n - k + i) / i;
        }

        return r;
    }
}
