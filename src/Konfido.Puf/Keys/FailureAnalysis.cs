// Analytic failure probability of the concatenated code under independent bit errors of rate p:
//   p_in    = P[Bin(r, p) > r/2]                  (majority of an r-fold repetition fails)
//   P_block = P[Bin(n, p_in) > t]                 (more than t outer errors in one BCH block)
//   P_key   = 1 - (1 - P_block)^B                 (any of B blocks fails)
// Tails are summed in log space (log-binomial coefficients from cumulative log factorials and a
// log-sum-exp) so that values far below 1e-300 do not underflow. Reference: Bösch et al., CHES 2008,
// section 3; Maes, "Physically Unclonable Functions" (Springer 2013), section 6.3.
// Entropy accounting of the code-offset sketch (Dodis, Reyzin, Smith, Eurocrypt 2004, Lemma 3.1):
// the helper data leaks at most (B·n·r - B·k) bits, so residual min-entropy >= h·B·n·r - (B·n·r - B·k)
// for response bits of min-entropy h per bit.
namespace Konfido.Puf.Keys;

/// <summary>Binomial tails in log space and the failure rate of repetition + BCH concatenations.</summary>
public static class FailureAnalysis
{
    /// <summary>ln P[Bin(n, p) &gt; t] (natural log; -infinity when the tail is empty or p = 0). Requires n &gt;= 0, 0 &lt;= p &lt;= 1.</summary>
    /// <param name="n">Trials.</param>
    /// <param name="p">Success probability.</param>
    /// <param name="t">The tail starts above t.</param>
    public static double LogUpperTail(int n, double p, int t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "p must lie in [0, 1]");
        }

        if (t >= n)
        {
            return double.NegativeInfinity;
        }

        if (t < 0)
        {
            return 0;
        }

        if (p == 0)
        {
            return double.NegativeInfinity;
        }

        if (p == 1)
        {
            return 0;
        }

        var logP = Math.Log(p);
        var logQ = Math.Log(1 - p);
        var max = double.NegativeInfinity;
        var terms = new double[n - t];
        for (var i = t + 1; i <= n; i++)
        {
            var term = LogChoose(n, i) + i * logP + (n - i) * logQ;
            terms[i - t - 1] = term;
            max = Math.Max(max, term);
        }

        var sum = 0.0;
        foreach (var term in terms)
        {
            sum += Math.Exp(term - max);
        }

        return Math.Min(0, max + Math.Log(sum));
    }

    /// <summary>The probability that an r-fold repetition's majority vote is wrong at bit-error rate p. Requires r odd.</summary>
    /// <param name="p">Raw bit-error rate.</param>
    /// <param name="repetition">r.</param>
    public static double RepetitionFailure(double p, int repetition) => Math.Exp(LogUpperTail(repetition, p, repetition / 2));

    /// <summary>
    /// log10 of the key-failure probability of B blocks of BCH(n, ·, t) over an r-fold repetition at raw
    /// bit-error rate p (union-free: 1 - (1 - P_block)^B, computed stably).
    /// </summary>
    /// <param name="p">Raw bit-error rate.</param>
    /// <param name="n">BCH length.</param>
    /// <param name="t">BCH correction capability.</param>
    /// <param name="repetition">r.</param>
    /// <param name="blocks">B.</param>
    public static double Log10KeyFailure(double p, int n, int t, int repetition, int blocks)
    {
        var inner = RepetitionFailure(p, repetition);
        var logBlock = LogUpperTail(n, inner, t);
        if (double.IsNegativeInfinity(logBlock))
        {
            return double.NegativeInfinity;
        }

        // 1 - (1 - x)^B = -expm1(B·log1p(-x)), accurate for tiny x.
        var block = Math.Exp(logBlock);
        double key;
        if (block < 1e-12)
        {
            key = blocks * block; // first-order term; relative error < B·x
            return Math.Log10(key);
        }

        key = 1 - Math.Pow(1 - block, blocks); // block >= 1e-12: plain arithmetic is accurate enough
        return Math.Log10(key);
    }

    private static double LogChoose(int n, int k) => LogFactorial(n) - LogFactorial(k) - LogFactorial(n - k);

    private static double LogFactorial(int n)
    {
        // Exact sum for small n, Stirling's series beyond (error < 1e-10 for n >= 20).
        if (n < 20)
        {
            var s = 0.0;
            for (var i = 2; i <= n; i++)
            {
                s += Math.Log(i);
            }

            return s;
        }

        double x = n;
        return x * Math.Log(x) - x + 0.5 * Math.Log(2 * Math.PI * x) + 1 / (12 * x) - 1 / (360 * x * x * x);
    }
}
