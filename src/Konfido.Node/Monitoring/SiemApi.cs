using System.Net;
using Konfido.Exchange;
using Konfido.Siem.Alerts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Konfido.Node;

/// <summary>
/// <c>POST /siem/alerts</c> on the federation listener: a member delivers an alert it raised
/// (<see cref="SharedAlert"/> wire form). The origin must be the caller's own country (from its pinned
/// TLS certificate); the alert is kept with its origin, once per (origin, id).
/// </summary>
internal static class SiemApi
{
    public static void Map(WebApplication app, NodeComponents components, NodeSiem siem)
    {
        app.MapPost("/" + NodeSiem.SharePath, async context =>
        {
            var caller = FederationApi.RequireMember(context, components);
            var body = await HttpBodies.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
            var result = await siem.Node.ForeignAlerts.ReceiveAsync(body, caller.Country, context.RequestAborted).ConfigureAwait(false);
            if (result.Outcome == ForeignAlertOutcome.Rejected)
            {
                throw new ExchangeException(HttpStatusCode.BadRequest, "invalid", $"shared alert refused: {result.Reason}");
            }

            await LedgerApi.WriteTextAsync(context, components, HttpStatusCode.Accepted, result.Outcome.ToString().ToLowerInvariant()).ConfigureAwait(false);
        });
    }
}
