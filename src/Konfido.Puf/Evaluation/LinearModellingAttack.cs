// A machine-learning modelling attack: ridge (least-squares) linear regression of each response
// bit (±1) on challenge features (64 SLM bits as ±1, one-hot wavelength channel, bias), trained on
// observed challenge-response pairs and scored by prediction accuracy on fresh challenges.
// Reference: U. Rührmair et al., "Modeling attacks on physical unclonable functions", CCS 2010.
// Note: speckle intensity is a quadratic form of the input field (Rührmair et al., "Optical PUFs
// reloaded", eprint 2013/215), so a linear model is expected to fail while quadratic-feature models
// with enough CRPs may not; this class measures the linear case only.
namespace Konfido.Puf.Evaluation;

/// <summary>Linear least-squares prediction of response bits from challenge features.</summary>
public static class LinearModellingAttack
{
    /// <summary>The number of features per challenge: 64 SLM bits, 8 wavelength channels, a bias.</summary>
    public const int Features = 64 + 8 + 1;

    /// <summary>The feature vector of a challenge.</summary>
    /// <param name="challenge">The challenge.</param>
    public static double[] Featurize(Simulation.PufChallenge challenge)
    {
        var f = new double[Features];
        for (var i = 0; i < 64; i++)
        {
            f[i] = (challenge.SlmPattern >> i & 1) == 1 ? 1 : -1;
        }

        f[64 + challenge.WavelengthChannel] = 1;
        f[Features - 1] = 1;
        return f;
    }

    /// <summary>
    /// Trains on (features, bits) pairs and returns the fraction of test bits predicted correctly.
    /// Requires equally many feature rows and response rows, all responses of the same length.
    /// </summary>
    /// <param name="trainFeatures">Training challenge features.</param>
    /// <param name="trainResponses">Training response bits (0/1).</param>
    /// <param name="testFeatures">Test challenge features.</param>
    /// <param name="testResponses">Test response bits.</param>
    /// <param name="ridge">The ridge penalty.</param>
    public static double Accuracy(IReadOnlyList<double[]> trainFeatures, IReadOnlyList<byte[]> trainResponses, IReadOnlyList<double[]> testFeatures, IReadOnlyList<byte[]> testResponses, double ridge = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(trainFeatures);
        ArgumentNullException.ThrowIfNull(trainResponses);
        ArgumentNullException.ThrowIfNull(testFeatures);
        ArgumentNullException.ThrowIfNull(testResponses);
        if (trainFeatures.Count != trainResponses.Count || testFeatures.Count != testResponses.Count || trainFeatures.Count == 0 || testFeatures.Count == 0)
        {
            throw new ArgumentException("features and responses must pair up and be non-empty");
        }

        var d = trainFeatures[0].Length;
        var outputs = trainResponses[0].Length;

        // Normal equations (X^T X + ridge I) W = X^T Y, solved by Cholesky.
        var gram = new double[d, d];
        var rhs = new double[d, outputs];
        for (var s = 0; s < trainFeatures.Count; s++)
        {
            var x = trainFeatures[s];
            var y = trainResponses[s];
            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j <= i; j++)
                {
                    gram[i, j] += x[i] * x[j];
                }

                for (var o = 0; o < outputs; o++)
                {
                    rhs[i, o] += x[i] * (y[o] == 1 ? 1 : -1);
                }
            }
        }

        for (var i = 0; i < d; i++)
        {
            gram[i, i] += ridge * trainFeatures.Count;
            for (var j = 0; j < i; j++)
            {
                gram[j, i] = gram[i, j];
            }
        }

        var weights = SolveCholesky(gram, rhs);
        var correct = 0L;
        var total = 0L;
        for (var s = 0; s < testFeatures.Count; s++)
        {
            var x = testFeatures[s];
            for (var o = 0; o < outputs; o++)
            {
                var sum = 0.0;
                for (var i = 0; i < d; i++)
                {
                    sum += x[i] * weights[i, o];
                }

                correct += (sum > 0 ? 1 : 0) == testResponses[s][o] ? 1 : 0;
                total++;
            }
        }

        return (double)correct / total;
    }

    private static double[,] SolveCholesky(double[,] a, double[,] b)
    {
        var n = a.GetLength(0);
        var m = b.GetLength(1);
        var l = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = a[i, j];
                for (var k = 0; k < j; k++)
                {
                    sum -= l[i, k] * l[j, k];
                }

                l[i, j] = i == j ? Math.Sqrt(Math.Max(sum, 1e-12)) : sum / l[j, j];
            }
        }

        var x = new double[n, m];
        for (var c = 0; c < m; c++)
        {
            var y = new double[n];
            for (var i = 0; i < n; i++)
            {
                var sum = b[i, c];
                for (var k = 0; k < i; k++)
                {
                    sum -= l[i, k] * y[k];
                }

                y[i] = sum / l[i, i];
            }

            for (var i = n - 1; i >= 0; i--)
            {
                var sum = y[i];
                for (var k = i + 1; k < n; k++)
                {
                    sum -= l[k, i] * x[k, c];
                }

                x[i, c] = sum / l[i, i];
            }
        }

        return x;
    }
}
