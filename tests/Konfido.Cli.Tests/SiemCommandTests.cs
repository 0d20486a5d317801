using System.Text.Json;
using Konfido.Testing;

namespace Konfido.Cli.Tests;

public sealed class SiemCommandTests
{
    private const string Rules = """
        title: failed login
        id: r-failed
        name: failed_login
        level: low
        detection:
          selection:
            event.action: login
            event.outcome: failure
          condition: selection
        ---
        title: brute force
        id: c-brute
        level: high
        correlation:
          type: event_count
          rules: [failed_login]
          group-by: [user.name]
          timespan: 5m
          condition:
            gte: 3
        """;

    private const string Standalone = """
        title: admin seen
        id: r-admin
        level: medium
        detection:
          selection:
            user.name|startswith: adm
          condition: selection
        """;

    private static string Event(int minute, string user, string outcome = "failure") =>
        $$$"""{"@timestamp":"2026-01-01T10:{{{minute:00}}}:00Z","event":{"action":"login","outcome":"{{{outcome}}}"},"user":{"name":"{{{user}}}"}}""";

    [Fact]
    public async Task Check_reports_loaded_and_failed_rules_matches_and_correlations()
    {
        using var dir = new TemporaryDirectory();
        Directory.CreateDirectory(dir.File("rules"));
        File.WriteAllText(dir.File("rules/brute.yml"), Rules);
        File.WriteAllText(dir.File("rules/admin.yaml"), Standalone);
        File.WriteAllText(dir.File("rules/broken.yml"), "title: [unclosed");
        File.WriteAllText(dir.File("rules/badmod.yml"), "title: x\ndetection:\n  s:\n    a|nope: 1\n  condition: s\n");
        File.WriteAllText(dir.File("events.jsonl"), string.Join('\n',
            Event(0, "alice"), """{"user.name":"admin","event":{"action":"x"}}""", Event(1, "alice"), "", Event(2, "alice"), Event(3, "bob")));

        var result = await CliRun.RunAsync("siem", "check", "--rules", dir.File("rules"), "--events", dir.File("events.jsonl"), "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.Equal(3, root.GetProperty("rules_loaded").GetInt32());
        var failed = root.GetProperty("rules_failed").EnumerateArray().ToList();
        Assert.Equal(2, failed.Count);
        Assert.Contains(failed, f => f.GetProperty("file").GetString()!.EndsWith("broken.yml", StringComparison.Ordinal) && f.GetProperty("reason").GetString()!.Contains("bad YAML", StringComparison.Ordinal));
        Assert.Contains(failed, f => f.GetProperty("reason").GetString()!.Contains("unsupported modifier 'nope'", StringComparison.Ordinal));
        Assert.Equal(5, root.GetProperty("events").GetInt32());
        var match = Assert.Single(root.GetProperty("matches").EnumerateArray());
        Assert.Equal("r-admin", match.GetProperty("rule_id").GetString());
        Assert.Equal("admin seen", match.GetProperty("title").GetString());
        Assert.Equal("medium", match.GetProperty("level").GetString());
        Assert.Equal(1, match.GetProperty("event_index").GetInt32());
        var correlation = Assert.Single(root.GetProperty("correlations").EnumerateArray());
        Assert.Equal("c-brute", correlation.GetProperty("rule_id").GetString());
        Assert.Equal("brute force", correlation.GetProperty("title").GetString());
        Assert.Equal("alice", correlation.GetProperty("group").GetProperty("user.name").GetString());
        Assert.Equal([0, 2, 3], correlation.GetProperty("event_indexes").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public async Task Check_with_missing_rules_directory_or_bad_event_is_a_usage_error()
    {
        using var dir = new TemporaryDirectory();
        File.WriteAllText(dir.File("events.jsonl"), "not json\n");
        var missing = await CliRun.RunAsync("siem", "check", "--rules", dir.File("nope"), "--events", dir.File("events.jsonl"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Single(missing.Stderr.TrimEnd().Split('\n'));
        var bad = await CliRun.RunAsync("siem", "check", "--rules", dir.Path, "--events", dir.File("events.jsonl"), "--json");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("line 1", bad.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, bad.Stdout);
    }

    [Fact]
    public async Task Parse_turns_every_line_into_an_event_and_bad_lines_into_errors()
    {
        using var dir = new TemporaryDirectory();
        File.WriteAllLines(dir.File("mixed.log"),
        [
            "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8",
            "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
            "CEF:0|security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232",
            "garbage that is not a log line",
        ]);
        var result = await CliRun.RunAsync("siem", "parse", "--format", "auto", dir.File("mixed.log"));
        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.TrimEnd().Split('\n');
        Assert.Equal(4, lines.Length);
        var events = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("mymachine.example.com", events[0].GetProperty("host").GetProperty("name").GetString());
        Assert.Equal("su", events[1].GetProperty("process").GetProperty("name").GetString());
        Assert.Equal("10.0.0.1", events[2].GetProperty("source").GetProperty("ip").GetString());
        Assert.True(events[3].GetProperty("error").TryGetProperty("message", out _));
        Assert.All(events, e => Assert.True(e.GetProperty("event").TryGetProperty("original", out _)));

        var json = await CliRun.RunAsync("siem", "parse", "--format", "cef", dir.File("mixed.log"), "--json");
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal(4, doc.RootElement.GetArrayLength());
        Assert.Equal(3, doc.RootElement.EnumerateArray().Count(e => e.TryGetProperty("error", out _)));
    }

    [Fact]
    public async Task Parse_atna_pseudonymises_the_patient()
    {
        using var dir = new TemporaryDirectory();
        File.WriteAllText(dir.File("atna.log"), """<85>1 2026-05-01T09:30:01Z ncp-dk openncp 77 IHE+RFC-3881 - <AuditMessage><EventIdentification EventActionCode="R" EventDateTime="2026-05-01T09:30:00Z" EventOutcomeIndicator="0"><EventID csd-code="110110" codeSystemName="DCM" originalText="Patient Record"/></EventIdentification><ActiveParticipant UserID="dr.garcia@es" UserIsRequestor="true"/><AuditSourceIdentification AuditSourceID="NCP-DK"/><ParticipantObjectIdentification ParticipantObjectID="2512489996" ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1"/></AuditMessage>""" + "\n");
        var result = await CliRun.RunAsync("siem", "parse", "--format", "atna", dir.File("atna.log"), "--json");
        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain("2512489996", result.Stdout, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("dr.garcia@es", doc.RootElement[0].GetProperty("user").GetProperty("name").GetString());
        Assert.StartsWith("pp1:", doc.RootElement[0].GetProperty("patient").GetProperty("pseudonym").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_with_unknown_format_or_missing_file_is_a_usage_error()
    {
        using var dir = new TemporaryDirectory();
        File.WriteAllText(dir.File("x.log"), "x\n");
        Assert.Equal(2, (await CliRun.RunAsync("siem", "parse", "--format", "xml", dir.File("x.log"))).ExitCode);
        Assert.Equal(2, (await CliRun.RunAsync("siem", "parse", dir.File("missing.log"))).ExitCode);
    }

    [Fact]
    public async Task Bench_reports_throughput_with_the_bundled_rules()
    {
        var result = await CliRun.RunAsync("siem", "bench", "--seconds", "0.2", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("rules").GetInt32() >= 19);
        Assert.True(root.GetProperty("events").GetInt64() > 0);
        Assert.True(root.GetProperty("events_per_second").GetDouble() > 0);
        Assert.Equal(0, root.GetProperty("parse_errors").GetInt64());
        Assert.True(root.GetProperty("stages").GetProperty("parse_events_per_second").GetDouble() > 0);
        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal([1, 2], runs.Select(r => r.GetProperty("threads").GetInt32()));
        Assert.All(runs, r => Assert.True(r.GetProperty("events").GetInt64() > 0));
    }
}
