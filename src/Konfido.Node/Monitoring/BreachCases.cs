using System.Text;
using System.Text.Json;
using Konfido.Core;
using Konfido.Policy.Gdpr;
using Konfido.Siem.Alerts;
using Konfido.Siem.Sigma;

namespace Konfido.Node;

/// <summary>
/// GDPR Art. 33 in the node: every SIEM alert raised here is offered to the breach workflow as an
/// incident. One classified as a personal-data breach (by the node's breach configuration, data)
/// opens a case due 72 hours after detection, with the affected data subjects taken from the node's
/// audit ledger (the patients the alert's actor accessed in the last hour) and a draft notification.
/// </summary>
internal sealed class BreachAlertSink(Func<BreachWorkflow?> workflow, NodeLedger? ledger) : IAlertSink
{
    /// <summary>How far back the ledger is searched for the patients an alert's actor accessed.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);

    /// <summary>The most ledger entries read per alert (the newest).</summary>
    private const int MaxEntries = 20_000;

    public async ValueTask PublishAsync(Alert alert, CancellationToken cancellationToken = default)
    {
        if (alert.ReceivedFrom is not null || workflow() is not { } breaches)
        {
            return; // another country's incident is its controller's to report; without a configuration nothing is classified
        }

        var actor = alert.Group.TryGetValue("user.name", out var name) ? name : null;
        var subjects = actor is null || ledger is null ? [] : await AccessedByAsync(ledger, actor, alert.LastSeen - Window, cancellationToken).ConfigureAwait(false);
        var severity = alert.Severity switch
        {
            SigmaLevel.Critical => IncidentSeverity.Critical,
            SigmaLevel.High => IncidentSeverity.High,
            SigmaLevel.Medium => IncidentSeverity.Medium,
            _ => IncidentSeverity.Low,
        };
        await breaches.OpenAsync(new SiemIncident(alert.Id, alert.RuleId, severity, alert.FirstSeen, subjects,
            $"{alert.Title}{(actor is null ? "" : $" (actor {actor})")}: {alert.Count} occurrence(s)"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The patient pseudonyms of the exchange entries by <paramref name="actor"/> since <paramref name="since"/>.</summary>
    private static async Task<IReadOnlyList<string>> AccessedByAsync(NodeLedger ledger, string actor, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var size = ledger.Log.Head.Size;
        var actorNeedle = Encoding.UTF8.GetBytes($"\"actor\":{JsonSerializer.Serialize(actor)}");
        for (var i = size - 1; i >= 0 && i >= size - MaxEntries; i--)
        {
            var entry = await ledger.Log.ReadEntryAsync(i, cancellationToken).ConfigureAwait(false);
            if (entry.AsSpan().IndexOf(actorNeedle) < 0)
            {
                continue;
            }

            using var json = JsonDocument.Parse(entry);
            var root = json.RootElement;
            if (root.TryGetProperty("timestamp", out var t) && t.TryGetDateTimeOffset(out var when) && when < since)
            {
                break; // the log is in time order
            }

            if (root.TryGetProperty("category", out var c) && c.GetString() == EventCategories.Exchange
                && root.TryGetProperty("patient", out var p) && p.GetString() is { } pseudonym)
            {
                found.Add(pseudonym);
            }
        }

        return [.. found];
    }
}

/// <summary>The breach configuration a bootstrapped federation writes: mass lookups and unauthorised bulk access are confidentiality breaches.</summary>
public static class DemoBreachConfiguration
{
    /// <summary>The configuration JSON for the node of <paramref name="country"/>.</summary>
    public static string Json(string country) => JsonSerializer.Serialize(new
    {
        controller = $"{country} national contact point for eHealth",
        dataProtectionOfficer = new { name = $"{country} NCP data protection officer", contact = $"dpo@ncp.{country.ToLowerInvariant()}.example" },
        supervisoryAuthority = $"{country} data protection authority",
        rules = new[]
        {
            new
            {
                id = "mass-patient-lookup",
                rulePattern = "9b3e2f10-7d44-4e0a-8c1b-5f7a9e2c3202",
                minimumSeverity = "High",
                nature = "Confidentiality",
                requiresAffectedSubjects = true,
                dataCategories = new[] { "health data (Art. 9): patient identity and summaries" },
                likelyConsequences = "disclosure of health data of the patients looked up to a person without a treatment relationship",
                measures = "the professional's session revoked, access reviewed with the employer, patients informed where required (Art. 34)",
            },
        },
    }, new JsonSerializerOptions { WriteIndented = true });
}
