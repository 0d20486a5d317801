using System.Text.Json;
using Konfido.Siem.Events;

namespace Konfido.Siem.Parsing;

// HL7 FHIR R4 AuditEvent (http://hl7.org/fhir/R4/auditevent.html): type, subtype, action
// (C/R/U/D/E), recorded, outcome (0/4/8/12), outcomeDesc, purposeOfEvent, agent (who, requestor,
// role, network.address/type), source (site, observer), entity (what, type, role). An entity whose
// what.reference is Patient/... or whose type is 1 (Person) with role 1 (Patient) is the patient.

/// <summary>Parses a FHIR AuditEvent (JSON) into ECS-style fields; the patient is pseudonymised.</summary>
internal static class FhirAuditEventParser
{
    public static bool IsAuditEvent(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("resourceType", out var rt) && rt.ValueEquals("AuditEvent");

    public static void Parse(JsonElement root, EventObject e, ParseContext context)
    {
        e.Set("event.module", "fhir");
        e.Set("event.kind", "event");
        if (root.TryGetProperty("type", out var type))
        {
            e.SetIfPresent("event.code", Str(type, "code"));
            e.SetIfPresent("fhir.audit.type", Str(type, "code"));
        }

        string? action = null;
        if (root.TryGetProperty("subtype", out var subtypes) && subtypes.ValueKind == JsonValueKind.Array && subtypes.GetArrayLength() > 0)
        {
            var first = subtypes[0];
            action = Str(first, "display") ?? Str(first, "code");
            e.Set("fhir.audit.subtype", subtypes.EnumerateArray().Select(s => (object?)(Str(s, "code") ?? string.Empty)).ToList());
        }

        action ??= type.ValueKind == JsonValueKind.Object ? Str(type, "display") ?? Str(type, "code") : null;
        e.SetIfPresent("event.action", action);
        if (Str(root, "action") is { } code)
        {
            e.Set("fhir.audit.action", code);
            e.Set("event.type", code switch { "C" => "creation", "R" => "access", "U" => "change", "D" => "deletion", _ => "info" });
        }

        if (Str(root, "recorded") is { } recorded && EventTime.TryConvert(recorded, out var time))
        {
            e.Set("@timestamp", EventTime.Format(time));
        }

        var outcome = Str(root, "outcome") ?? "0";
        e.Set("event.outcome", outcome == "0" ? "success" : "failure");
        e.SetIfPresent("event.reason", Str(root, "outcomeDesc"));

        if (root.TryGetProperty("purposeOfEvent", out var purposes) && purposes.ValueKind == JsonValueKind.Array)
        {
            foreach (var purpose in purposes.EnumerateArray())
            {
                if (purpose.TryGetProperty("coding", out var codings) && codings.ValueKind == JsonValueKind.Array && codings.GetArrayLength() > 0)
                {
                    e.SetIfPresent("konfido.purpose_of_use", Str(codings[0], "code"));
                    break;
                }
            }
        }

        if (root.TryGetProperty("agent", out var agents) && agents.ValueKind == JsonValueKind.Array)
        {
            foreach (var agent in agents.EnumerateArray())
            {
                if (!(agent.TryGetProperty("requestor", out var req) && req.ValueKind == JsonValueKind.True))
                {
                    continue;
                }

                if (agent.TryGetProperty("who", out var who))
                {
                    var user = who.TryGetProperty("identifier", out var identifier) ? Str(identifier, "value") : null;
                    e.SetIfPresent("user.name", user ?? Str(who, "display") ?? Str(who, "reference"));
                }

                if (agent.TryGetProperty("role", out var roles) && roles.ValueKind == JsonValueKind.Array)
                {
                    var roleList = roles.EnumerateArray()
                        .SelectMany(r => r.TryGetProperty("coding", out var c) && c.ValueKind == JsonValueKind.Array ? c.EnumerateArray() : Enumerable.Empty<JsonElement>())
                        .Select(c => (object?)(Str(c, "code") ?? Str(c, "display"))).Where(r => r is not null).ToList();
                    if (roleList.Count > 0)
                    {
                        e.Set("user.roles", roleList);
                    }
                }

                if (agent.TryGetProperty("network", out var network) && Str(network, "address") is { } address)
                {
                    e.Set(Str(network, "type") == "2" || System.Net.IPAddress.TryParse(address, out _) ? "source.ip" : "source.domain", address);
                }

                break;
            }
        }

        if (root.TryGetProperty("source", out var source))
        {
            e.SetIfPresent("fhir.audit.site", Str(source, "site"));
            if (source.TryGetProperty("observer", out var observer))
            {
                e.SetIfPresent("observer.name", Str(observer, "display") ?? Str(observer, "reference"));
            }
        }

        if (root.TryGetProperty("entity", out var entities) && entities.ValueKind == JsonValueKind.Array)
        {
            foreach (var entity in entities.EnumerateArray())
            {
                if (!entity.TryGetProperty("what", out var what))
                {
                    continue;
                }

                var reference = Str(what, "reference");
                var identifier = what.TryGetProperty("identifier", out var id) ? Str(id, "value") : null;
                var typeCode = entity.TryGetProperty("type", out var t) ? Str(t, "code") : null;
                var roleCode = entity.TryGetProperty("role", out var r) ? Str(r, "code") : null;
                var isPatient = reference?.StartsWith("Patient/", StringComparison.Ordinal) == true || (typeCode == "1" && roleCode == "1");
                if (isPatient)
                {
                    var patientId = identifier ?? reference!["Patient/".Length..];
                    e.Set("patient.pseudonym", context.Patient(patientId));
                    if (reference is not null)
                    {
                        context.Remember(reference);
                    }

                    if (Str(what, "display") is { } display)
                    {
                        context.Remember(display);
                    }
                }
                else if (reference is not null)
                {
                    e.Set("fhir.audit.entity", reference);
                }
            }
        }
    }

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
