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
/// Every call needs a professional's eID session (<see cref="EidApi"/>); the node sends the
/// professional's HCP identity assertion and a TRC for the patient with the request.
/// </summary>
internal static class LocalApi
{
    /// <summary>The response header naming the country whose signature was verified.</summary>
    public const string SignerHeader = "X-Konfido-Signer";

    public static void Map(WebApplication app, NodeEid? eid, CrossBorderGateway gateway, PeerAttestation attestation)
    {
        var api = app.MapGroup("/api/{country}");
        // No data goes to or comes from a node that has not proven its build and configuration.
        api.AddEndpointFilter(async (invocation, next) =>
        {
            var country = invocation.HttpContext.Request.RouteValues["country"] as string ?? string.Empty;
            if (Core.CountryCode.TryParse(country, out var cc))
            {
                await attestation.RequireAsync(cc.Value, invocation.HttpContext.RequestAborted).ConfigureAwait(false);
            }

            return await next(invocation).ConfigureAwait(false);
        });
        api.MapGet("/Patient", async (HttpContext context, string country) =>
            await PassThroughAsync(context, await gateway.DiscoverAsync(country, FederationApi.ReadQuery(context.Request.Query), EidApi.RequireRequester(context, eid), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false));
        api.MapGet("/Patient/$summary", async (HttpContext context, string country) =>
        {
            var (system, value) = Identifier(context, "identifier");
            await PassThroughAsync(context, await gateway.GetPatientSummaryAsync(country, system, value, EidApi.RequireRequester(context, eid), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        });
        api.MapGet("/MedicationRequest", async (HttpContext context, string country) =>
        {
            var (system, value) = Identifier(context, "patient.identifier");
            await PassThroughAsync(context, await gateway.GetPrescriptionsAsync(country, system, value, EidApi.RequireRequester(context, eid), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        });
        api.MapPost("/MedicationDispense", async (HttpContext context, string country) =>
        {
            var body = await HttpBodies.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
            await PassThroughAsync(context, await gateway.DispenseAsync(country, body, EidApi.RequireRequester(context, eid), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        });
    }

    private static Task PassThroughAsync(HttpContext context, PeerResponse response)
    {
        context.Response.Headers[SignerHeader] = response.Signer;
        return HttpBodies.WriteSignedAsync(context, response.Status, response.Body, response.Signature);
    }

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
