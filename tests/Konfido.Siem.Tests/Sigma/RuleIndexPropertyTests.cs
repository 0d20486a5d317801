using System.Globalization;
using Konfido.Siem.Events;
using Konfido.Siem.Parsing;
using Konfido.Siem.Sigma;

namespace Konfido.Siem.Tests.Sigma;

/// <summary>
/// The indexed evaluator against the straightforward one (every rule tested on every event), over
/// the whole corpus: bundled rules, the SigmaHQ corpus and generated variants, on random events
/// built from the rules' own literals (so that rules fire) and on parsed sample traffic.
/// </summary>
public sealed class RuleIndexPropertyTests
{
    private static readonly Lazy<SigmaRuleSet> WholeCorpus = new(() =>
    {
        var loader = new SigmaRuleLoader(BundledRules.Configuration);
        var files = BundledRules.Files.Select(f => (Name: f.Key, Text: f.Value))
            .Concat(Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Corpus"), "*.yml", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal).Select(f => (Name: f, Text: File.ReadAllText(f))));
        foreach (var (name, text) in files)
        {
            loader.AddText(text, name);
            for (var v = 1; v <= 2; v++)
            {
                loader.AddText(RuleVariants.Generate(text, v), $"{name}#v{v}");
            }
        }

        return loader.Build();
    });

    private static List<SigmaRule> Direct(SigmaRuleSet set, EventObject e) => set.Rules.Where(r => r.Matches(e)).ToList();

    [Fact]
    public void Indexed_matches_equal_direct_matches_on_random_events_from_the_rules_literals()
    {
        var set = WholeCorpus.Value;
        Assert.True(set.Rules.Count > 100);
        var atoms = set.Rules.SelectMany(r => r.Detection.Clauses).SelectMany(c => c.Atoms).Distinct().ToArray();
        var fields = atoms.Where(a => a.Field is not null).Select(a => a.Field!).Distinct().ToArray();
        var texts = atoms.Where(a => a.Text is not null).Select(a => a.Text!).Distinct().ToArray();
        Assert.NotEmpty(fields);
        Assert.NotEmpty(texts);
        var evaluator = set.CreateEvaluator();
        var random = new Random(2026);
        var fired = 0;
        for (var round = 0; round < 3000; round++)
        {
            var e = RandomEvent(random, fields, texts);
            var direct = Direct(set, e);
            Assert.True(direct.SequenceEqual(evaluator.Evaluate(e)), $"round {round}: {e.ToJson()}");
            fired += direct.Count > 0 ? 1 : 0;
        }

        Assert.True(fired > 300, $"only {fired} events matched some rule: the generator is too weak to test the index");
    }

    [Fact]
    public void Indexed_matches_equal_direct_matches_on_parsed_sample_traffic()
    {
        var set = WholeCorpus.Value;
        using var pseudonymiser = new PatientPseudonymiser(new byte[32]);
        var parser = new LogParser(LogFormat.Auto, pseudonymiser);
        var evaluator = set.CreateEvaluator();
        var fired = 0;
        foreach (var line in SampleTraffic.Generate(3000, seed: 11))
        {
            var e = parser.Parse(line);
            var direct = Direct(set, e);
            Assert.Equal(direct, evaluator.Evaluate(e));
            fired += direct.Count;
        }

        Assert.True(fired > 0);
    }

    [Fact]
    public void The_index_skips_most_rules_on_ordinary_traffic()
    {
        // Not a timing: the number of rules tested per event, which is what the index is for.
        var set = WholeCorpus.Value;
        using var pseudonymiser = new PatientPseudonymiser(new byte[32]);
        var parser = new LogParser(LogFormat.Auto, pseudonymiser);
        var evaluator = set.CreateEvaluator();
        var lines = SampleTraffic.Generate(2000, seed: 5);
        long tested = 0;
        foreach (var line in lines)
        {
            evaluator.Evaluate(parser.Parse(line));
            tested += evaluator.LastCandidateCount;
        }

        Assert.True(tested < lines.Count * set.Rules.Count / 20, $"{tested / (double)lines.Count:F1} of {set.Rules.Count} rules tested per event");
    }

    [Fact]
    public void Fast_timestamp_parsing_agrees_with_the_general_parser()
    {
        var random = new Random(9);
        string[] pieces = ["2026", "1999", "0001", "-", "02", "13", "29", "30", "31", "00", "T", " ", ":", "23", "24", "59", "60", ".", "5", "123", "1234567", "12345678", "Z", "+01:00", "x"];
        var shapes = new List<string> { "2026-03-02T08:00:00.050Z", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2026-03-02T08:00:00.1234567Z", "2026-03-02T08:00:00.Z" };
        for (var i = 0; i < 20_000; i++)
        {
            shapes.Add(i % 2 == 0
                ? string.Concat(Enumerable.Range(0, 3 + random.Next(12)).Select(_ => pieces[random.Next(pieces.Length)]))
                : $"{random.Next(1, 3000):0000}-{random.Next(0, 14):00}-{random.Next(0, 33):00}T{random.Next(0, 25):00}:{random.Next(0, 61):00}:{random.Next(0, 61):00}{(random.Next(2) == 0 ? "" : "." + random.Next(10_000_000, 100_000_000).ToString(CultureInfo.InvariantCulture)[..(1 + random.Next(8))])}Z");
        }

        foreach (var s in shapes)
        {
            var general = DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var expected);
            if (EventTime.TryParseUtcFast(s, out var actual))
            {
                Assert.True(general, s);
                Assert.Equal(expected, actual);
                Assert.Equal(TimeSpan.Zero, actual.Offset);
            }

            Assert.Equal(general, EventTime.TryConvert(s, out var converted));
            if (general)
            {
                Assert.Equal(expected, converted);
            }
        }
    }

    [Fact]
    public void Fast_timestamp_formatting_agrees_with_the_format_string()
    {
        var random = new Random(10);
        for (var i = 0; i < 20_000; i++)
        {
            var time = new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), TimeSpan.Zero)
                .ToOffset(TimeSpan.FromMinutes(random.Next(-12, 13) * 60));
            Assert.Equal(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), EventTime.Format(time));
        }
    }

    [Fact]
    public void Direct_json_reading_gives_the_same_events_as_the_document_reader()
    {
        var random = new Random(12);
        string[] names = ["a", "b.c", "event", "x y", "\u00e9", "n"];
        for (var round = 0; round < 2000; round++)
        {
            var json = RandomJson(random, names, depth: 0, forceObject: true);
            var expected = EventObject.ParseJson(json);
            var actual = EventObject.ParseJsonUtf8(System.Text.Encoding.UTF8.GetBytes(json));
            Assert.Equal(expected.ToJson(), actual.ToJson());
            Assert.Equal(expected.TryGet("b.c", out var v1), actual.TryGet("b.c", out var v2));
            Assert.Equal(EventObject.ScalarToString(v1), EventObject.ScalarToString(v2));
        }

        Assert.ThrowsAny<System.Text.Json.JsonException>(() => EventObject.ParseJsonUtf8("{\"a\":1} x"u8));
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => EventObject.ParseJsonUtf8("[1]"u8));
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => EventObject.ParseJsonUtf8("{\"a\":"u8));
    }

    private static string RandomJson(Random random, string[] names, int depth, bool forceObject = false)
    {
        var kind = forceObject ? 0 : random.Next(depth > 3 ? 2 : 0, 8);
        return kind switch
        {
            0 => "{" + string.Join(",", Enumerable.Range(0, random.Next(5)).Select(_ =>
                System.Text.Json.JsonSerializer.Serialize(names[random.Next(names.Length)]) + ":" + RandomJson(random, names, depth + 1))) + "}",
            1 => "[" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => RandomJson(random, names, depth + 1))) + "]",
            2 => random.Next(3) switch { 0 => "null", 1 => "true", _ => "false" },
            3 => random.Next(-1000, 1000).ToString(CultureInfo.InvariantCulture),
            4 => (random.NextDouble() * 1e6).ToString("R", CultureInfo.InvariantCulture),
            5 => "12345678901234567890123",
            _ => System.Text.Json.JsonSerializer.Serialize(names[random.Next(names.Length)] + " \"q\" \n " + random.Next(100)),
        };
    }

    private static EventObject RandomEvent(Random random, string[] fields, string[] texts)
    {
        var e = new EventObject();
        for (var i = 0; i < 1 + random.Next(7); i++)
        {
            var field = fields[random.Next(fields.Length)];
            object? value = random.Next(12) switch
            {
                0 => null,
                1 => (long)random.Next(600),
                2 => new List<object?> { Text(random, texts), Text(random, texts) },
                _ => Text(random, texts),
            };
            if (random.Next(6) == 0)
            {
                e.SetMember(field, value); // a flat dotted key
            }
            else
            {
                e.Set(field, value);
            }
        }

        if (random.Next(3) == 0)
        {
            e.Set("event.original", string.Join(' ', Enumerable.Range(0, 1 + random.Next(4)).Select(_ => Text(random, texts))));
        }
        else if (random.Next(3) == 0)
        {
            e.Set("message", Text(random, texts));
        }

        return e;
    }

    private static string Text(Random random, string[] texts)
    {
        var t = texts[random.Next(texts.Length)];
        return random.Next(8) switch
        {
            0 => t.ToUpperInvariant(),
            1 => "x" + t + "y",
            2 => t.Length > 1 ? t[..^1] : t,
            3 => t + " " + texts[random.Next(texts.Length)],
            _ => t,
        };
    }
}
