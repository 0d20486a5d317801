using Konfido.Core;
using Konfido.Siem.Events;

namespace Konfido.Siem.Parsing;

/// <summary>
/// Turns the node's own <see cref="SecurityEvent"/>s into normalised events. The mapping (the
/// field names the bundled rules use):
/// <list type="table">
/// <item><term><c>@timestamp</c></term><description><see cref="SecurityEvent.Timestamp"/> (ISO 8601 UTC)</description></item>
/// <item><term><c>event.id</c></term><description><see cref="SecurityEvent.Id"/></description></item>
/// <item><term><c>event.module</c></term><description><c>konfido</c></description></item>
/// <item><term><c>event.category</c></term><description><see cref="SecurityEvent.Category"/> (<see cref="EventCategories"/>)</description></item>
/// <item><term><c>event.action</c></term><description><see cref="SecurityEvent.Action"/></description></item>
/// <item><term><c>event.outcome</c></term><description><c>success</c>, <c>failure</c> or <c>unknown</c></description></item>
/// <item><term><c>event.reason</c></term><description><see cref="SecurityEvent.Reason"/></description></item>
/// <item><term><c>observer.country</c></term><description><see cref="SecurityEvent.Node"/> (the emitting node)</description></item>
/// <item><term><c>user.name</c></term><description><see cref="SecurityEvent.Actor"/></description></item>
/// <item><term><c>user.roles</c></term><description><see cref="SecurityEvent.ActorRole"/></description></item>
/// <item><term><c>organization.name</c></term><description><see cref="SecurityEvent.Organisation"/></description></item>
/// <item><term><c>konfido.purpose_of_use</c></term><description><see cref="SecurityEvent.PurposeOfUse"/></description></item>
/// <item><term><c>patient.pseudonym</c></term><description>HMAC pseudonym of <see cref="SecurityEvent.PatientId"/> (never the clear id)</description></item>
/// <item><term><c>source.country</c></term><description><see cref="SecurityEvent.SourceCountry"/></description></item>
/// <item><term><c>destination.country</c></term><description><see cref="SecurityEvent.TargetCountry"/></description></item>
/// <item><term><c>source.ip</c></term><description><see cref="SecurityEvent.SourceIp"/></description></item>
/// <item><term><c>labels.&lt;key&gt;</c></term><description>each of <see cref="SecurityEvent.Attributes"/></description></item>
/// <item><term><c>event.original</c></term><description>the event as JSON, patient pseudonymised</description></item>
/// </list>
/// </summary>
public static class SecurityEventNormaliser
{
    /// <summary>Normalises one event. Requires non-null arguments.</summary>
    /// <param name="securityEvent">The event.</param>
    /// <param name="pseudonymiser">Pseudonymises the patient identifier.</param>
    /// <param name="includeOriginal">Whether to keep <c>event.original</c> (off on hot paths that store it elsewhere).</param>
    public static EventObject Normalise(SecurityEvent securityEvent, PatientPseudonymiser pseudonymiser, bool includeOriginal = true)
    {
        ArgumentNullException.ThrowIfNull(securityEvent);
        ArgumentNullException.ThrowIfNull(pseudonymiser);
        var e = new EventObject();
        e.Set("@timestamp", EventTime.Format(securityEvent.Timestamp));
        var ev = new EventObject();
        e.SetMember("event", ev);
        ev.SetMember("id", securityEvent.Id);
        ev.SetMember("module", "konfido");
        ev.SetMember("kind", "event");
        ev.SetMember("category", securityEvent.Category);
        ev.SetMember("action", securityEvent.Action);
        ev.SetMember("outcome", securityEvent.Outcome switch
        {
            EventOutcome.Success => "success",
            EventOutcome.Failure => "failure",
            _ => "unknown",
        });
        if (securityEvent.Reason is { } reason)
        {
            ev.SetMember("reason", reason);
        }

        e.Set("observer.country", securityEvent.Node);
        e.SetIfPresent("user.name", securityEvent.Actor);
        e.SetIfPresent("user.roles", securityEvent.ActorRole);
        e.SetIfPresent("organization.name", securityEvent.Organisation);
        e.SetIfPresent("konfido.purpose_of_use", securityEvent.PurposeOfUse);
        string? pseudonym = null;
        if (!string.IsNullOrEmpty(securityEvent.PatientId))
        {
            pseudonym = pseudonymiser.Pseudonymise(securityEvent.PatientId);
            e.Set("patient.pseudonym", pseudonym);
        }

        e.SetIfPresent("source.country", securityEvent.SourceCountry);
        e.SetIfPresent("destination.country", securityEvent.TargetCountry);
        e.SetIfPresent("source.ip", securityEvent.SourceIp);
        if (securityEvent.Attributes.Count > 0)
        {
            var labels = new EventObject();
            foreach (var (key, value) in securityEvent.Attributes)
            {
                labels.SetMember(key, value);
            }

            e.SetMember("labels", labels);
        }

        if (includeOriginal)
        {
            var original = securityEvent with { PatientId = pseudonym };
            ev.SetMember("original", System.Text.Json.JsonSerializer.Serialize(original));
        }

        return e;
    }
}
