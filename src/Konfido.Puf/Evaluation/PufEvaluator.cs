// The standard PUF quality metrics over simulated devices.
// References: A. Maiti, V. Gunreddy, P. Schaumont, "A systematic method to evaluate and compare the
// performance of physical unclonable functions", eprint 2011/657 (uniqueness, reliability,
// uniformity, bit-aliasing as percentages); NIST SP 800-90B section 6.3.1 (MCV min-entropy).
// Definitions used here, for D devices, C challenges (frames of B bits), R re-measurements:
//   uniqueness   = mean over device pairs and challenges of HD(ref_i, ref_j)/B      (ideal 50 %)
//   reliability  = 100 % - mean HD(ref, re-measurement at nominal temperature)/B    (ideal 100 %)
//   raw BER      = mean HD(ref, re-measurement at the worst-case temperature)/B
//   uniformity   = mean fraction of ones per response                                (ideal 50 %)
//   bit-aliasing = mean over bit positions of the fraction of devices with a one     (ideal 50 %)
//   min-entropy  = SP 800-90B MCV estimate over all reference bits as one binary sequence
// Key failure: the fuzzy extractor enrolled on a majority-of-5 reference at nominal temperature,
// reproduced from single reads at the worst-case temperature, counted over trials; the analytic
// bound is the concatenated code's binomial tail at the larger of the two measured error rates.
using Konfido.Puf.Keys;
using Konfido.Puf.Protocol;
using Konfido.Puf.Simulation;

namespace Konfido.Puf.Evaluation;

/// <summary>What to evaluate (validated by <see cref="PufEvaluator.Evaluate"/>).</summary>
public sealed record PufEvaluationOptions
{
    /// <summary>Simulated devices (at least 2).</summary>
    public int Devices { get; init; } = 8;

    /// <summary>Challenges (frames) per device (at least 1).</summary>
    public int Challenges { get; init; } = 16;

    /// <summary>Noisy re-measurements per challenge and condition (at least 1).</summary>
    public int Repeats { get; init; } = 5;

    /// <summary>Key-reproduction trials at the worst-case temperature (0 to skip).</summary>
    public int KeyTrials { get; init; } = 100;

    /// <summary>Challenge-response pairs the modelling attack trains on (0 to skip); it tests on a third as many.</summary>
    public int AttackTrainingPairs { get; init; } = 300;

    /// <summary>Seeds the devices and the noise.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The physical model.</summary>
    public PhotonicPufModel Model { get; init; } = new();

    /// <summary>The protocol settings whose code the key-failure figures refer to (defaults if null).</summary>
    public PufProtocolSettings? Protocol { get; init; }
}

/// <summary>The key-failure figures.</summary>
/// <param name="Measured">Failures / trials.</param>
/// <param name="Failures">Failed reproductions.</param>
/// <param name="Trials">Trials run.</param>
/// <param name="BitErrorRate">The error rate seen in the trials (majority reference vs worst-case read).</param>
/// <param name="AnalyticBound">The binomial-tail failure probability at the larger measured error rate.</param>
public sealed record KeyFailureFigures(double Measured, int Failures, int Trials, double BitErrorRate, double AnalyticBound);

/// <summary>The modelling attack's result.</summary>
/// <param name="TrainingPairs">CRPs trained on.</param>
/// <param name="TestPairs">CRPs tested on.</param>
/// <param name="Accuracy">Fraction of response bits predicted correctly (0.5 = guessing).</param>
public sealed record ModellingAttackFigures(int TrainingPairs, int TestPairs, double Accuracy);

/// <summary>All metrics of one evaluation; percentages are 0..100.</summary>
public sealed record PufEvaluationReport
{
    /// <summary>Devices evaluated.</summary>
    public required int Devices { get; init; }

    /// <summary>Challenges per device.</summary>
    public required int Challenges { get; init; }

    /// <summary>Re-measurements per challenge and condition.</summary>
    public required int Repeats { get; init; }

    /// <summary>Response bits per challenge.</summary>
    public required int BitsPerResponse { get; init; }

    /// <summary>Uniqueness, percent.</summary>
    public required double Uniqueness { get; init; }

    /// <summary>Reliability at nominal temperature, percent.</summary>
    public required double Reliability { get; init; }

    /// <summary>Uniformity, percent.</summary>
    public required double Uniformity { get; init; }

    /// <summary>Bit-aliasing, percent.</summary>
    public required double BitAliasing { get; init; }

    /// <summary>
    /// Standard deviation of the per-bit-position aliasing, percent (its mean always equals uniformity; the
    /// spread shows bits that are stuck across devices: ideal is the binomial 50/sqrt(devices)).
    /// </summary>
    public required double BitAliasingDeviation { get; init; }

    /// <summary>MCV min-entropy per bit.</summary>
    public required double MinEntropyPerBit { get; init; }

    /// <summary>Raw bit-error rate at the worst-case temperature (fraction).</summary>
    public required double RawBitErrorRate { get; init; }

    /// <summary>Raw bit-error rate at the nominal temperature (fraction).</summary>
    public required double NominalBitErrorRate { get; init; }

    /// <summary>The worst-case temperature, °C.</summary>
    public required double WorstCaseTemperatureCelsius { get; init; }

    /// <summary>The code the key figures refer to.</summary>
    public required FuzzyExtractorParameters Code { get; init; }

    /// <summary>Key-failure figures.</summary>
    public required KeyFailureFigures KeyFailure { get; init; }

    /// <summary>Modelling-attack figures, if run.</summary>
    public ModellingAttackFigures? ModellingAttack { get; init; }

    /// <summary>All inter-device fractional distances (per challenge and device pair).</summary>
    public required IReadOnlyList<double> InterDistances { get; init; }

    /// <summary>All intra-device fractional distances (nominal and worst case).</summary>
    public required IReadOnlyList<double> IntraDistances { get; init; }
}

/// <summary>Runs the evaluation on simulated photonic PUFs.</summary>
public static class PufEvaluator
{
    /// <summary>Evaluates; throws <see cref="ArgumentException"/> explaining invalid options.</summary>
    /// <param name="options">What to evaluate.</param>
    /// <param name="cancellationToken">Cancels between measurements.</param>
    public static PufEvaluationReport Evaluate(PufEvaluationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Devices < 2 || options.Devices > 1000)
        {
            throw new ArgumentException($"devices must be between 2 and 1000, got {options.Devices}", nameof(options));
        }

        if (options.Challenges < 1 || options.Challenges > 10000 || options.Repeats < 1 || options.Repeats > 1000)
        {
            throw new ArgumentException("challenges must be 1..10000 and repeats 1..1000", nameof(options));
        }

        if (options.KeyTrials < 0 || options.AttackTrainingPairs < 0)
        {
            throw new ArgumentException("key trials and attack pairs must not be negative", nameof(options));
        }

        var modelError = PhotonicPufSimulator.Validate(options.Model);
        if (modelError is not null)
        {
            throw new ArgumentException(modelError, nameof(options));
        }

        var model = options.Model;
        var protocol = options.Protocol ?? PufProtocolSettings.Create();
        var quantizer = new GaborResponseQuantizer(model.GridSize);
        var bits = quantizer.BitsPerFrame;
        var challenges = PufChallenge.Expand(BitConverter.GetBytes(options.Seed ^ 0xC4A11E46E5UL), options.Challenges);
        var devices = new PhotonicPufSimulator[options.Devices];
        var references = new byte[options.Devices][][];
        var intra = new List<double>();
        var nominalErrors = 0.0;
        var worstErrors = 0.0;
        var frame = new byte[bits];
        for (var d = 0; d < options.Devices; d++)
        {
            devices[d] = PhotonicPufSimulator.Create(model, options.Seed * 1_000_003UL + (ulong)d, options.Seed ^ (0xA5A5UL + (ulong)d));
            references[d] = new byte[options.Challenges][];
            for (var c = 0; c < options.Challenges; c++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                references[d][c] = new byte[bits];
                quantizer.Quantize(devices[d].Measure(challenges[c]), references[d][c]);
            }

            foreach (var worst in new[] { false, true })
            {
                devices[d].TemperatureCelsius = worst ? model.WorstCaseTemperatureCelsius : model.NominalTemperatureCelsius;
                for (var r = 0; r < options.Repeats; r++)
                {
                    for (var c = 0; c < options.Challenges; c++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        quantizer.Quantize(devices[d].Measure(challenges[c]), frame);
                        var distance = (double)BitPacking.HammingDistance(frame, references[d][c]) / bits;
                        intra.Add(distance);
                        if (worst)
                        {
                            worstErrors += distance;
                        }
                        else
                        {
                            nominalErrors += distance;
                        }
                    }
                }
            }

            devices[d].TemperatureCelsius = model.NominalTemperatureCelsius;
        }

        var measurements = (double)options.Devices * options.Challenges * options.Repeats;
        var inter = new List<double>();
        for (var a = 0; a < options.Devices; a++)
        {
            for (var b = a + 1; b < options.Devices; b++)
            {
                for (var c = 0; c < options.Challenges; c++)
                {
                    inter.Add((double)BitPacking.HammingDistance(references[a][c], references[b][c]) / bits);
                }
            }
        }

        var ones = 0L;
        var aliasing = 0.0;
        var aliasingSquares = 0.0;
        var all = new byte[options.Devices * options.Challenges * bits];
        var position = 0;
        for (var c = 0; c < options.Challenges; c++)
        {
            for (var i = 0; i < bits; i++)
            {
                var count = 0;
                for (var d = 0; d < options.Devices; d++)
                {
                    count += references[d][c][i];
                }

                ones += count;
                aliasing += (double)count / options.Devices;
                aliasingSquares += Math.Pow((double)count / options.Devices, 2);
            }
        }

        for (var d = 0; d < options.Devices; d++)
        {
            for (var c = 0; c < options.Challenges; c++)
            {
                references[d][c].CopyTo(all, position);
                position += bits;
            }
        }

        var rawBer = worstErrors / measurements;
        var keyFailure = MeasureKeyFailure(devices, protocol, quantizer, rawBer, options, cancellationToken);
        var attack = options.AttackTrainingPairs > 0 ? RunModellingAttack(model, quantizer, options, cancellationToken) : null;

        return new PufEvaluationReport
        {
            Devices = options.Devices,
            Challenges = options.Challenges,
            Repeats = options.Repeats,
            BitsPerResponse = bits,
            Uniqueness = 100 * inter.Average(),
            Reliability = 100 * (1 - nominalErrors / measurements),
            Uniformity = 100.0 * ones / all.Length,
            BitAliasing = 100 * aliasing / (options.Challenges * (double)bits),
            BitAliasingDeviation = 100 * Math.Sqrt(Math.Max(0, aliasingSquares / (options.Challenges * (double)bits) - Math.Pow(aliasing / (options.Challenges * (double)bits), 2))),
            MinEntropyPerBit = MinEntropy.MostCommonValue(all),
            RawBitErrorRate = rawBer,
            NominalBitErrorRate = nominalErrors / measurements,
            WorstCaseTemperatureCelsius = model.WorstCaseTemperatureCelsius,
            Code = protocol.Code.Parameters,
            KeyFailure = keyFailure,
            ModellingAttack = attack,
            InterDistances = inter,
            IntraDistances = intra,
        };
    }

    private static KeyFailureFigures MeasureKeyFailure(PhotonicPufSimulator[] devices, PufProtocolSettings protocol, GaborResponseQuantizer quantizer, double rawBer, PufEvaluationOptions options, CancellationToken cancellationToken)
    {
        var code = protocol.Code;
        var p = code.Parameters;
        var extractor = new FuzzyExtractor(code);
        var responseBits = code.Code.CodewordBits;
        var failures = 0;
        var errors = 0L;
        var trials = options.KeyTrials;
        var enrolled = new (byte[] Seed, KeyGeneration Generation, byte[] Reference)?[devices.Length];
        for (var trial = 0; trial < trials; trial++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var d = trial % devices.Length;
            var device = devices[d];
            var reader = new PufResponseReader(device, quantizer);
            if (enrolled[d] is null)
            {
                device.TemperatureCelsius = device.Model.NominalTemperatureCelsius;
                var seed = BitConverter.GetBytes(options.Seed * 31 + (ulong)d);
                var reference = reader.Read(seed, responseBits, protocol.Parameters.EnrolmentReads);
                enrolled[d] = (seed, extractor.Generate(reference), reference);
            }

            var (s, generation, referenceBits) = enrolled[d]!.Value;
            device.TemperatureCelsius = device.Model.WorstCaseTemperatureCelsius;
            var noisy = reader.Read(s, responseBits);
            errors += BitPacking.HammingDistance(noisy, referenceBits);
            var result = extractor.Reproduce(noisy, generation.HelperData);
            if (!result.Succeeded || !result.Key!.AsSpan().SequenceEqual(generation.Key))
            {
                failures++;
            }

            device.TemperatureCelsius = device.Model.NominalTemperatureCelsius;
        }

        var trialBer = trials > 0 ? (double)errors / ((long)trials * responseBits) : 0;
        var designBer = Math.Max(trialBer, rawBer);
        var analytic = designBer > 0
            ? Math.Pow(10, FailureAnalysis.Log10KeyFailure(designBer, (1 << p.BchM) - 1, p.BchT, p.Repetition, p.Blocks))
            : 0;
        return new KeyFailureFigures(trials > 0 ? (double)failures / trials : 0, failures, trials, trialBer, analytic);
    }

    private static ModellingAttackFigures RunModellingAttack(PhotonicPufModel model, GaborResponseQuantizer quantizer, PufEvaluationOptions options, CancellationToken cancellationToken)
    {
        var device = PhotonicPufSimulator.Create(model, options.Seed * 1_000_003UL, options.Seed ^ 0xBEEFUL);
        var training = options.AttackTrainingPairs;
        var testing = Math.Max(1, training / 3);
        var challenges = PufChallenge.Expand(BitConverter.GetBytes(options.Seed ^ 0xA77AC4UL), training + testing);
        var features = new List<double[]>(challenges.Length);
        var responses = new List<byte[]>(challenges.Length);
        foreach (var challenge in challenges)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bits = new byte[quantizer.BitsPerFrame];
            quantizer.Quantize(device.Measure(challenge), bits);
            features.Add(LinearModellingAttack.Featurize(challenge));
            responses.Add(bits);
        }

        var accuracy = LinearModellingAttack.Accuracy(features[..training], responses[..training], features[training..], responses[training..]);
        return new ModellingAttackFigures(training, testing, accuracy);
    }
}
