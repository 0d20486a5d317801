using Konfido.Puf.Evaluation;
using Konfido.Puf.Simulation;

namespace Konfido.Puf.Tests.Evaluation;

public sealed class EvaluationTests
{
    private static readonly PufEvaluationReport Report = PufEvaluator.Evaluate(new PufEvaluationOptions
    {
        Devices = 6,
        Challenges = 6,
        Repeats = 3,
        KeyTrials = 12,
        AttackTrainingPairs = 240,
        Seed = 7,
    });

    [Fact]
    public void Simulated_devices_are_unique_reliable_and_balanced()
    {
        Assert.InRange(Report.Uniqueness, 45, 55);          // a device copy or a constant PUF would be far below
        Assert.InRange(Report.Reliability, 94, 99.9);       // noise exists but is small at nominal temperature
        Assert.InRange(Report.Uniformity, 48, 52);
        Assert.InRange(Report.BitAliasing, 45, 55);
        // Per-bit aliasing spread near the binomial 50/sqrt(6) ≈ 20 %: bits stuck across devices would give ~50 %.
        Assert.InRange(Report.BitAliasingDeviation, 10, 30);
        Assert.InRange(Report.MinEntropyPerBit, 0.9, 1.0);
        Assert.True(Report.RawBitErrorRate > Report.NominalBitErrorRate, "the worst-case temperature must hurt");
        Assert.InRange(Report.RawBitErrorRate, 0.01, 0.10);
        Assert.True(Report.InterDistances.Min() > 0.35);
        Assert.True(Report.IntraDistances.Max() < 0.15);
    }

    [Fact]
    public void Key_failure_meets_the_target_analytically_and_in_trials()
    {
        Assert.Equal(12, Report.KeyFailure.Trials);
        Assert.Equal(0, Report.KeyFailure.Failures);
        Assert.True(Report.KeyFailure.AnalyticBound <= 1e-9, $"bound {Report.KeyFailure.AnalyticBound}");
        Assert.InRange(Report.KeyFailure.BitErrorRate, 0.005, 0.10);
    }

    [Fact]
    public void A_linear_model_cannot_predict_the_speckle_response()
    {
        Assert.NotNull(Report.ModellingAttack);
        Assert.InRange(Report.ModellingAttack.Accuracy, 0.44, 0.58);
    }

    [Fact]
    public void The_linear_attack_does_learn_a_linear_function()
    {
        // Control: responses that ARE a linear threshold of the challenge bits must be learnt, so the
        // near-50 % result above is a property of the PUF, not of a broken regression.
        var random = new Random(3);
        var weights = Enumerable.Range(0, 64).Select(_ => random.NextDouble() - 0.5).ToArray();
        var challenges = Enumerable.Range(0, 400).Select(_ => new PufChallenge((ulong)random.NextInt64(), random.Next(8))).ToArray();
        var features = challenges.Select(LinearModellingAttack.Featurize).ToList();
        var responses = features.Select(f => new[] { (byte)(f.Take(64).Zip(weights).Sum(p => p.First * p.Second) > 0 ? 1 : 0) }).ToList();
        var accuracy = LinearModellingAttack.Accuracy(features[..300], responses[..300], features[300..], responses[300..]);
        Assert.True(accuracy > 0.75, $"accuracy {accuracy}");
    }

    [Fact]
    public void Min_entropy_follows_sp800_90b_mcv()
    {
        var balanced = Enumerable.Range(0, 10000).Select(i => (byte)(i & 1)).ToArray();
        var expected = -Math.Log2(0.5 + 2.576 * Math.Sqrt(0.25 / 9999));
        Assert.Equal(expected, MinEntropy.MostCommonValue(balanced), 10);
        Assert.Equal(0, MinEntropy.MostCommonValue(new byte[100]), 10);
    }

    [Fact]
    public void Histogram_is_a_valid_png()
    {
        var png = HistogramPng.Render("test", Report.InterDistances, Report.IntraDistances);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        Assert.Equal("IEND"u8.ToArray(), png[^8..^4]);
    }
}
