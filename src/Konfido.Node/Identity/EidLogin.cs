using System.Net.Http.Headers;
using Konfido.Exchange;

namespace Konfido.Node;

/// <summary>
/// The eIDAS login a browser performs, done over HTTPS by a program (tests, the demo, load tools):
/// the node's AuthnRequest form, the embedded test eIDAS node's chooser, the Response posted to the
/// assertion consumer. Works against any node, in this process or not.
/// </summary>
public static class EidLogin
{
    /// <summary>
    /// Logs <paramref name="personIdentifier"/> in through <paramref name="client"/> (whose base address is
    /// the node's local API) and sets the session on it as a Bearer token.
    /// </summary>
    /// <param name="client">A client of the node's local API.</param>
    /// <param name="personIdentifier">A professional or citizen the node's test eIDAS node knows (<c>CC/CC/id</c>).</param>
    /// <param name="level">The level of assurance to request (<c>low</c>, <c>substantial</c>, <c>high</c>), or null for the node's default.</param>
    /// <param name="cancellationToken">Cancels the login.</param>
    /// <returns>The session token.</returns>
    /// <exception cref="InvalidOperationException">The login was refused (the message carries the node's reason).</exception>
    public static async Task<string> LoginAsync(HttpClient client, string personIdentifier, string? level = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(personIdentifier);
        using var login = await client.GetAsync(level is null ? "eid/login" : $"eid/login?loa={Uri.EscapeDataString(level)}", cancellationToken).ConfigureAwait(false);
        var (idpUrl, requestFields) = HtmlForm.Read(await ReadOkAsync(login, "eID login", cancellationToken).ConfigureAwait(false));
        requestFields["person"] = personIdentifier;
        using var idpAnswer = await client.PostAsync(idpUrl, new FormUrlEncodedContent(requestFields), cancellationToken).ConfigureAwait(false);
        var (acsUrl, responseFields) = HtmlForm.Read(await ReadOkAsync(idpAnswer, "the eIDAS node", cancellationToken).ConfigureAwait(false));
        using var acs = await client.PostAsync(acsUrl, new FormUrlEncodedContent(responseFields), cancellationToken).ConfigureAwait(false);
        using var session = System.Text.Json.JsonDocument.Parse(await ReadOkAsync(acs, "the assertion consumer", cancellationToken).ConfigureAwait(false));
        var token = session.RootElement.GetProperty("session").GetString()!;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return token;
    }

    private static async Task<string> ReadOkAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var reason = FhirOutcomes.TryReadDiagnostics(text) ?? text;
            throw new InvalidOperationException($"{what} answered {(int)response.StatusCode}: {reason}");
        }

        return text;
    }
}
