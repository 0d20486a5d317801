using Konfido.Core;
using Konfido.Siem.Events;
using Konfido.Siem.Parsing;

namespace Konfido.Siem.Tests.Parsing;

public sealed class ParserTests
{
    private static readonly PatientPseudonymiser Pseudonymiser = new(new byte[32]);

    private static readonly TimeProvider Clock = new FixedClock(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    private static EventObject Parse(string line, LogFormat format = LogFormat.Auto) =>
        new LogParser(format, Pseudonymiser, Clock).Parse(line);

    // RFC 5424 section 6.5, example 1 (with the BOM before the message).
    [Fact]
    public void Rfc5424_example_without_structured_data()
    {
        var e = Parse("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8");
        Assert.Null(e.GetString("error.message"));
        Assert.Equal("2003-10-11T22:14:15.003Z", e.GetString("@timestamp"));
        Assert.Equal("4", e.GetString("log.syslog.facility.code"));
        Assert.Equal("2", e.GetString("log.syslog.severity.code"));
        Assert.Equal("mymachine.example.com", e.GetString("host.name"));
        Assert.Equal("su", e.GetString("process.name"));
        Assert.Equal("ID47", e.GetString("log.syslog.msgid"));
        Assert.Null(e.GetString("log.syslog.procid"));
        Assert.Equal("'su root' failed for lonvick on /dev/pts/8", e.GetString("message"));
        Assert.StartsWith("<34>1 2003", e.GetString("event.original"), StringComparison.Ordinal);
    }

    // RFC 5424 section 6.5, examples 3 and 4 (structured data, several elements).
    [Fact]
    public void Rfc5424_structured_data_with_escapes()
    {
        var e = Parse("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\" note=\"a \\\"quoted\\\" \\] and \\\\\"]");
        Assert.Null(e.GetString("error.message"));
        Assert.True(e.TryGet("log.syslog.structured_data", out var sd));
        var data = Assert.IsType<EventObject>(sd);
        Assert.True(data.TryGetMember("exampleSDID@32473", out var first));
        Assert.Equal("1011", ((EventObject)first!).GetString("eventID"));
        Assert.True(data.TryGetMember("examplePriority@32473", out var second));
        Assert.Equal("high", ((EventObject)second!).GetString("class"));
        Assert.Equal("a \"quoted\" ] and \\", ((EventObject)second!).GetString("note"));
        Assert.Null(e.GetString("message"));
    }

    // RFC 3164 section 5.4 example.
    [Fact]
    public void Rfc3164_example()
    {
        var e = Parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
        Assert.Null(e.GetString("error.message"));
        Assert.Equal("2026-10-11T22:14:15.000Z", e.GetString("@timestamp"));
        Assert.Equal("mymachine", e.GetString("host.name"));
        Assert.Equal("su", e.GetString("process.name"));
        Assert.Equal("'su root' failed for lonvick on /dev/pts/8", e.GetString("message"));
    }

    [Fact]
    public void Rfc3164_sshd_line_without_pri_yields_user_and_source()
    {
        var e = Parse("Dec 24 08:00:01 bastion sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 52144 ssh2", LogFormat.Syslog);
        Assert.Equal("2025-12-24T08:00:01.000Z", e.GetString("@timestamp")); // December 2026 lies in the future
        Assert.Equal("4242", e.GetString("process.pid"));
        Assert.Equal("admin", e.GetString("user.name"));
        Assert.Equal("203.0.113.9", e.GetString("source.ip"));
        Assert.Equal("failure", e.GetString("event.outcome"));
    }

    // CEF examples from the ArcSight CEF implementation guide (header and extension escaping).
    [Fact]
    public void Cef_with_escapes_and_syslog_prefix()
    {
        var e = Parse("Sep 19 08:26:10 host CEF:0|security|threatmanager|1.0|100|detected a \\| in message|10|src=10.0.0.1 act=blocked a \\= dst=1.1.1.1 msg=line1\\nline2 suser=alice spt=1232", LogFormat.Cef);
        Assert.Null(e.GetString("error.message"));
        Assert.Equal("security", e.GetString("observer.vendor"));
        Assert.Equal("threatmanager", e.GetString("observer.product"));
        Assert.Equal("100", e.GetString("event.code"));
        Assert.Equal("detected a | in message", e.GetString("cef.name"));
        Assert.Equal("10", e.GetString("event.severity"));
        Assert.Equal("10.0.0.1", e.GetString("source.ip"));
        Assert.Equal("blocked a =", e.GetString("event.action"));
        Assert.Equal("1.1.1.1", e.GetString("destination.ip"));
        Assert.Equal("line1\nline2", e.GetString("message"));
        Assert.Equal("alice", e.GetString("user.name"));
        Assert.True(e.TryGet("source.port", out var port));
        Assert.Equal(1232L, port);
        Assert.Equal("blocked a =", ((EventObject)(e.TryGet("cef.extensions", out var ext) ? ext : null)!).GetString("act"));
    }

    [Fact]
    public void Cef_value_with_unescaped_equals_in_url_stays_in_the_value()
    {
        var e = Parse("CEF:0|v|p|1|1|n|5|request=https://x/?a=b&c=d suser=bob");
        Assert.Equal("https://x/?a=b&c=d", e.GetString("url.original"));
        Assert.Equal("bob", e.GetString("user.name"));
    }

    internal const string AtnaXml = """<?xml version="1.0" encoding="UTF-8"?><AuditMessage><EventIdentification EventActionCode="R" EventDateTime="2026-05-01T09:30:00Z" EventOutcomeIndicator="0"><EventID csd-code="110110" codeSystemName="DCM" originalText="Patient Record"/><EventTypeCode csd-code="ITI-55" codeSystemName="IHE Transactions" originalText="Cross Gateway Patient Discovery"/><PurposeOfUse csd-code="TREATMENT" codeSystemName="eHDSI" originalText="Treatment"/></EventIdentification><ActiveParticipant UserID="dr.garcia@es" UserName="Dr Garcia" UserIsRequestor="true" NetworkAccessPointID="192.0.2.10" NetworkAccessPointTypeCode="2"><RoleIDCode csd-code="221" codeSystemName="ISCO-08" originalText="Medical Doctors"/></ActiveParticipant><ActiveParticipant UserID="https://ncp.dk/xcpd" UserIsRequestor="false" NetworkAccessPointID="ncp.dk" NetworkAccessPointTypeCode="1"><RoleIDCode csd-code="110152" codeSystemName="DCM" originalText="Destination Role ID"/></ActiveParticipant><AuditSourceIdentification AuditSourceID="NCP-DK" AuditEnterpriseSiteID="DK"/><ParticipantObjectIdentification ParticipantObjectID="2512489996^^^&amp;1.2.208.176.1.2&amp;ISO" ParticipantObjectTypeCode="1" ParticipantObjectTypeCodeRole="1"><ParticipantObjectIDTypeCode csd-code="2" originalText="Patient Number"/><ParticipantObjectName>Jens Jensen</ParticipantObjectName></ParticipantObjectIdentification></AuditMessage>""";

    [Fact]
    public void Atna_audit_message_in_syslog_is_normalised_and_the_patient_pseudonymised()
    {
        var e = Parse("<85>1 2026-05-01T09:30:01Z ncp-dk openncp 77 IHE+RFC-3881 - " + AtnaXml, LogFormat.Atna);
        Assert.Null(e.GetString("error.message"));
        Assert.Equal("atna", e.GetString("event.module"));
        Assert.Equal("2026-05-01T09:30:00.000Z", e.GetString("@timestamp"));
        Assert.Equal("110110", e.GetString("event.code"));
        Assert.Equal("Patient Record", e.GetString("event.action"));
        Assert.Equal("access", e.GetString("event.type"));
        Assert.Equal("success", e.GetString("event.outcome"));
        Assert.Equal("dr.garcia@es", e.GetString("user.name"));
        Assert.Equal("192.0.2.10", e.GetString("source.ip"));
        Assert.Equal("ncp.dk", e.GetString("destination.domain"));
        Assert.Equal("NCP-DK", e.GetString("observer.name"));
        Assert.Equal("TREATMENT", e.GetString("konfido.purpose_of_use"));
        var pseudonym = Pseudonymiser.Pseudonymise("2512489996^^^&1.2.208.176.1.2&ISO");
        Assert.Equal(pseudonym, e.GetString("patient.pseudonym"));
        var original = e.GetString("event.original")!;
        Assert.DoesNotContain("2512489996", original, StringComparison.Ordinal);
        Assert.DoesNotContain("Jens Jensen", original, StringComparison.Ordinal);
        Assert.Contains(pseudonym, original, StringComparison.Ordinal);
        Assert.True(!e.ToJson().Contains("2512489996", StringComparison.Ordinal), e.ToJson());
    }

    [Fact]
    public void Rfc3881_attribute_names_are_understood_too()
    {
        var xml = """<AuditMessage><EventIdentification EventActionCode="E" EventDateTime="2026-05-01T10:00:00Z" EventOutcomeIndicator="8"><EventID code="110114" codeSystemName="DCM" displayName="User Authentication"/></EventIdentification><ActiveParticipant UserID="mallory" UserIsRequestor="true"/><AuditSourceIdentification AuditSourceID="IDP-ES"/></AuditMessage>""";
        var e = Parse(xml);
        Assert.Equal("User Authentication", e.GetString("event.action"));
        Assert.Equal("failure", e.GetString("event.outcome"));
        Assert.Equal("mallory", e.GetString("user.name"));
    }

    [Fact]
    public void Fhir_audit_event_is_normalised()
    {
        var json = """{"resourceType":"AuditEvent","type":{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"110110","display":"Patient Record"},"subtype":[{"code":"read","display":"read"}],"action":"R","recorded":"2026-05-01T11:00:00+02:00","outcome":"0","purposeOfEvent":[{"coding":[{"code":"TREAT"}]}],"agent":[{"who":{"identifier":{"value":"dr.rossi@it"}},"requestor":true,"network":{"address":"198.51.100.7","type":"2"}}],"source":{"observer":{"display":"NCP-IT"}},"entity":[{"what":{"reference":"Patient/RSSMRA80A01H501U"}}]}""";
        var e = Parse(json);
        Assert.Null(e.GetString("error.message"));
        Assert.Equal("fhir", e.GetString("event.module"));
        Assert.Equal("2026-05-01T09:00:00.000Z", e.GetString("@timestamp"));
        Assert.Equal("read", e.GetString("event.action"));
        Assert.Equal("dr.rossi@it", e.GetString("user.name"));
        Assert.Equal("198.51.100.7", e.GetString("source.ip"));
        Assert.Equal("NCP-IT", e.GetString("observer.name"));
        Assert.Equal(Pseudonymiser.Pseudonymise("RSSMRA80A01H501U"), e.GetString("patient.pseudonym"));
        Assert.DoesNotContain("RSSMRA80A01H501U", e.ToJson(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("this is not a log line", LogFormat.Syslog)]
    [InlineData("<999>1 bad", LogFormat.Syslog)]
    [InlineData("<34>1 notatime host app - - - msg", LogFormat.Syslog)]
    [InlineData("<34>1 2003-10-11T22:14:15Z host app - - [unterminated a=\"b", LogFormat.Syslog)]
    [InlineData("CEF:0|only|three", LogFormat.Cef)]
    [InlineData("no cef here", LogFormat.Cef)]
    [InlineData("<AuditMessage><broken", LogFormat.Atna)]
    [InlineData("<Other/>", LogFormat.Atna)]
    [InlineData("{\"a\":", LogFormat.Json)]
    [InlineData("[1,2]", LogFormat.Json)]
    [InlineData("", LogFormat.Auto)]
    [InlineData("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><AuditMessage>&e;</AuditMessage>", LogFormat.Atna)]
    public void Bad_lines_become_error_events_never_exceptions(string line, LogFormat format)
    {
        var e = Parse(line, format);
        Assert.True(LogParser.IsError(e));
        Assert.Equal(line, e.GetString("event.original"));
    }

    [Fact]
    public void Security_event_normalisation_follows_the_documented_mapping()
    {
        var se = new SecurityEvent
        {
            Id = "e1",
            Timestamp = new DateTimeOffset(2026, 5, 1, 8, 0, 0, TimeSpan.Zero),
            Node = "DK",
            Category = EventCategories.Exchange,
            Action = "ips-retrieve",
            Outcome = EventOutcome.Failure,
            Actor = "dr.garcia@es",
            ActorRole = "221",
            Organisation = "Hospital Clinic",
            PurposeOfUse = "EMERGENCY",
            PatientId = "2512489996",
            SourceCountry = "ES",
            TargetCountry = "DK",
            SourceIp = "192.0.2.10",
            Reason = "no TRC",
            Attributes = new Dictionary<string, string> { ["trc"] = "missing" },
        };
        var e = SecurityEventNormaliser.Normalise(se, Pseudonymiser);
        Assert.Equal("2026-05-01T08:00:00.000Z", e.GetString("@timestamp"));
        Assert.Equal("konfido", e.GetString("event.module"));
        Assert.Equal("exchange", e.GetString("event.category"));
        Assert.Equal("ips-retrieve", e.GetString("event.action"));
        Assert.Equal("failure", e.GetString("event.outcome"));
        Assert.Equal("no TRC", e.GetString("event.reason"));
        Assert.Equal("DK", e.GetString("observer.country"));
        Assert.Equal("dr.garcia@es", e.GetString("user.name"));
        Assert.Equal("221", e.GetString("user.roles"));
        Assert.Equal("Hospital Clinic", e.GetString("organization.name"));
        Assert.Equal("EMERGENCY", e.GetString("konfido.purpose_of_use"));
        Assert.Equal("ES", e.GetString("source.country"));
        Assert.Equal("DK", e.GetString("destination.country"));
        Assert.Equal("192.0.2.10", e.GetString("source.ip"));
        Assert.Equal("missing", e.GetString("labels.trc"));
        Assert.Equal(Pseudonymiser.Pseudonymise("2512489996"), e.GetString("patient.pseudonym"));
        Assert.DoesNotContain("2512489996", e.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void Pseudonyms_are_keyed_stable_and_distinct()
    {
        using var other = new PatientPseudonymiser(Enumerable.Repeat((byte)1, 32).ToArray());
        Assert.Equal(Pseudonymiser.Pseudonymise("a"), Pseudonymiser.Pseudonymise("a"));
        Assert.NotEqual(Pseudonymiser.Pseudonymise("a"), Pseudonymiser.Pseudonymise("b"));
        Assert.NotEqual(Pseudonymiser.Pseudonymise("a"), other.Pseudonymise("a"));
        Assert.StartsWith(PatientPseudonymiser.Prefix, Pseudonymiser.Pseudonymise("a"), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PatientPseudonymiser(new byte[8]));
    }

    [Fact]
    public void Json_lines_keep_their_fields_and_lose_clear_patient_ids()
    {
        var e = Parse("""{"event":{"action":"x"},"patient":{"id":"123456"}}""", LogFormat.Json);
        Assert.Equal("x", e.GetString("event.action"));
        Assert.Null(e.GetString("patient.id"));
        Assert.Equal(Pseudonymiser.Pseudonymise("123456"), e.GetString("patient.pseudonym"));
        Assert.DoesNotContain("123456", e.GetString("event.original"), StringComparison.Ordinal);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
