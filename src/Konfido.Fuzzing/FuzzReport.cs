using System.Text.Json;

namespace Konfido.Fuzzing;

/// <summary>One distinct crash (same signature) found in a target.</summary>
/// <param name="Signature">Exception type and top frame, <c>invariant:NAME</c>, or <c>hang</c>.</param>
/// <param name="Message">The first exception's message (one line), or a description of the hang.</param>
/// <param name="StackTrace">The first exception's stack trace, or null.</param>
/// <param name="Count">How many inputs crashed with this signature.</param>
/// <param name="Input">The first crashing input.</param>
/// <param name="Minimised">The smallest crashing input found by delta debugging (the input itself if not minimised).</param>
/// <param name="Reproducer">Where the minimised input was written, or null.</param>
public sealed record FuzzCrash(string Signature, string Message, string? StackTrace, int Count, byte[] Input, byte[] Minimised, string? Reproducer);

/// <summary>The figures of one target's run.</summary>
/// <param name="Target">The target's name.</param>
/// <param name="InputsTried">Inputs run (seeds included).</param>
/// <param name="Accepted">Inputs the parser accepted.</param>
/// <param name="Rejected">Inputs the parser refused as documented.</param>
/// <param name="Crashes">Inputs that crashed (undocumented exception, hang or broken invariant).</param>
/// <param name="Hangs">Crashes that were hangs.</param>
/// <param name="UniqueCrashes">The distinct crashes.</param>
/// <param name="Elapsed">Wall time of the run (minimisation excluded).</param>
/// <param name="CorpusSize">Inputs in the corpus at the end (seeds and inputs that showed new behaviour).</param>
/// <param name="InputsSha256">SHA-256 over every input tried, in order (equal for equal seeds and corpora).</param>
public sealed record FuzzTargetReport(string Target, long InputsTried, long Accepted, long Rejected, long Crashes, long Hangs,
    IReadOnlyList<FuzzCrash> UniqueCrashes, TimeSpan Elapsed, int CorpusSize, string InputsSha256)
{
    /// <summary>Inputs per second.</summary>
    public double InputsPerSecond => Elapsed > TimeSpan.Zero ? InputsTried / Elapsed.TotalSeconds : 0;

    /// <summary>Writes the report as a JSON object.</summary>
    /// <param name="json">The writer.</param>
    public void WriteTo(Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartObject();
        json.WriteString("name", Target);
        json.WriteNumber("inputs_tried", InputsTried);
        json.WriteNumber("accepted", Accepted);
        json.WriteNumber("rejected", Rejected);
        json.WriteNumber("crashes", Crashes);
        json.WriteNumber("hangs", Hangs);
        json.WriteNumber("unique_crashes", UniqueCrashes.Count);
        json.WriteNumber("inputs_per_second", Math.Round(InputsPerSecond, 1));
        json.WriteNumber("elapsed_seconds", Math.Round(Elapsed.TotalSeconds, 3));
        json.WriteNumber("corpus", CorpusSize);
        json.WriteString("inputs_sha256", InputsSha256);
        json.WriteStartArray("crash_signatures");
        foreach (var crash in UniqueCrashes)
        {
            json.WriteStartObject();
            json.WriteString("signature", crash.Signature);
            json.WriteString("message", crash.Message);
            json.WriteNumber("count", crash.Count);
            json.WriteNumber("input_length", crash.Input.Length);
            json.WriteNumber("minimised_length", crash.Minimised.Length);
            json.WriteString("minimised_base64", Convert.ToBase64String(crash.Minimised.Length <= 4096 ? crash.Minimised : crash.Minimised[..4096]));
            if (crash.Reproducer is null)
            {
                json.WriteNull("reproducer");
            }
            else
            {
                json.WriteString("reproducer", crash.Reproducer);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
