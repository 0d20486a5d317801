using System.Text;
using Konfido.Core;
using Konfido.Ihe.Atna;
using Konfido.Ihe.Soap;
using Konfido.Siem.Parsing;

namespace Konfido.Ihe.Tests;

public sealed class AtnaTests
{
    private static AtnaAudit Audit(IheTransaction transaction, AtnaSide side, bool success = true) => new()
    {
        Transaction = transaction,
        Side = side,
        Success = success,
        FailureReason = success ? null : "cross-border assertions refused",
        Source = "ES",
        SourceIp = "10.0.0.7",
        Destination = "https://dk.ncp.example:8443/ihe/xca/query",
        HumanRequestor = "ES/DK/12345678Z",
        HumanRole = "221",
        PurposeOfUse = "TREATMENT",
        PatientCx = "0101701234^^^&1.2.208.176.1.2&ISO",
        DocumentUniqueIds = transaction is IheTransaction.CrossGatewayRetrieve or IheTransaction.ProvideAndRegister ? ["2.25.42"] : [],
        MessageId = "urn:uuid:0f2b",
        AuditSource = "DK",
    };

    public static TheoryData<IheTransaction, AtnaSide, string, string> Cases => new()
    {
        { IheTransaction.CrossGatewayPatientDiscovery, AtnaSide.Responding, "110112", "info" },
        { IheTransaction.CrossGatewayQuery, AtnaSide.Initiating, "110112", "info" },
        { IheTransaction.CrossGatewayRetrieve, AtnaSide.Responding, "110106", "access" },
        { IheTransaction.CrossGatewayRetrieve, AtnaSide.Initiating, "110107", "creation" },
        { IheTransaction.ProvideAndRegister, AtnaSide.Responding, "110107", "creation" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Audit_messages_parse_in_the_siem(IheTransaction transaction, AtnaSide side, string eventId, string eventType)
    {
        var xml = Encoding.UTF8.GetString(SafeXml.ToUtf8(AtnaRecord.Build(Audit(transaction, side))));
        using var pseudonymiser = new PatientPseudonymiser(new byte[32]);
        var parsed = new LogParser(LogFormat.Atna, pseudonymiser).Parse(xml);
        Assert.False(LogParser.IsError(parsed), parsed.GetString("error.message"));
        Assert.Equal(eventId, parsed.GetString("event.code"));
        Assert.Equal("success", parsed.GetString("event.outcome"));
        Assert.Equal("ES/DK/12345678Z", parsed.GetString("user.name"));
        Assert.Equal("TREATMENT", parsed.GetString("konfido.purpose_of_use"));
        Assert.Equal("DK", parsed.GetString("observer.name"));
        Assert.Equal("dk.ncp.example", parsed.GetString("destination.domain"));
        Assert.StartsWith(PatientPseudonymiser.Prefix, parsed.GetString("patient.pseudonym"), StringComparison.Ordinal);
        Assert.DoesNotContain("0101701234", Encoding.UTF8.GetString(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(parsed.GetString("patient.pseudonym"))), StringComparison.Ordinal);
        if (eventType != "info")
        {
            Assert.Equal(eventType, parsed.GetString("event.type"));
        }
    }

    [Fact]
    public void Failures_carry_outcome_and_reason()
    {
        var xml = Encoding.UTF8.GetString(SafeXml.ToUtf8(AtnaRecord.Build(Audit(IheTransaction.CrossGatewayQuery, AtnaSide.Responding, success: false))));
        using var pseudonymiser = new PatientPseudonymiser(new byte[32]);
        var parsed = new LogParser(LogFormat.Atna, pseudonymiser).Parse(xml);
        Assert.Equal("failure", parsed.GetString("event.outcome"));
        Assert.Equal("cross-border assertions refused", parsed.GetString("event.reason"));
    }

    [Fact]
    public async Task The_security_event_carries_the_audit_without_the_clear_patient_id()
    {
        var sink = new InMemorySecurityEventSink();
        await new AtnaAuditor(sink, "DK").RecordAsync(Audit(IheTransaction.CrossGatewayRetrieve, AtnaSide.Responding), "ES", "DK");
        var e = Assert.Single(sink.Events);
        Assert.Equal("atna-iti-39", e.Action);
        Assert.Equal(EventCategories.Exchange, e.Category);
        Assert.Equal("0101701234", e.PatientId);
        Assert.DoesNotContain("0101701234", e.Attributes["atna.xml"], StringComparison.Ordinal);
        Assert.Contains(AtnaRecord.RedactedPatient, e.Attributes["atna.xml"], StringComparison.Ordinal);
        Assert.Equal("2.25.42", e.Attributes["ihe.documents"]);
        using var pseudonymiser = new PatientPseudonymiser(new byte[32]);
        Assert.False(LogParser.IsError(new LogParser(LogFormat.Atna, pseudonymiser).Parse(e.Attributes["atna.xml"])));
    }
}
