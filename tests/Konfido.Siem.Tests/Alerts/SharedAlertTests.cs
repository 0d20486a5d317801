using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Konfido.Siem.Alerts;
using Konfido.Siem.Parsing;
using Konfido.Siem.Sigma;

namespace Konfido.Siem.Tests.Alerts;

/// <summary>The wire form of shared alerts: round trip, exact shape, strict refusal of bad input.</summary>
public sealed class SharedAlertTests
{
    internal static readonly DateTimeOffset T0 = new(2026, 4, 1, 10, 0, 0, 123, TimeSpan.Zero);

    internal static Alert Local(string id = "0123456789abcdef0123456789abcdef", string node = "DK") => new()
    {
        Id = id,
        RuleId = "konfido-mass-lookup",
        Title = "One professional queries many patients",
        Severity = SigmaLevel.High,
        Kind = AlertKind.Correlation,
        Node = node,
        DeduplicationKey = "konfido-mass-lookup|user.name=hcp7@dk",
        FirstSeen = T0,
        LastSeen = T0.AddMinutes(3),
        Count = 2,
        Group = new Dictionary<string, string?> { ["user.name"] = "hcp7@dk", ["patient.pseudonym"] = "pp1:" + new string('a', 32), ["source.ip"] = null },
        Evidence = ["evt-1", "evt-2", "17"],
        Description = "40 distinct patients in 10 minutes",
    };

    private static JsonObject Document(Alert? alert = null) => JsonNode.Parse(SharedAlert.FromAlert(alert ?? Local()).ToJsonBytes())!.AsObject();

    private static (bool Ok, SharedAlert? Alert, string? Error) Parse(string json)
    {
        var ok = SharedAlert.TryParse(Encoding.UTF8.GetBytes(json), out var alert, out var error);
        return (ok, alert, error);
    }

    [Fact]
    public void A_local_alert_round_trips_through_the_wire_form()
    {
        var local = Local();
        var shared = SharedAlert.FromAlert(local);
        var (ok, read, error) = Parse(Encoding.UTF8.GetString(shared.ToJsonBytes()));
        Assert.True(ok, error);
        Assert.NotNull(read);
        Assert.Equal(local.Id, read.Id);
        Assert.Equal("DK", read.Origin);
        Assert.Equal(local.RuleId, read.RuleId);
        Assert.Equal(local.Title, read.RuleTitle);
        Assert.Equal(SigmaLevel.High, read.RuleLevel);
        Assert.Equal(SigmaLevel.High, read.Severity);
        Assert.Equal(AlertKind.Correlation, read.Kind);
        Assert.Equal(local.FirstSeen, read.FirstSeen);
        Assert.Equal(local.LastSeen, read.LastSeen);
        Assert.Equal(2, read.Count);
        Assert.Equal(local.Group, read.Group);
        Assert.Equal(local.Evidence, read.Evidence);
        Assert.Equal(local.Description, read.Description);
    }

    [Fact]
    public void The_wire_form_has_exactly_the_documented_fields_and_no_event_content()
    {
        var doc = Document(Local() with { FirstSeen = new DateTimeOffset(2026, 4, 1, 10, 0, 0, TimeSpan.Zero) });
        Assert.Equal(["format", "id", "origin", "rule", "kind", "severity", "first_seen", "last_seen", "count", "group", "evidence", "description"],
            doc.Select(p => p.Key));
        Assert.Equal(SharedAlert.Format, (string?)doc["format"]);
        Assert.Equal(["id", "title", "level"], doc["rule"]!.AsObject().Select(p => p.Key));
        Assert.Equal("high", (string?)doc["rule"]!["level"]);
        Assert.Equal("correlation", (string?)doc["kind"]);
        Assert.Equal("2026-04-01T10:00:00Z", (string?)doc["first_seen"]);
        Assert.Equal("2026-04-01T10:03:00.123Z", (string?)doc["last_seen"]);
        Assert.DoesNotContain("original", doc.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_evidence_list_is_cut_to_the_wire_maximum()
    {
        var shared = SharedAlert.FromAlert(Local() with { Evidence = Enumerable.Range(0, 500).Select(i => $"evt-{i}").ToArray() });
        Assert.Equal(SharedAlert.MaxEvidence, shared.Evidence.Count);
        Assert.True(SharedAlert.TryParse(shared.ToJsonBytes(), out _, out var error), error);
    }

    [Fact]
    public void Sharing_refuses_clear_patient_identifiers_and_alerts_received_from_elsewhere()
    {
        var clear = Local() with { Group = new Dictionary<string, string?> { ["patient.id"] = "DK-0101901234" } };
        var ex = Assert.Throws<ArgumentException>(() => SharedAlert.FromAlert(clear));
        Assert.Contains("pseudonym", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SharedAlert.FromAlert(Local() with { ReceivedFrom = "ES" }));
    }

    public static TheoryData<string, string> BadDocuments()
    {
        var data = new TheoryData<string, string>
        {
            { "not json", "not valid JSON" },
            { "[1,2]", "not a JSON object" },
            { "{}", "format: missing" },
            { "{\"format\":\"\u00ff\"}", "format: expected" },
        };

        void Add(Action<JsonObject> change, string expected)
        {
            var doc = Document();
            change(doc);
            data.Add(doc.ToJsonString(), expected);
        }

        Add(d => d["format"] = "konfido.siem.alert/2", "format: expected");
        Add(d => d["extra"] = 1, "unknown property 'extra'");
        Add(d => d["raw_event"] = "{...}", "unknown property 'raw_event'");
        Add(d => d.Remove("origin"), "origin: missing");
        Add(d => d["origin"] = "dk", "origin: expected a two-letter upper-case country code");
        Add(d => d["origin"] = "DNK", "origin: expected");
        Add(d => d["id"] = "a/b", "id: 1 to 64");
        Add(d => d["id"] = new string('x', 65), "id: 1 to 64");
        Add(d => d["id"] = 5, "id: expected a string");
        Add(d => d["rule"]!["level"] = "severe", "rule.level: expected one of");
        Add(d => d["rule"]!["extra"] = "x", "rule: unknown property 'extra'");
        Add(d => d["rule"]!.AsObject().Remove("title"), "rule: needs exactly");
        Add(d => d["rule"] = "konfido-mass-lookup", "rule: missing or not an object");
        Add(d => d["rule"]!["title"] = "line\nbreak", "rule.title");
        Add(d => d["severity"] = "HIGH", "severity: expected one of");
        Add(d => d["kind"] = "guess", "kind: expected one of");
        Add(d => d["first_seen"] = "2026-04-01 10:00:00", "first_seen: expected an ISO 8601 UTC time");
        Add(d => d["last_seen"] = "2026-04-01T12:00:00+02:00", "last_seen: expected an ISO 8601 UTC time");
        Add(d => d["last_seen"] = "2026-03-01T10:00:00Z", "last_seen: before first_seen");
        Add(d => d["count"] = 0, "count: must be at least 1");
        Add(d => d["count"] = 1.5, "count: missing or not a 32-bit integer");
        Add(d => d["count"] = "3", "count: missing or not a 32-bit integer");
        Add(d => d["group"]!["patient.id"] = "DK-0101901234", "a patient field must hold a pseudonym");
        Add(d => d["group"]!["patient.pseudonym"] = "pp1:XYZ", "a patient field must hold a pseudonym");
        Add(d => d["group"]!["user.name"] = new JsonObject(), "group.user.name: expected a string or null");
        Add(d => d["group"]!["bad key!"] = "x", "is not a field name");
        Add(d => d["group"] = new JsonObject(Enumerable.Range(0, 33).Select(i => KeyValuePair.Create<string, JsonNode?>($"f{i}", "v"))), "group: more than 32");
        Add(d => d["evidence"] = new JsonArray(Enumerable.Range(0, 101).Select(i => (JsonNode?)JsonValue.Create($"e{i}")).ToArray()), "evidence: more than 100");
        Add(d => d["evidence"] = new JsonArray(JsonValue.Create(7)), "evidence: every reference must be a string");
        Add(d => d["evidence"] = new JsonArray(JsonValue.Create("")), "evidence: every reference has 1 to 128");
        Add(d => d["description"] = 42, "description: expected a string or null");
        Add(d => d["description"] = new string('d', 1025), "description: at most 1024");
        data.Add("{\"format\":\"konfido.siem.alert/1\",\"format\":\"konfido.siem.alert/1\"}", "appears twice");
        data.Add("{\"format\":" + new string('[', 10) + new string(']', 10) + "}", "not valid JSON");
        return data;
    }

    [Theory]
    [MemberData(nameof(BadDocuments))]
    public void Bad_documents_are_refused_with_a_reason_naming_the_field(string json, string expected)
    {
        var (ok, alert, error) = Parse(json);
        Assert.False(ok);
        Assert.Null(alert);
        Assert.NotNull(error);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void Invalid_utf8_is_refused()
    {
        byte[] bytes = [.. "{\"format\":\""u8, 0xC3, 0x28, .. "\"}"u8];
        Assert.False(SharedAlert.TryParse(bytes, out _, out var error));
        Assert.Contains("UTF-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_documents_are_refused_before_parsing()
    {
        var big = new byte[SharedAlert.MaxDocumentBytes + 1];
        Assert.False(SharedAlert.TryParse(big, out _, out var error));
        Assert.Contains("larger than", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_corruptions_of_a_valid_document_never_throw()
    {
        var valid = SharedAlert.FromAlert(Local()).ToJsonBytes();
        var random = new Random(77);
        var accepted = 0;
        for (var round = 0; round < 5000; round++)
        {
            var bytes = (byte[])valid.Clone();
            for (var i = 0; i < 1 + random.Next(4); i++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            if (SharedAlert.TryParse(bytes, out var alert, out var error))
            {
                accepted++;
                Assert.NotNull(alert);
                // Whatever was accepted is itself a valid document again.
                Assert.True(SharedAlert.TryParse(alert.ToJsonBytes(), out _, out var again), again);
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(error));
            }
        }

        Assert.True(accepted < 5000);
    }

    [Fact]
    public async Task A_callback_sink_hands_over_each_alert()
    {
        var seen = new List<string>();
        var sink = new CallbackAlertSink((a, _) =>
        {
            seen.Add(Encoding.UTF8.GetString(SharedAlert.FromAlert(a).ToJsonBytes()));
            return ValueTask.CompletedTask;
        });
        await sink.PublishAsync(Local());
        Assert.Single(seen);
        Assert.True(SharedAlert.TryParse(Encoding.UTF8.GetBytes(seen[0]), out _, out _));
        Assert.Throws<ArgumentNullException>(() => new CallbackAlertSink(null!));
    }

    [Fact]
    public void Pseudonyms_from_the_pseudonymiser_are_accepted_as_patient_values()
    {
        using var pseudonymiser = new PatientPseudonymiser(new byte[32]);
        var alert = Local() with { Group = new Dictionary<string, string?> { ["patient.pseudonym"] = pseudonymiser.Pseudonymise("DK-0101901234") } };
        Assert.True(SharedAlert.TryParse(SharedAlert.FromAlert(alert).ToJsonBytes(), out _, out var error), error);
    }

    [Fact]
    public void Json_written_by_hand_in_the_documented_form_is_accepted()
    {
        var json = """
            {"format":"konfido.siem.alert/1","id":"a1","origin":"ES","rule":{"id":"r","title":"T","level":"low"},
             "kind":"rule","severity":"medium","first_seen":"2026-04-01T10:00:00Z","last_seen":"2026-04-01T10:00:00.5Z",
             "count":1,"group":{},"evidence":[],"description":null}
            """;
        var (ok, alert, error) = Parse(json);
        Assert.True(ok, error);
        Assert.Equal(SigmaLevel.Low, alert!.RuleLevel);
        Assert.Equal(SigmaLevel.Medium, alert.Severity);
        Assert.Equal(TimeSpan.FromMilliseconds(500), alert.LastSeen - alert.FirstSeen);
        Assert.Null(alert.Description);
        using var parsed = JsonDocument.Parse(alert.ToJsonBytes());
        Assert.False(parsed.RootElement.TryGetProperty("description", out _));
    }
}
