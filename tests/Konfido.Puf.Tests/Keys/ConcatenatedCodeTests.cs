using Konfido.Puf.Coding;
using Konfido.Puf.Keys;

namespace Konfido.Puf.Tests.Keys;

public sealed class ConcatenatedCodeTests
{
    [Fact]
    public void Analytic_failure_rate_matches_simulation_where_failures_are_observable()
    {
        // At an error rate high enough to see failures, the binomial-tail formula must agree with
        // Monte-Carlo decoding of the real code (the same formula certifies 1e-9 at the design rate).
        var code = new ConcatenatedCode(BchCode.Create(new BchParameters(6, 3)), repetition: 3, blocks: 1);
        const double p = 0.08;
        var analytic = Math.Pow(10, FailureAnalysis.Log10KeyFailure(p, 63, 3, 3, 1));
        var random = new Random(11);
        const int trials = 6000;
        var failures = 0;
        var message = new byte[code.MessageBits];
        var codeword = new byte[code.CodewordBits];
        for (var trial = 0; trial < trials; trial++)
        {
            for (var i = 0; i < message.Length; i++)
            {
                message[i] = (byte)random.Next(2);
            }

            code.Encode(message, codeword);
            var noisy = (byte[])codeword.Clone();
            for (var i = 0; i < noisy.Length; i++)
            {
                if (random.NextDouble() < p)
                {
                    noisy[i] ^= 1;
                }
            }

            if (code.DecodeToCodeword(noisy) < 0 || !noisy.AsSpan().SequenceEqual(codeword))
            {
                failures++;
            }
        }

        var measured = (double)failures / trials;
        var sigma = Math.Sqrt(analytic * (1 - analytic) / trials);
        Assert.InRange(analytic, 0.005, 0.2); // the regime is informative
        Assert.InRange(measured, analytic - 4 * sigma, analytic + 4 * sigma);
    }

    [Fact]
    public void Repetition_majority_and_bch_together_correct_what_neither_corrects_alone()
    {
        var code = new ConcatenatedCode(BchCode.Create(new BchParameters(5, 2)), repetition: 5, blocks: 2);
        var random = new Random(12);
        var message = Enumerable.Range(0, code.MessageBits).Select(_ => (byte)random.Next(2)).ToArray();
        var codeword = new byte[code.CodewordBits];
        code.Encode(message, codeword);
        var noisy = (byte[])codeword.Clone();
        // Two flips in every repetition group (majority still right) plus three whole groups wrong in
        // block 0 would exceed t = 2; keep two wrong groups per block: exactly correctable.
        for (var group = 0; group < code.CodewordBits / 5; group++)
        {
            noisy[group * 5] ^= 1;
            noisy[group * 5 + 1] ^= 1;
        }

        foreach (var group in new[] { 3, 17, 31 + 4, 31 + 20 })
        {
            for (var i = 0; i < 5; i++)
            {
                noisy[group * 5 + i] = (byte)(codeword[group * 5 + i] ^ 1);
            }
        }

        Assert.Equal(4, code.DecodeToCodeword(noisy));
        Assert.Equal(codeword, noisy);
    }
}
