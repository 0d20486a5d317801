using System.Net;
using Konfido.Exchange;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Konfido.Node;

/// <summary>
/// The local API (country B side) for the country's professionals and point-of-care systems:
/// <c>/api/{country}/Patient</c>, <c>/api/{country}/Patient/$summary</c>,
/// <c>/api/{country}/MedicationRequest</c>, <c>POST /api/{country}/MedicationDispense</c>, each
/// routed to the patient's home country. The home country's body is passed through unchanged with
/// its signature (<c>X-Konfido-Signature</c>, kid = home country) so that the client can verify it end to end.
/// </summary>
internal static class LocalApi
{
    /// <summary>The response header naming the country whose signature was verified.</summary>
    public const string SignerHeader = "X-Konfido-Signer";

    public static void Map(WebApplication app, NodeComponents components, CrossBorderGateway gateway)
    {
        var api = app.MapGroup("/api/{country}");
        api.MapGet("/Patient", async (HttpContext context, string country) =>
            await PassThroughAsync(context, await gateway.DiscoverAsync(country, FederationApi.ReadQuery(context.Request.Query), Actor(context), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false));
        api.MapGet("/Patient/$summary", async (HttpContext context, string country) =>
        {
            var (system, value) = Identifier(context, "identifier");
            await PassThroughAsync(context, await gateway.GetPatientSummaryAsync(country, system, value, Actor(context), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        });
        api.MapGet("/MedicationRequest", async (HttpContext context, string country) =>
        {
            var (system, value) = Identifier(context, "patient.identifier");
            await PassThroughAsync(context, await gateway.GetPrescriptionsAsync(country, system, value, Actor(context), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        });
        api.MapPost("/MedicationDispense", async (HttpContext context, string country) =>
        {
            var body = await HttpBodies.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
            await PassThroughAsync(context, await gateway.DispenseAsync(country, body, Actor(context), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        });
    }

    private static Task PassThroughAsync(HttpContext context, PeerResponse response)
    {
        context.Response.Headers[SignerHeader] = response.Signer;
        return HttpBodies.WriteSignedAsync(context, response.Status, response.Body, response.Signature);
    }

    /// <summary>The acting professional, once eID login exists; until then the local client is anonymous.</summary>
    private static string? Actor(HttpContext context) => null;

    private static (string? System, string Value) Identifier(HttpContext context, string parameter)
    {
        var token = context.Request.Query[parameter].ToString();
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "required", $"the '{parameter}' parameter is required");
        }

        return FederationProtocol.SplitToken(token);
    }
}
