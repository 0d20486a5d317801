using Konfido.Siem.Events;
using Konfido.Siem.Sigma;

namespace Konfido.Siem.Tests.Sigma;

public sealed class EngineInternalsTests
{
    /// <summary>Naive reference: every way to split the path into keys, tried at every level.</summary>
    private static bool NaiveLookup(EventObject e, string[] segments, out object? value)
    {
        for (var take = segments.Length; take >= 1; take--)
        {
            var key = string.Join('.', segments[..take]);
            if (e.TryGetMember(key, out var child))
            {
                if (take == segments.Length)
                {
                    value = child;
                    return true;
                }

                if (child is EventObject nested && NaiveLookup(nested, segments[take..], out value))
                {
                    return true;
                }
            }
        }

        value = null;
        return false;
    }

    [Fact]
    public void Field_lookup_agrees_with_a_naive_reference_on_random_mixed_events()
    {
        var random = new Random(42);
        string[] names = ["a", "b", "c"];
        for (var round = 0; round < 2000; round++)
        {
            var e = RandomObject(random, names, depth: 0);
            var length = 1 + random.Next(3);
            var segments = Enumerable.Range(0, length).Select(_ => names[random.Next(names.Length)]).ToArray();
            var path = new FieldPath(string.Join('.', segments));
            var expected = NaiveLookup(e, segments, out var expectedValue);
            var actual = path.TryGet(e, out var actualValue);
            Assert.True(expected == actual, $"{e.ToJson()} {path.Path}");
            if (expected && expectedValue is not EventObject)
            {
                Assert.Equal(expectedValue, actualValue);
            }
        }
    }

    private static EventObject RandomObject(Random random, string[] names, int depth)
    {
        var e = new EventObject();
        var members = random.Next(4);
        for (var i = 0; i < members; i++)
        {
            var key = random.Next(3) == 0 ? $"{names[random.Next(3)]}.{names[random.Next(3)]}" : names[random.Next(3)];
            e.SetMember(key, depth < 2 && random.Next(2) == 0 ? RandomObject(random, names, depth + 1) : (object)random.Next(10).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return e;
    }

    [Fact]
    public void Merged_matchers_agree_with_the_individual_ones()
    {
        var random = new Random(7);
        string[] alphabet = ["ab", "AB", "c", "de", "x", "Y"];
        for (var round = 0; round < 500; round++)
        {
            var needles = Enumerable.Range(0, 1 + random.Next(5)).Select(_ => string.Concat(Enumerable.Range(0, 1 + random.Next(3)).Select(_ => alphabet[random.Next(alphabet.Length)]))).ToList();
            var individual = needles.Select(n => new StringMatcher(SigmaString.Literal(n).WithPrefixStar().WithSuffixStar(), cased: false)).ToList();
            var exact = needles.Select(n => new StringMatcher(SigmaString.Literal(n), cased: false)).ToList();
            var mergedContains = MatcherMerger.Merge(individual);
            var mergedExact = MatcherMerger.Merge(exact);
            var value = string.Concat(Enumerable.Range(0, random.Next(6)).Select(_ => alphabet[random.Next(alphabet.Length)]));
            Assert.Equal(individual.Any(m => m.Match(value)), mergedContains.Any(m => m.Match(value)));
            Assert.Equal(exact.Any(m => m.Match(value)), mergedExact.Any(m => m.Match(value)));
        }
    }

    [Fact]
    public void Rule_index_never_hides_a_match()
    {
        // Evaluating through the index gives the same matches as testing every rule directly.
        var set = SigmaRuleSet.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "Corpus"));
        var evaluator = set.CreateEvaluator();
        var random = new Random(3);
        string[] values = ["GET", "root", "203.0.113.7", "api.telegram.org", "Failed password", "UNION SELECT", "/dev/tcp/", "", "#-1", "x"];
        string[] fields = ["cs-method", "cs-uri-query", "c-useragent", "cs-host", "c-uri", "message", "user_name", "client_ip", "USER", "sc-status"];
        for (var round = 0; round < 1000; round++)
        {
            var e = new EventObject();
            for (var i = 0; i < 1 + random.Next(4); i++)
            {
                e.Set(fields[random.Next(fields.Length)], values[random.Next(values.Length)] + (random.Next(2) == 0 ? "" : " " + values[random.Next(values.Length)]));
            }

            var direct = set.Rules.Where(r => r.Matches(e)).ToList();
            Assert.Equal(direct, evaluator.Evaluate(e));
        }
    }

    [Fact]
    public void Rule_variants_load_with_new_ids_and_do_not_fire_on_the_original_trigger()
    {
        var yaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Corpus", "linux", "correlation_lnx_sshd_brute_force_attempt.yml"));
        var variant = RuleVariants.Generate(yaml, 3);
        var set = SigmaRuleSet.FromTexts([new("orig.yml", yaml), new("variant.yml", variant)]);
        Assert.All(set.Report, r => Assert.True(r.Loaded, r.Reason));
        Assert.Equal(4, set.Rules.Count + set.Correlations.Count);
        Assert.Equal(4, set.Report.Select(r => r.RuleId).Distinct().Count());
        Assert.Contains("variant 3", set.Correlations.Last().Title, StringComparison.Ordinal);
        var e = EventObject.ParseJson("""{"message":"Failed password for root","user_name":"root","client_ip":"203.0.113.7","deviceProcessName":"sshd"}""");
        Assert.Single(set.CreateEvaluator().Evaluate(e));
    }
}
