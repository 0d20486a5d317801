using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Konfido.Siem.Alerts;

/// <summary>
/// Posts every new alert as JSON to a webhook URL. The payload carries the alert (rule, severity,
/// group, evidence references), never raw events. A non-success status throws, so the pipeline counts it.
/// </summary>
public sealed class WebhookNotifier : IAlertSink
{
    private readonly HttpClient _http;
    private readonly Uri _url;

    /// <summary>Creates a notifier. Requires an absolute http(s) URL; the client is not disposed by the notifier.</summary>
    /// <param name="http">The HTTP client.</param>
    /// <param name="url">The webhook URL.</param>
    public WebhookNotifier(HttpClient http, Uri url)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException("the webhook URL must be an absolute http or https URL", nameof(url));
        }

        _http = http;
        _url = url;
    }

    /// <inheritdoc />
    public async ValueTask PublishAsync(Alert alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var payload = new WebhookPayload(alert.Id, alert.RuleId, alert.Title, alert.Severity.ToString().ToLowerInvariant(),
            alert.Kind.ToString().ToLowerInvariant(), alert.Node, alert.FirstSeen, alert.LastSeen, alert.Count, alert.Group, alert.Evidence, alert.Description);
        using var response = await _http.PostAsJsonAsync(_url, payload, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    private sealed record WebhookPayload(
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("rule_id")] string RuleId,
        [property: JsonPropertyName("title")] string Title,
        [property: JsonPropertyName("severity")] string Severity,
        [property: JsonPropertyName("kind")] string Kind,
        [property: JsonPropertyName("node")] string Node,
        [property: JsonPropertyName("first_seen")] DateTimeOffset FirstSeen,
        [property: JsonPropertyName("last_seen")] DateTimeOffset LastSeen,
        [property: JsonPropertyName("count")] int Count,
        [property: JsonPropertyName("group")] IReadOnlyDictionary<string, string?> Group,
        [property: JsonPropertyName("evidence")] IReadOnlyList<string> Evidence,
        [property: JsonPropertyName("description")] string? Description);
}
