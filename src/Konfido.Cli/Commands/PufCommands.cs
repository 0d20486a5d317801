using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Konfido.Puf.Coding;
using Konfido.Puf.Evaluation;

namespace Konfido.Cli;

internal static partial class CommandGroups
{
    static partial void AddPuf(RootCommand root, CliContext context)
    {
        var puf = new Command("puf", "PUF device security: photonic PUF simulation, BCH codes, fuzzy extractor metrics.");
        puf.Add(PufEvalCommand(context));
        puf.Add(PufBchEncodeCommand(context));
        root.Add(puf);
    }

    private static Command PufEvalCommand(CliContext context)
    {
        var devices = new Option<int>("--devices") { Description = "Simulated devices (default 8).", DefaultValueFactory = _ => 8 };
        var challenges = new Option<int>("--challenges") { Description = "Challenges (speckle frames) per device (default 16).", DefaultValueFactory = _ => 16 };
        var repeats = new Option<int>("--repeats") { Description = "Noisy re-measurements per challenge and temperature (default 5).", DefaultValueFactory = _ => 5 };
        var trials = new Option<int>("--trials") { Description = "Key-reproduction trials at the worst-case temperature (default 100).", DefaultValueFactory = _ => 100 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the simulated devices and noise (default 1).", DefaultValueFactory = _ => 1UL };
        var plots = new Option<string?>("--plots") { Description = "Directory for PNG histograms of the inter- and intra-device distances." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document." };
        var command = new Command("eval", "Simulates photonic PUF devices and prints uniqueness, reliability, uniformity, bit-aliasing, min-entropy, raw BER and key-failure rate.")
        {
            devices, challenges, repeats, trials, seed, plots, json,
        };
        command.SetAction((ParseResult result, CancellationToken ct) =>
        {
            var options = new PufEvaluationOptions
            {
                Devices = result.GetValue(devices),
                Challenges = result.GetValue(challenges),
                Repeats = result.GetValue(repeats),
                KeyTrials = result.GetValue(trials),
                Seed = result.GetValue(seed),
            };
            if (options.Devices is < 2 or > 1000)
            {
                throw new CliInputException($"--devices must be between 2 and 1000, got {options.Devices}");
            }

            if (options.Challenges is < 1 or > 10000)
            {
                throw new CliInputException($"--challenges must be between 1 and 10000, got {options.Challenges}");
            }

            if (options.Repeats is < 1 or > 1000)
            {
                throw new CliInputException($"--repeats must be between 1 and 1000, got {options.Repeats}");
            }

            if (options.KeyTrials is < 0 or > 1_000_000)
            {
                throw new CliInputException($"--trials must be between 0 and 1000000, got {options.KeyTrials}");
            }

            var report = PufEvaluator.Evaluate(options, ct);
            var plotDirectory = result.GetValue(plots);
            if (plotDirectory is not null)
            {
                WritePufPlots(plotDirectory, report);
            }

            if (result.GetValue(json))
            {
                context.WriteJson(PufReportJson(report));
            }
            else
            {
                WritePufText(context.Out, report);
            }

            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static void WritePufPlots(string directory, PufEvaluationReport report)
    {
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllBytes(Path.Combine(directory, "hamming-distances.png"), HistogramPng.Render("inter-device (blue) and intra-device (red) fractional Hamming distance", report.InterDistances, report.IntraDistances));
            File.WriteAllBytes(Path.Combine(directory, "inter-distance.png"), HistogramPng.Render("inter-device fractional Hamming distance", report.InterDistances, []));
            File.WriteAllBytes(Path.Combine(directory, "intra-distance.png"), HistogramPng.Render("intra-device fractional Hamming distance", [], report.IntraDistances));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliInputException($"cannot write plots to '{directory}': {ex.Message}", ex);
        }
    }

    private static JsonObject PufReportJson(PufEvaluationReport report)
    {
        var json = new JsonObject
        {
            ["devices"] = report.Devices,
            ["challenges"] = report.Challenges,
            ["repeats"] = report.Repeats,
            ["bits_per_response"] = report.BitsPerResponse,
            ["uniqueness"] = Math.Round(report.Uniqueness, 4),
            ["reliability"] = Math.Round(report.Reliability, 4),
            ["uniformity"] = Math.Round(report.Uniformity, 4),
            ["bit_aliasing"] = Math.Round(report.BitAliasing, 4),
            ["bit_aliasing_stddev"] = Math.Round(report.BitAliasingDeviation, 4),
            ["min_entropy_per_bit"] = Math.Round(report.MinEntropyPerBit, 6),
            ["raw_ber"] = Math.Round(report.RawBitErrorRate, 6),
            ["raw_ber_nominal"] = Math.Round(report.NominalBitErrorRate, 6),
            ["worst_case_temperature_c"] = report.WorstCaseTemperatureCelsius,
            ["key_failure_rate"] = new JsonObject
            {
                ["measured"] = report.KeyFailure.Measured,
                ["trials"] = report.KeyFailure.Trials,
                ["failures"] = report.KeyFailure.Failures,
                ["analytic_bound"] = report.KeyFailure.AnalyticBound,
                ["trial_ber"] = Math.Round(report.KeyFailure.BitErrorRate, 6),
            },
            ["code"] = new JsonObject
            {
                ["bch_m"] = report.Code.BchM,
                ["bch_n"] = (1 << report.Code.BchM) - 1,
                ["bch_t"] = report.Code.BchT,
                ["repetition"] = report.Code.Repetition,
                ["blocks"] = report.Code.Blocks,
                ["key_bits"] = report.Code.KeyBytes * 8,
            },
        };
        if (report.ModellingAttack is { } attack)
        {
            json["modelling_attack"] = new JsonObject
            {
                ["model"] = "linear-least-squares",
                ["training_crps"] = attack.TrainingPairs,
                ["test_crps"] = attack.TestPairs,
                ["accuracy"] = Math.Round(attack.Accuracy, 4),
            };
        }

        return json;
    }

    private static void WritePufText(TextWriter output, PufEvaluationReport report)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Format(c, "devices {0}, challenges {1} x {2} bits, repeats {3}", report.Devices, report.Challenges, report.BitsPerResponse, report.Repeats));
        output.WriteLine(string.Format(c, "uniqueness          {0:F2} %  (ideal 50)", report.Uniqueness));
        output.WriteLine(string.Format(c, "reliability         {0:F2} %  (nominal temperature)", report.Reliability));
        output.WriteLine(string.Format(c, "uniformity          {0:F2} %", report.Uniformity));
        output.WriteLine(string.Format(c, "bit-aliasing        {0:F2} %  (per-bit spread {1:F2} %)", report.BitAliasing, report.BitAliasingDeviation));
        output.WriteLine(string.Format(c, "min-entropy/bit     {0:F4}  (SP 800-90B MCV)", report.MinEntropyPerBit));
        output.WriteLine(string.Format(c, "raw BER             {0:F4}  at {1} °C (nominal {2:F4})", report.RawBitErrorRate, report.WorstCaseTemperatureCelsius, report.NominalBitErrorRate));
        output.WriteLine(string.Format(c, "code                BCH(n={0}, t={1}) x {2} blocks, repetition {3}", (1 << report.Code.BchM) - 1, report.Code.BchT, report.Code.Blocks, report.Code.Repetition));
        output.WriteLine(string.Format(c, "key failure rate    measured {0}/{1}, analytic bound {2:E2}", report.KeyFailure.Failures, report.KeyFailure.Trials, report.KeyFailure.AnalyticBound));
        if (report.ModellingAttack is { } attack)
        {
            output.WriteLine(string.Format(c, "modelling attack    linear regression, {0} CRPs: {1:F2} % of bits predicted", attack.TrainingPairs, 100 * attack.Accuracy));
        }
    }

    private static Command PufBchEncodeCommand(CliContext context)
    {
        var m = new Option<int>("--m") { Description = "Field degree m (code length 2^m - 1), 2..16.", Required = true };
        var t = new Option<int>("--t") { Description = "Errors corrected.", Required = true };
        var poly = new Option<string>("--poly") { Description = "Primitive polynomial in hex including x^m (e.g. 0x11d or 11d for m = 8).", Required = true };
        var data = new Option<string>("--data") { Description = "Message bytes in hex (MSB-first bits).", Required = true };
        var command = new Command("bch-encode", "Prints the BCH parity bytes (hex) of the message: remainder of d(x)·x^deg(g) mod g(x), left-justified in ceil(m·t/8) bytes.")
        {
            m, t, poly, data,
        };
        command.SetAction((ParseResult result) =>
        {
            var polyText = result.GetValue(poly)!.Trim();
            var digits = polyText.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? polyText[2..] : polyText;
            if (!int.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var polynomial) || digits.Length == 0)
            {
                throw new CliInputException($"--poly is not a hex polynomial: '{polyText}'");
            }

            var code = BchCode.TryCreate(new BchParameters(result.GetValue(m), result.GetValue(t), polynomial), out var error)
                ?? throw new CliInputException($"--m/--t/--poly: {error}");
            var message = CliContext.ParseHex(result.GetValue(data)!, "--data");
            if (message.Length * 8L > code.MaxDataBits)
            {
                throw new CliInputException($"--data has {message.Length * 8} bits; BCH(m={code.Field.M}, t={code.T}) takes at most {code.MaxDataBits}");
            }

            context.Out.WriteLine(Convert.ToHexStringLower(code.ComputeParity(message, message.Length * 8)));
            return ExitCodes.Ok;
        });
        return command;
    }
}
