// Polynomial approximation of non-polynomial functions for encrypted evaluation.
// References:
//  - J. C. Mason, D. C. Handscomb, "Chebyshev Polynomials", CRC 2003, ch. 6 (interpolation at the
//    Chebyshev points of the first kind: near-minimax, error within a log factor of the best).
//  - J. H. Cheon, D. Kim, D. Kim, H. H. Lee, K. Lee, "Numerical method for comparison on
//    homomorphically encrypted numbers", ASIACRYPT 2019 (comparison and min/max from |x|).
//  - A. Kim, Y. Song, M. Kim, K. Lee, J. H. Cheon, "Logistic regression model training based on the
//    approximate homomorphic encryption", BMC Med. Genomics 2018 (sigmoid by low-degree polynomials).
// The operand x in [low, high] is first mapped to y = (2x - low - high) / (high - low) in [-1, 1];
// the interpolant of degree d (2..31) in y is converted to the power basis, where d <= 15 keeps the
// coefficients small enough for CKKS (|c_i| <= 2^(d-1) max |f|).
namespace Konfido.He.Compiler;

/// <summary>Exact values and Chebyshev interpolants of the functions in <see cref="ApproxFunction"/>.</summary>
public static class Approximation
{
    /// <summary>The exact function value (the clear semantics of a program).</summary>
    public static double Exact(ApproxFunction function, double x) => function switch
    {
        ApproxFunction.Sigmoid => 1.0 / (1.0 + Math.Exp(-x)),
        ApproxFunction.Abs => Math.Abs(x),
        ApproxFunction.Sqrt => Math.Sqrt(Math.Max(0, x)),
        ApproxFunction.Step => x > 0 ? 1 : x < 0 ? 0 : 0.5,
        ApproxFunction.Inverse => x == 0 ? 0 : 1.0 / x,
        _ => throw new ArgumentOutOfRangeException(nameof(function)),
    };

    /// <summary>
    /// Power-basis coefficients (lowest first) in y = (2x - low - high)/(high - low) of the degree-d
    /// Chebyshev interpolant of <paramref name="function"/> on [low, high]. Requires low &lt; high, 1 &lt;= d &lt;= 31.
    /// </summary>
    public static double[] PowerCoefficients(ApproxFunction function, double low, double high, int degree)
    {
        if (!(low < high) || degree < 1 || degree > 31)
        {
            throw new ArgumentOutOfRangeException(nameof(degree), "requires low < high and a degree of 1 to 31.");
        }

        int n = degree + 1;
        var samples = new double[n];
        var nodes = new double[n];
        for (int k = 0; k < n; k++)
        {
            nodes[k] = Math.Cos(Math.PI * (k + 0.5) / n);
            samples[k] = Exact(function, (low + high) / 2 + (high - low) / 2 * nodes[k]);
        }

        // Chebyshev coefficients a_j = (2/n) sum_k f(y_k) T_j(y_k), with a_0 halved.
        var chebyshev = new double[n];
        for (int j = 0; j < n; j++)
        {
            double sum = 0;
            for (int k = 0; k < n; k++)
            {
                sum += samples[k] * Math.Cos(j * Math.PI * (k + 0.5) / n);
            }

            chebyshev[j] = 2.0 / n * sum;
        }

        chebyshev[0] /= 2;

        // T_0 = 1, T_1 = y, T_{j+1} = 2y T_j - T_{j-1}, accumulated in the power basis.
        var power = new double[n];
        var previous = new double[n];
        var current = new double[n];
        previous[0] = 1;
        current[1] = 1;
        power[0] += chebyshev[0];
        power[1] += chebyshev[1];

        for (int j = 2; j < n; j++)
        {
            var next = new double[n];
            for (int i = 0; i < n - 1; i++)
            {
                next[i + 1] += 2 * current[i];
            }

            for (int i = 0; i < n; i++)
            {
                next[i] -= previous[i];
            }

            for (int i = 0; i < n; i++)
            {
                power[i] += chebyshev[j] * next[i];
            }

            previous = current;
            current = next;
        }

        return power;
    }

    /// <summary>Evaluates power-basis coefficients at y (Horner).</summary>
    public static double EvaluatePower(IReadOnlyList<double> coefficients, double y)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        double value = 0;
        for (int i = coefficients.Count - 1; i >= 0; i--)
        {
            value = value * y + coefficients[i];
        }

        return value;
    }

    /// <summary>The largest |f(x) - p(x)| over 2001 evenly spaced points of [low, high] (steps: away from 0 by 2% of the range).</summary>
    public static double MaxError(ApproxFunction function, double low, double high, int degree)
    {
        var coefficients = PowerCoefficients(function, low, high, degree);
        double worst = 0;
        double guard = function == ApproxFunction.Step ? 0.02 * (high - low) : 0;
        for (int i = 0; i <= 2000; i++)
        {
            double x = low + (high - low) * i / 2000;
            if (Math.Abs(x) < guard)
            {
                continue;
            }

            double y = (2 * x - low - high) / (high - low);
            worst = Math.Max(worst, Math.Abs(Exact(function, x) - EvaluatePower(coefficients, y)));
        }

        return worst;
    }
}
