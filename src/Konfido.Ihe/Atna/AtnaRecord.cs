using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Konfido.Core;
using Konfido.Ihe.Soap;

namespace Konfido.Ihe.Atna;

/// <summary>The IHE transactions Konfido audits.</summary>
public enum IheTransaction
{
    /// <summary>ITI-55 Cross Gateway Patient Discovery.</summary>
    CrossGatewayPatientDiscovery,

    /// <summary>ITI-38 Cross Gateway Query.</summary>
    CrossGatewayQuery,

    /// <summary>ITI-39 Cross Gateway Retrieve.</summary>
    CrossGatewayRetrieve,

    /// <summary>ITI-41 Provide and Register Document Set-b (XDR).</summary>
    ProvideAndRegister,
}

/// <summary>Which end of the transaction records the audit.</summary>
public enum AtnaSide
{
    /// <summary>The initiating gateway (country B).</summary>
    Initiating,

    /// <summary>The responding gateway (country A).</summary>
    Responding,
}

/// <summary>What one audit record says about one transaction.</summary>
public sealed record AtnaAudit
{
    /// <summary>The transaction.</summary>
    public required IheTransaction Transaction { get; init; }

    /// <summary>The recording side.</summary>
    public required AtnaSide Side { get; init; }

    /// <summary>True if it succeeded.</summary>
    public required bool Success { get; init; }

    /// <summary>Why it failed, when it did.</summary>
    public string? FailureReason { get; init; }

    /// <summary>The initiating gateway's endpoint (or country) and address.</summary>
    public required string Source { get; init; }

    /// <summary>The initiating gateway's IP address, when known.</summary>
    public string? SourceIp { get; init; }

    /// <summary>The responding gateway's endpoint URL.</summary>
    public required string Destination { get; init; }

    /// <summary>The professional on whose behalf it ran (HCP assertion subject), when known.</summary>
    public string? HumanRequestor { get; init; }

    /// <summary>The professional's role code (ISCO-08), when known.</summary>
    public string? HumanRole { get; init; }

    /// <summary>The purpose of use (TREATMENT, EMERGENCY), when known.</summary>
    public string? PurposeOfUse { get; init; }

    /// <summary>The patient as an HL7 CX, when the transaction names one.</summary>
    public string? PatientCx { get; init; }

    /// <summary>The documents retrieved or submitted.</summary>
    public IReadOnlyList<string> DocumentUniqueIds { get; init; } = [];

    /// <summary>The WS-Addressing MessageID of the request.</summary>
    public string? MessageId { get; init; }

    /// <summary>The node recording the audit (AuditSourceID).</summary>
    public required string AuditSource { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset When { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>
/// IHE ATNA audit messages (ITI TF-2a 3.20, the DICOM PS3.15 A.5 AuditMessage schema; RFC 3881 names
/// the same elements) for the IHE transactions, following the per-transaction audit requirements of
/// ITI TF-2b 3.55.5, 3.38.5, 3.39.5 and 3.41.5: event id and type, source and destination
/// participants (DCM 110153/110152), the human requestor, the patient (participant object type 1,
/// role 1) and the query or documents.
/// </summary>
public static class AtnaRecord
{
    /// <summary>The placeholder written for the patient id in audit XML attached to security events (the event's PatientId carries it for pseudonymisation).</summary>
    public const string RedactedPatient = "redacted";

    /// <summary>Builds the AuditMessage. With <paramref name="redactPatient"/>, the patient id is replaced by <see cref="RedactedPatient"/>.</summary>
    /// <param name="audit">What to record.</param>
    /// <param name="redactPatient">Leave the patient id out of the XML.</param>
    public static XDocument Build(AtnaAudit audit, bool redactPatient = false)
    {
        ArgumentNullException.ThrowIfNull(audit);
        var (eventCode, eventName, action) = Event(audit);
        var (typeCode, typeName) = TypeCode(audit.Transaction);
        var identification = new XElement("EventIdentification",
            new XAttribute("EventActionCode", action),
            new XAttribute("EventDateTime", audit.When.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)),
            new XAttribute("EventOutcomeIndicator", audit.Success ? "0" : "8"),
            Code("EventID", eventCode, "DCM", eventName),
            Code("EventTypeCode", typeCode, "IHE Transactions", typeName));
        if (!audit.Success && audit.FailureReason is not null)
        {
            identification.Add(new XElement("EventOutcomeDescription", audit.FailureReason));
        }

        if (audit.PurposeOfUse is not null)
        {
            identification.Add(Code("PurposeOfUse", audit.PurposeOfUse, "eHDSI XSPA PurposeOfUse", audit.PurposeOfUse));
        }

        var message = new XElement("AuditMessage", identification);
        if (audit.HumanRequestor is not null)
        {
            var human = new XElement("ActiveParticipant", new XAttribute("UserID", audit.HumanRequestor), new XAttribute("UserIsRequestor", "true"));
            if (audit.HumanRole is not null)
            {
                human.Add(Code("RoleIDCode", audit.HumanRole, "ISCO-08", audit.HumanRole));
            }

            message.Add(human);
        }

        message.Add(Participant(audit.Source, audit.SourceIp, requestor: audit.HumanRequestor is null, "110153", "Source Role ID"));
        message.Add(Participant(audit.Destination, Host(audit.Destination), requestor: false, "110152", "Destination Role ID"));
        message.Add(new XElement("AuditSourceIdentification", new XAttribute("AuditSourceID", audit.AuditSource), new XAttribute("AuditEnterpriseSiteID", audit.AuditSource)));
        if (audit.PatientCx is not null)
        {
            message.Add(new XElement("ParticipantObjectIdentification",
                new XAttribute("ParticipantObjectID", redactPatient ? RedactedPatient : audit.PatientCx),
                new XAttribute("ParticipantObjectTypeCode", "1"), new XAttribute("ParticipantObjectTypeCodeRole", "1"),
                Code("ParticipantObjectIDTypeCode", "2", "RFC-3881", "Patient Number")));
        }

        if (audit.Transaction is IheTransaction.CrossGatewayPatientDiscovery or IheTransaction.CrossGatewayQuery)
        {
            message.Add(new XElement("ParticipantObjectIdentification",
                new XAttribute("ParticipantObjectID", audit.Transaction == IheTransaction.CrossGatewayQuery ? IheNames.FindDocumentsQuery : audit.MessageId ?? "query"),
                new XAttribute("ParticipantObjectTypeCode", "2"), new XAttribute("ParticipantObjectTypeCodeRole", "24"),
                Code("ParticipantObjectIDTypeCode", typeCode, "IHE Transactions", typeName)));
        }

        foreach (var document in audit.DocumentUniqueIds)
        {
            message.Add(new XElement("ParticipantObjectIdentification",
                new XAttribute("ParticipantObjectID", document),
                new XAttribute("ParticipantObjectTypeCode", "2"), new XAttribute("ParticipantObjectTypeCodeRole", "3"),
                Code("ParticipantObjectIDTypeCode", "9", "RFC-3881", "Report Number")));
        }

        return new XDocument(message);
    }

    /// <summary>
    /// The audit as a security event for the node's event path (ledger, SIEM): category exchange,
    /// action <c>atna-iti-NN</c>, the AuditMessage (patient redacted) in attribute <c>atna.xml</c>, the
    /// clear patient in <see cref="SecurityEvent.PatientId"/> for the sinks to pseudonymise.
    /// </summary>
    /// <param name="audit">What to record.</param>
    /// <param name="node">The recording node's country.</param>
    /// <param name="sourceCountry">The initiating country, when known.</param>
    /// <param name="targetCountry">The responding country, when known.</param>
    public static SecurityEvent ToSecurityEvent(AtnaAudit audit, string node, string? sourceCountry, string? targetCountry)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        var (typeCode, _) = TypeCode(audit.Transaction);
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["atna.xml"] = SafeXmlText(Build(audit, redactPatient: true)),
            ["ihe.transaction"] = typeCode,
            ["side"] = audit.Side == AtnaSide.Initiating ? "requesting" : "home",
            ["protocol"] = "ihe",
        };
        if (audit.MessageId is not null)
        {
            attributes["ihe.message_id"] = audit.MessageId;
        }

        if (audit.DocumentUniqueIds.Count > 0)
        {
            attributes["ihe.documents"] = string.Join(",", audit.DocumentUniqueIds);
        }

        return new SecurityEvent
        {
            Node = node,
            Timestamp = audit.When,
            Category = EventCategories.Exchange,
            Action = "atna-" + typeCode.ToLowerInvariant(),
            Outcome = audit.Success ? EventOutcome.Success : EventOutcome.Failure,
            Actor = audit.HumanRequestor,
            ActorRole = audit.HumanRole,
            PurposeOfUse = audit.PurposeOfUse,
            PatientId = Transactions.RegistryObjects.ParsePatientCx(audit.PatientCx)?.Value ?? audit.PatientCx,
            SourceCountry = sourceCountry,
            TargetCountry = targetCountry,
            SourceIp = audit.SourceIp,
            Reason = audit.Success ? null : audit.FailureReason ?? "the transaction failed",
            Attributes = attributes,
        };
    }

    private static string SafeXmlText(XDocument document) => Encoding.UTF8.GetString(SafeXml.ToUtf8(document));

    private static (string Code, string Name, string Action) Event(AtnaAudit audit) => (audit.Transaction, audit.Side) switch
    {
        (IheTransaction.CrossGatewayPatientDiscovery or IheTransaction.CrossGatewayQuery, _) => ("110112", "Query", "E"),
        (IheTransaction.CrossGatewayRetrieve, AtnaSide.Responding) => ("110106", "Export", "R"),
        (IheTransaction.CrossGatewayRetrieve, AtnaSide.Initiating) => ("110107", "Import", "C"),
        (IheTransaction.ProvideAndRegister, AtnaSide.Initiating) => ("110106", "Export", "R"),
        _ => ("110107", "Import", "C"),
    };

    private static (string Code, string Name) TypeCode(IheTransaction transaction) => transaction switch
    {
        IheTransaction.CrossGatewayPatientDiscovery => ("ITI-55", "Cross Gateway Patient Discovery"),
        IheTransaction.CrossGatewayQuery => ("ITI-38", "Cross Gateway Query"),
        IheTransaction.CrossGatewayRetrieve => ("ITI-39", "Cross Gateway Retrieve"),
        _ => ("ITI-41", "Provide and Register Document Set-b"),
    };

    private static XElement Participant(string id, string? address, bool requestor, string role, string roleName)
    {
        var participant = new XElement("ActiveParticipant", new XAttribute("UserID", id), new XAttribute("UserIsRequestor", requestor ? "true" : "false"));
        if (address is not null)
        {
            participant.Add(new XAttribute("NetworkAccessPointID", address),
                new XAttribute("NetworkAccessPointTypeCode", System.Net.IPAddress.TryParse(address, out _) ? "2" : "1"));
        }

        participant.Add(Code("RoleIDCode", role, "DCM", roleName));
        return participant;
    }

    private static string? Host(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Host : null;

    private static XElement Code(string name, string code, string system, string display) =>
        new(name, new XAttribute("csd-code", code), new XAttribute("codeSystemName", system), new XAttribute("originalText", display));
}

/// <summary>Emits ATNA audits of IHE transactions as security events through the node's event path.</summary>
/// <param name="events">The node's event sink (ledger, SIEM).</param>
/// <param name="node">The node's country.</param>
public sealed class AtnaAuditor(ISecurityEventSink events, string node)
{
    /// <summary>Records <paramref name="audit"/>.</summary>
    /// <param name="audit">What to record.</param>
    /// <param name="sourceCountry">The initiating country, when known.</param>
    /// <param name="targetCountry">The responding country, when known.</param>
    /// <param name="cancellationToken">Cancels the publication.</param>
    public ValueTask RecordAsync(AtnaAudit audit, string? sourceCountry, string? targetCountry, CancellationToken cancellationToken = default) =>
        events.PublishAsync(AtnaRecord.ToSecurityEvent(audit, node, sourceCountry, targetCountry), cancellationToken);
}
