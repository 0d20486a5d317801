using Konfido.Siem;
using Konfido.Siem.Events;
using Konfido.Siem.Parsing;
using Konfido.Siem.Sigma;

namespace Konfido.Fuzzing.Targets;

/// <summary>A clock that always says the same instant (RFC 3164 timestamps take their year from it).</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>
/// The SIEM's log-line parser for one format (<see cref="LogParser.Parse"/>: never throws; a line that does not
/// parse becomes an event with <c>error.message</c>). Each accepted event then goes through the bundled Sigma
/// rules. Invariant: an accepted event's JSON parses back to the same JSON.
/// </summary>
public sealed class LogLineTarget : TextFuzzTarget
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
    private readonly LogFormat _format;
    private readonly LogParser _parser;
    private readonly Lazy<RuleEvaluator> _rules = new(() => BundledRules.Load().CreateEvaluator());

    /// <summary>Creates the target for one format.</summary>
    /// <param name="format">Syslog, ATNA, CEF or auto.</param>
    public LogLineTarget(LogFormat format)
    {
        _format = format;
        _parser = new LogParser(format, new PatientPseudonymiser(new byte[32]), new FixedTime(Now));
    }

    /// <inheritdoc />
    public override string Name => _format switch
    {
        LogFormat.Syslog => "siem-syslog",
        LogFormat.Atna => "siem-atna",
        LogFormat.Cef => "siem-cef",
        _ => "siem-auto",
    };

    /// <inheritdoc />
    public override string Description => _format switch
    {
        LogFormat.Syslog => "SIEM syslog RFC 5424/3164 line parsing and normalisation, then the bundled Sigma rules (LogParser.Parse)",
        LogFormat.Atna => "SIEM IHE ATNA audit message (RFC 3881 XML, bare or in syslog) parsing (LogParser.Parse)",
        LogFormat.Cef => "SIEM ArcSight CEF line parsing (LogParser.Parse)",
        _ => "SIEM auto-detected lines: syslog, ATNA, CEF, FHIR AuditEvent and JSON (LogParser.Parse)",
    };

    /// <inheritdoc />
    public override InputShape Shape => _format == LogFormat.Atna ? InputShape.Xml : InputShape.Text;

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary =>
        ["<134>", "<999>", "<>", "1 ", " - ", "[", "]", "[x@1 a=\"b\"]", "\\]", "\\\"", "CEF:0|", "|", "\\|", "\\=", "\\\\", "=", "rt=", "cs1Label=", "cs1=",
         "<AuditMessage>", "<EventIdentification", "EventActionCode=\"R\"", "EventDateTime=\"", "<ParticipantObjectIdentification", "ParticipantObjectTypeCode=\"1\"",
         "ParticipantObjectTypeCodeRole=\"1\"", "ParticipantObjectID=\"", "IHE+RFC-3881", "Feb 29 ", "Jan  1 ", "2026-02-30T25:61:61Z", "9999-12-31T23:59:59.9999999+14:00",
         "{\"resourceType\":\"AuditEvent\"", "\"@timestamp\":", "\u0085", "\u2028"];

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds()
    {
        var traffic = SampleTraffic.Generate(200, seed: 7);
        var lines = _format switch
        {
            LogFormat.Syslog => traffic.Where(l => l.StartsWith('<') || char.IsAsciiLetterUpper(l[0]) && !l.StartsWith("CEF:", StringComparison.Ordinal)),
            LogFormat.Atna => traffic.Where(l => l.Contains("<AuditMessage>", StringComparison.Ordinal)),
            LogFormat.Cef => traffic.Where(l => l.StartsWith("CEF:", StringComparison.Ordinal)),
            _ => traffic,
        };
        foreach (var line in lines.Take(12))
        {
            yield return line;
        }

        switch (_format)
        {
            case LogFormat.Syslog:
                yield return "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] \uFEFFAn application event log entry";
                yield return "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8";
                yield return "<0>1 - - - - - -";
                break;
            case LogFormat.Atna:
                yield return "<AuditMessage><EventIdentification EventActionCode=\"E\" EventDateTime=\"2026-03-02T09:00:00Z\" EventOutcomeIndicator=\"4\"><EventID csd-code=\"110114\" codeSystemName=\"DCM\"/></EventIdentification><ActiveParticipant UserID=\"hcp1@dk\" UserIsRequestor=\"true\"/><AuditSourceIdentification AuditSourceID=\"NCP-ES\"/></AuditMessage>";
                break;
            case LogFormat.Cef:
                yield return "CEF:0|Security|threatmanager|1.0|100|detected a \\| in message|10|src=10.0.0.1 act=blocked a \\= dst=1.1.1.1 msg=line\\nbreak";
                yield return "CEF:1|Vendor|Product|2|sig|name|Very-High|";
                break;
            default:
                yield return "{\"resourceType\":\"AuditEvent\",\"type\":{\"code\":\"rest\"},\"recorded\":\"2026-03-02T09:00:00Z\",\"outcome\":\"0\",\"agent\":[{\"requestor\":true,\"who\":{\"display\":\"hcp1\"}}],\"source\":{\"observer\":{\"display\":\"ncp-dk\"}},\"entity\":[{\"what\":{\"reference\":\"Patient/123\"}}]}";
                break;
        }
    }

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        var e = _parser.Parse(text);
        if (LogParser.IsError(e))
        {
            return FuzzResult.Reject(e.GetString("error.message"));
        }

        var json = e.ToJson();
        string again;
        try
        {
            again = EventObject.ParseJson(json).ToJson();
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new FuzzInvariantException("event-json-roundtrip", $"the event's JSON does not parse back: {ex.Message}");
        }

        if (again != json)
        {
            throw new FuzzInvariantException("event-json-roundtrip", "the event's JSON parses back to different JSON");
        }

        _ = _rules.Value.Evaluate(e);
        return FuzzResult.Accept;
    }
}

/// <summary>
/// The Sigma rule loader (<see cref="SigmaRuleLoader.AddText"/> and <see cref="SigmaRuleLoader.Build"/>: a rule that
/// does not load is reported, never thrown). Every rule that loads is then evaluated on a few sample events.
/// </summary>
public sealed class SigmaRuleTarget : TextFuzzTarget
{
    private readonly Lazy<IReadOnlyList<EventObject>> _events = new(() =>
    {
        using var pseudonymiser = new PatientPseudonymiser(new byte[32]);
        var parser = new LogParser(LogFormat.Auto, pseudonymiser, new FixedTime(new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero)));
        return [.. SampleTraffic.Generate(20, seed: 3).Select(parser.Parse)];
    });

    /// <inheritdoc />
    public override string Name => "sigma-rules";

    /// <inheritdoc />
    public override string Description => "Sigma YAML detection and correlation rules: loading, compiling and evaluating (SigmaRuleLoader)";

    /// <inheritdoc />
    public override InputShape Shape => InputShape.Yaml;

    /// <inheritdoc />
    public override IReadOnlyList<string> Dictionary =>
        ["|contains", "|startswith", "|endswith", "|re", "|all", "|base64offset", "|cidr", "|windash", "|lt", "|gte", "|expand", "|fieldref", "|exists", "|cased", "|utf16le|base64",
         "condition: ", "1 of selection*", "all of them", "not ", " and ", " or ", "(", ")", "selection", "keywords", "correlation:", "type: event_count", "type: value_count",
         "type: temporal", "timespan: ", "group-by:", "rules:", "gte: ", "*", "?", "\\*", "(a+)+$", "[", "%HeDecryptors%", "logsource:", "product: konfido", "level: critical"];

    /// <inheritdoc />
    protected override IEnumerable<string> CreateTextSeeds()
    {
        foreach (var (_, text) in BundledRules.Files.OrderBy(f => f.Key, StringComparer.Ordinal).Take(12))
        {
            yield return text;
        }

        yield return """
            title: Many failed logins then a success
            id: 4a9f1c2e-0000-4000-8000-000000000001
            name: failed_login
            logsource:
              product: konfido
            detection:
              selection:
                event.action|startswith: 'eid-'
                event.outcome: failure
              filter:
                user.name|re: '^svc-[a-z]+$'
              condition: selection and not filter
            level: medium
            ---
            title: Burst of failures
            id: 4a9f1c2e-0000-4000-8000-000000000002
            correlation:
              type: event_count
              rules:
                - failed_login
              group-by:
                - user.name
              timespan: 5m
              condition:
                gte: 3
            level: high
            """;
    }

    /// <inheritdoc />
    protected override FuzzResult Run(string text)
    {
        var set = new SigmaRuleLoader(BundledRules.Configuration).AddText(text, "fuzz.yml").Build();
        if (set.LoadedCount == 0)
        {
            var failure = set.Report.FirstOrDefault(r => !r.Loaded);
            return FuzzResult.Reject(failure?.Reason ?? "no rule");
        }

        var evaluator = set.CreateEvaluator();
        foreach (var e in _events.Value)
        {
            _ = evaluator.Evaluate(e);
        }

        return FuzzResult.Accept;
    }
}
