using Konfido.Siem.Correlation;
using Konfido.Siem.Events;
using Konfido.Siem.Sigma;

namespace Konfido.Siem.Tests.Correlation;

// Correlation semantics (SigmaHQ/sigma-specification, sigma-correlation-rules-specification.md):
// event_count, value_count, temporal, temporal_ordered, value_sum/avg/percentile, group-by,
// timespan, aliases, chains and the generate flag, with event timestamps.
public sealed class CorrelationTests
{
    private const string BaseRules = """
        title: failed login
        id: 5638f7c0-ac70-491d-8465-2a65075e0d86
        name: failed_login
        detection:
          selection:
            action: login
            outcome: failure
          condition: selection
        ---
        title: successful login
        name: successful_login
        detection:
          selection:
            action: login
            outcome: success
          condition: selection
        ---
        title: file read
        name: file_read
        detection:
          selection:
            action: read
          condition: selection
        """;

    private static (SigmaRuleSet Set, List<CorrelationMatch> Fired, List<(int Index, SigmaRule Rule)> Matches) Run(
        string correlation, params string[] events)
    {
        var set = SigmaRuleSet.FromTexts([new("rules.yml", BaseRules + "\n---\n" + correlation)]);
        Assert.All(set.Report, r => Assert.True(r.Loaded, r.Reason));
        var evaluator = set.CreateEvaluator();
        var engine = new CorrelationEngine(set);
        var fired = new List<CorrelationMatch>();
        var matches = new List<(int, SigmaRule)>();
        for (var i = 0; i < events.Length; i++)
        {
            var e = EventObject.ParseJson(events[i]);
            Assert.True(EventTime.TryGet(e, out var time));
            foreach (var rule in evaluator.Evaluate(e))
            {
                if (rule.Generates)
                {
                    matches.Add((i, rule));
                }

                fired.AddRange(engine.Process(rule, e, i, time));
            }
        }

        fired.AddRange(engine.Flush());
        return (set, fired, matches);
    }

    private static string Login(string user, string outcome, int minute, string host = "h1", string src = "1.1.1.1") =>
        $$"""{"@timestamp":"2026-03-01T10:{{minute:00}}:00Z","action":"login","outcome":"{{outcome}}","user":"{{user}}","host":"{{host}}","src":"{{src}}"}""";

    [Fact]
    public void Event_count_fires_per_group_within_the_timespan()
    {
        const string rule = """
            title: brute force
            id: bf
            correlation:
              type: event_count
              rules:
                - 5638f7c0-ac70-491d-8465-2a65075e0d86
              group-by:
                - user
              timespan: 5m
              condition:
                gte: 3
            level: high
            """;
        var (_, fired, matches) = Run(rule,
            Login("alice", "failure", 0), Login("bob", "failure", 1), Login("alice", "failure", 2),
            Login("bob", "failure", 9), Login("alice", "failure", 4), Login("alice", "success", 5));
        var match = Assert.Single(fired);
        Assert.Equal("bf", match.Rule.Id);
        Assert.Equal("alice", match.Group["user"]);
        Assert.Equal([0L, 2, 4], match.EventIndexes);
        // generate defaults to false: the base rule raises no matches of its own.
        Assert.DoesNotContain(matches, m => m.Rule.Name == "failed_login");
        Assert.Contains(matches, m => m.Rule.Name == "successful_login");
    }

    [Fact]
    public void Event_count_respects_the_timespan()
    {
        const string rule = """
            title: brute force
            correlation:
              type: event_count
              rules: [failed_login]
              group-by: [user]
              timespan: 2m
              condition:
                gte: 3
            """;
        var (_, fired, _) = Run(rule, Login("alice", "failure", 0), Login("alice", "failure", 2), Login("alice", "failure", 4));
        Assert.Empty(fired);
    }

    [Fact]
    public void Value_count_keeps_one_entry_per_value_however_often_it_repeats()
    {
        const string rule = """
            title: spraying
            correlation:
              type: value_count
              rules: [failed_login]
              group-by: [src]
              timespan: 10m
              condition:
                field: user
                gte: 3
            """;
        // 600 failures for two accounts (the same two values again and again), then a third account.
        var lines = Enumerable.Range(0, 600).Select(i => Login(i % 2 == 0 ? "a" : "b", "failure", i / 100)).Append(Login("c", "failure", 6)).ToArray();
        var (_, fired, _) = Run(rule, lines);
        var match = Assert.Single(fired);
        Assert.Equal(3, match.Value);
        Assert.Equal([598L, 599, 600], match.EventIndexes); // the group held three entries, not 601
    }

    [Fact]
    public void Value_count_counts_distinct_values()
    {
        const string rule = """
            title: spraying
            correlation:
              type: value_count
              rules: [failed_login]
              group-by: [src]
              timespan: 10m
              condition:
                field: user
                gte: 3
            """;
        var (_, fired, _) = Run(rule,
            Login("a", "failure", 0), Login("a", "failure", 1), Login("b", "failure", 2), Login("c", "failure", 3, src: "2.2.2.2"),
            Login("c", "failure", 4));
        var match = Assert.Single(fired);
        Assert.Equal("1.1.1.1", match.Group["src"]);
        Assert.Equal(3, match.Value);
        // The evidence is the latest event of each distinct value (a group keeps one entry per value: memory bounded by the values, not the events).
        Assert.Equal([1L, 2, 4], match.EventIndexes);
    }

    [Fact]
    public void Temporal_needs_every_rule_in_any_order_and_ordered_needs_the_order()
    {
        const string temporal = """
            title: login and read
            correlation:
              type: temporal
              rules: [file_read, successful_login]
              group-by: [user]
              timespan: 5m
            """;
        var read = """{"@timestamp":"2026-03-01T10:01:00Z","action":"read","user":"alice"}""";
        var (_, fired, _) = Run(temporal, read, Login("alice", "success", 2));
        Assert.Single(fired);

        var ordered = temporal.Replace("type: temporal", "type: temporal_ordered", StringComparison.Ordinal);
        (_, fired, _) = Run(ordered, read, Login("alice", "success", 2));
        Assert.Equal([0L, 1], Assert.Single(fired).EventIndexes);
        var readLater = """{"@timestamp":"2026-03-01T10:03:00Z","action":"read","user":"alice"}""";
        (_, fired, _) = Run(ordered, Login("alice", "success", 2), readLater);
        Assert.Empty(fired); // file_read must come first
        (_, fired, _) = Run(temporal, Login("alice", "success", 2), readLater);
        Assert.Single(fired); // any order is fine for temporal
        (_, fired, _) = Run(ordered, read, Login("bob", "success", 2));
        Assert.Empty(fired); // different group
    }

    [Fact]
    public void Aliases_group_different_fields_of_different_rules()
    {
        const string rule = """
            title: read by the same principal that logged in
            correlation:
              type: temporal
              rules: [successful_login, file_read]
              group-by: [principal]
              timespan: 5m
              aliases:
                principal:
                  successful_login: user
                  file_read: reader
            """;
        var (_, fired, _) = Run(rule, Login("alice", "success", 1),
            """{"@timestamp":"2026-03-01T10:02:00Z","action":"read","reader":"alice"}""");
        Assert.Equal("alice", Assert.Single(fired).Group["principal"]);
    }

    [Fact]
    public void Chained_correlation_refers_to_another_correlation()
    {
        const string rule = """
            title: many failed logins
            name: many_failed
            correlation:
              type: event_count
              rules: [failed_login]
              group-by: [user]
              timespan: 10m
              condition:
                gte: 2
            ---
            title: failed logins followed by a success
            id: chain
            correlation:
              type: temporal_ordered
              rules: [many_failed, successful_login]
              group-by: [user]
              timespan: 10m
            """;
        var (_, fired, _) = Run(rule, Login("alice", "failure", 0), Login("alice", "failure", 1), Login("alice", "success", 2));
        Assert.Equal(["many_failed", "chain"], fired.Select(f => f.Rule.Name ?? f.Rule.Id));
        Assert.Equal([0L, 1, 2], fired[1].EventIndexes);
    }

    [Fact]
    public void Generate_true_keeps_base_rule_matches()
    {
        const string rule = """
            title: brute force
            generate: true
            correlation:
              type: event_count
              rules: [failed_login]
              group-by: [user]
              timespan: 5m
              condition:
                gte: 10
            """;
        var (_, _, matches) = Run(rule, Login("alice", "failure", 0));
        Assert.Contains(matches, m => m.Rule.Name == "failed_login");
    }

    [Theory]
    [InlineData("value_sum", "gte: 100", true)]
    [InlineData("value_sum", "gt: 100", false)]
    [InlineData("value_avg", "gte: 33", true)]
    [InlineData("value_avg", "gte: 34", false)]
    [InlineData("value_percentile", "gte: 70", true)]
    [InlineData("value_percentile", "gte: 71", false)]
    public void Numeric_aggregations(string type, string bound, bool expected)
    {
        var rule = $"""
            title: volume
            correlation:
              type: {type}
              rules: [file_read]
              group-by: [user]
              timespan: 1h
              condition:
                field: bytes
                {bound}
            """;
        string Read(int minute, int bytes) =>
            $$"""{"@timestamp":"2026-03-01T10:{{minute:00}}:00Z","action":"read","user":"u","bytes":{{bytes}}}""";
        // bytes 10, 20, 70: sum 100, avg 33.3, p95 (nearest rank) 70
        var (_, fired, _) = Run(rule, Read(0, 10), Read(1, 20), Read(2, 70));
        Assert.Equal(expected, fired.Count > 0);
    }

    [Fact]
    public void Upper_bound_conditions_are_evaluated_when_the_window_closes()
    {
        const string rule = """
            title: too few logins
            correlation:
              type: event_count
              rules: [successful_login]
              group-by: [user]
              timespan: 5m
              condition:
                lt: 2
            """;
        var (_, fired, _) = Run(rule, Login("alice", "success", 0), Login("alice", "success", 10), Login("alice", "success", 11));
        var m = Assert.Single(fired);
        Assert.Equal([0L], m.EventIndexes);
    }

    [Fact]
    public void Unknown_reference_and_bad_timespan_are_reported()
    {
        var set = SigmaRuleSet.FromTexts([new("c.yml", """
            title: dangling
            correlation:
              type: event_count
              rules: [nope]
              group-by: [user]
              timespan: 5m
              condition:
                gte: 1
            ---
            title: bad span
            correlation:
              type: event_count
              rules: [nope]
              timespan: 5 minutes
              condition:
                gte: 1
            """)]);
        Assert.Contains(set.Report, r => r.Reason == "unknown rule reference 'nope'");
        Assert.Contains(set.Report, r => r.Reason!.Contains("bad timespan", StringComparison.Ordinal));
        Assert.Empty(set.Correlations);
    }

    [Fact]
    public void Correlation_cycles_are_reported()
    {
        var set = SigmaRuleSet.FromTexts([new("c.yml", """
            title: a
            name: a
            correlation:
              type: event_count
              rules: [b]
              timespan: 5m
              condition:
                gte: 1
            ---
            title: b
            name: b
            correlation:
              type: event_count
              rules: [a]
              timespan: 5m
              condition:
                gte: 1
            """)]);
        Assert.Equal(2, set.Report.Count(r => !r.Loaded));
    }
}
