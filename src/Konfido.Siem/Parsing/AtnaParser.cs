using System.Xml;
using System.Xml.Linq;
using Konfido.Siem.Events;

namespace Konfido.Siem.Parsing;

// IHE ATNA audit messages: the AuditMessage schema of RFC 3881 (section 5) and DICOM PS3.15
// Annex A.5 (attribute names differ: RFC 3881 'code'/'displayName', DICOM 'csd-code'/'originalText').
// Elements: EventIdentification (EventActionCode C/R/U/D/E, EventDateTime, EventOutcomeIndicator
// 0/4/8/12, EventID, EventTypeCode, PurposeOfUse), ActiveParticipant (UserID, AlternativeUserID,
// UserName, UserIsRequestor, NetworkAccessPointID/TypeCode, RoleIDCode), AuditSourceIdentification
// (AuditSourceID, AuditEnterpriseSiteID) and ParticipantObjectIdentification (ParticipantObjectID,
// TypeCode 1 = person, TypeCodeRole 1 = patient, ParticipantObjectIDTypeCode, ParticipantObjectName).

/// <summary>Parses an ATNA AuditMessage into ECS-style fields plus <c>atna.*</c> detail; patient ids are pseudonymised.</summary>
internal static class AtnaParser
{
    // An AuditMessage is four levels deep; XDocument.Load takes time quadratic in the nesting depth (a 128 KB
    // line of nested elements took 3 s: found by konfido fuzz), so deeper documents are refused before loading.
    private const int MaxDepth = 32;

    public static bool TryParse(string xml, EventObject e, ParseContext context, out string? error)
    {
        error = null;
        XDocument document;
        try
        {
            if (xml.AsSpan().Count('<') > MaxDepth && DeeperThan(xml, MaxDepth))
            {
                error = $"ATNA: elements nested deeper than {MaxDepth}";
                return false;
            }

            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit,
                XmlResolver = null,
                MaxCharactersInDocument = 1 << 20,
            });
            document = XDocument.Load(reader);
        }
        catch (XmlException ex)
        {
            error = $"ATNA: malformed XML: {ex.Message}";
            return false;
        }

        var root = document.Root;
        if (root is null || root.Name.LocalName != "AuditMessage")
        {
            error = "ATNA: the root element is not AuditMessage";
            return false;
        }

        var identification = Child(root, "EventIdentification");
        if (identification is null)
        {
            error = "ATNA: missing EventIdentification";
            return false;
        }

        e.Set("event.module", "atna");
        e.Set("event.kind", "event");
        var actionCode = Attr(identification, "EventActionCode");
        if (actionCode is not null)
        {
            e.Set("atna.event.action_code", actionCode);
            e.Set("event.type", actionCode switch
            {
                "C" => "creation",
                "R" => "access",
                "U" => "change",
                "D" => "deletion",
                _ => "info",
            });
        }

        if (Attr(identification, "EventDateTime") is { } when && EventTime.TryConvert(when, out var time))
        {
            e.Set("@timestamp", EventTime.Format(time));
        }

        var outcome = Attr(identification, "EventOutcomeIndicator") ?? "0";
        e.Set("atna.event.outcome_indicator", outcome);
        e.Set("event.outcome", outcome == "0" ? "success" : "failure");
        if (Child(identification, "EventOutcomeDescription")?.Value is { Length: > 0 } description)
        {
            e.Set("event.reason", description);
        }

        if (Child(identification, "EventID") is { } eventId)
        {
            e.SetIfPresent("event.code", Code(eventId));
            e.SetIfPresent("atna.event.id.code", Code(eventId));
            e.SetIfPresent("atna.event.id.system", Attr(eventId, "codeSystemName"));
            e.SetIfPresent("event.action", Display(eventId) ?? Code(eventId));
        }

        var typeCodes = Children(identification, "EventTypeCode").ToList();
        if (typeCodes.Count > 0)
        {
            e.Set("atna.event.type_codes", typeCodes.Select(t => (object?)(Code(t) ?? string.Empty)).ToList());
            e.Set("atna.event.type_names", typeCodes.Select(t => (object?)(Display(t) ?? string.Empty)).ToList());
        }

        if (Child(identification, "PurposeOfUse") is { } purpose)
        {
            e.SetIfPresent("konfido.purpose_of_use", Code(purpose) ?? Display(purpose));
        }

        var participants = new List<object?>();
        var requestorSeen = false;
        foreach (var participant in Children(root, "ActiveParticipant"))
        {
            var p = new EventObject();
            var userId = Attr(participant, "UserID");
            var requestor = string.Equals(Attr(participant, "UserIsRequestor"), "true", StringComparison.OrdinalIgnoreCase);
            var nap = Attr(participant, "NetworkAccessPointID");
            var napType = Attr(participant, "NetworkAccessPointTypeCode");
            var roles = Children(participant, "RoleIDCode").Select(r => (object?)(Display(r) ?? Code(r))).ToList();
            p.SetIfPresent("user_id", userId);
            p.SetIfPresent("alt_user_id", Attr(participant, "AlternativeUserID"));
            p.SetIfPresent("user_name", Attr(participant, "UserName"));
            p.Set("requestor", requestor);
            p.SetIfPresent("network_access_point", nap);
            p.SetIfPresent("network_access_point_type", napType);
            p.Set("roles", roles);
            participants.Add(p);

            var roleCodes = Children(participant, "RoleIDCode").Select(Code).ToList();
            if (requestor && !requestorSeen)
            {
                requestorSeen = true;
                e.SetIfPresent("user.name", userId);
                e.SetIfPresent("user.full_name", Attr(participant, "UserName"));
                if (roles.Count > 0)
                {
                    e.Set("user.roles", roles);
                }

                SetAddress(e, "source", nap, napType);
            }
            else if (roleCodes.Contains("110152"))
            {
                // DCM 110152 "Destination Role ID"
                SetAddress(e, "destination", nap, napType);
                e.SetIfPresent("destination.user.name", userId);
            }
            else if (roleCodes.Contains("110153"))
            {
                // DCM 110153 "Source Role ID"
                if (e.GetString("source.ip") is null && e.GetString("source.domain") is null)
                {
                    SetAddress(e, "source", nap, napType);
                }
            }
        }

        e.Set("atna.participants", participants);

        if (Child(root, "AuditSourceIdentification") is { } source)
        {
            var sourceId = Attr(source, "AuditSourceID") ?? Attr(source, "code");
            e.SetIfPresent("observer.name", sourceId);
            e.SetIfPresent("atna.source.id", sourceId);
            e.SetIfPresent("atna.source.site", Attr(source, "AuditEnterpriseSiteID"));
        }

        var objects = new List<object?>();
        foreach (var obj in Children(root, "ParticipantObjectIdentification"))
        {
            var o = new EventObject();
            var id = Attr(obj, "ParticipantObjectID");
            var typeCode = Attr(obj, "ParticipantObjectTypeCode");
            var role = Attr(obj, "ParticipantObjectTypeCodeRole");
            var isPatient = typeCode == "1" && role == "1";
            var name = Child(obj, "ParticipantObjectName")?.Value;
            if (isPatient && !string.IsNullOrEmpty(id))
            {
                var pseudonym = context.Patient(id);
                o.Set("id", pseudonym);
                e.Set("patient.pseudonym", pseudonym);
                if (!string.IsNullOrEmpty(name))
                {
                    context.Remember(name); // a patient's name never survives into storage
                }
            }
            else
            {
                o.SetIfPresent("id", id);
                o.SetIfPresent("name", name);
            }

            o.SetIfPresent("type_code", typeCode);
            o.SetIfPresent("role", role);
            o.SetIfPresent("lifecycle", Attr(obj, "ParticipantObjectDataLifeCycle"));
            if (Child(obj, "ParticipantObjectIDTypeCode") is { } idType)
            {
                o.SetIfPresent("id_type_code", Code(idType));
                o.SetIfPresent("id_type", Display(idType));
            }

            objects.Add(o);
        }

        e.Set("atna.objects", objects);
        return true;
    }

    private static void SetAddress(EventObject e, string prefix, string? nap, string? napType)
    {
        if (string.IsNullOrEmpty(nap))
        {
            return;
        }

        if (napType == "2" || System.Net.IPAddress.TryParse(nap, out _))
        {
            e.Set(prefix + ".ip", nap);
        }
        else
        {
            e.Set(prefix + ".domain", nap);
        }
    }

    private static XElement? Child(XElement parent, string name) => parent.Elements().FirstOrDefault(c => c.Name.LocalName == name);

    private static IEnumerable<XElement> Children(XElement parent, string name) => parent.Elements().Where(c => c.Name.LocalName == name);

    private static string? Attr(XElement element, string name) =>
        element.Attributes().FirstOrDefault(a => a.Name.LocalName == name)?.Value;

    private static string? Code(XElement coded) => Attr(coded, "csd-code") ?? Attr(coded, "code");

    private static string? Display(XElement coded) => Attr(coded, "displayName") ?? Attr(coded, "originalText");

    // One forward pass of the reader (linear time), stopping at the first element deeper than maxDepth.
    private static bool DeeperThan(string xml, int maxDepth)
    {
        using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = 1 << 20 });
        while (reader.Read())
        {
            if (reader.Depth > maxDepth)
            {
                return true;
            }
        }

        return false;
    }
}
