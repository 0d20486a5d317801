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
/// A clinical answer the home country sealed for this node (<see cref="SealedPayloads"/>) goes through the custody
/// boundary (<see cref="PayloadGateway"/>): re-sealed for the client's own key when the request carries
/// <see cref="SealedPayloads.RecipientKeyHeader"/> (an <c>application/jose</c> body, the home country's signature inside),
/// otherwise written straight from the boundary to this TLS response with the home country's signature, as above.
/// Every call needs a professional's eID session (<see cref="EidApi"/>); the node sends the
/// professional's HCP identity assertion and a TRC for the patient with the request.
/// </summary>
internal static class LocalApi
{
    /// <summary>The response header naming the country whose signature was verified.</summary>
    public const string SignerHeader = "X-Konfido-Signer";

    /// <summary>The request item holding the client's key, read from <see cref="SealedPayloads.RecipientKeyHeader"/> (null: none).</summary>
    private const string ClientKeyItem = "konfido.client-key";

    public static void Map(WebApplication app, NodeEid? eid, CrossBorderGateway gateway, PeerAttestation attestation, PayloadGateway? payloads)
    {
        var api = app.MapGroup("/api/{country}");
        // No data goes to or comes from a node that has not proven its build and configuration.
        api.AddEndpointFilter(async (invocation, next) =>
        {
            // A malformed client key is the client's error, refused before anything is asked of the peer; parsed once, kept for the answer.
            invocation.HttpContext.Items[ClientKeyItem] = SealedPayloads.ReadClientKey(invocation.HttpContext.Request.Headers[SealedPayloads.RecipientKeyHeader]);
            var country = invocation.HttpContext.Request.RouteValues["country"] as string ?? string.Empty;
            if (Core.CountryCode.TryParse(country, out var cc))
            {
                await attestation.RequireAsync(cc.Value, invocation.HttpContext.RequestAborted).ConfigureAwait(false);
            }

            return await next(invocation).ConfigureAwait(false);
        });
        api.MapGet("/Patient", async (HttpContext context, string country) =>
            await PassThroughAsync(context, payloads, await gateway.DiscoverAsync(country, FederationApi.ReadQuery(context.Request.Query), EidApi.RequireRequester(context, eid), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false));
        api.MapGet("/Patient/$summary", async (HttpContext context, string country) =>
        {
            var (system, value) = Identifier(context, "identifier");
            await PassThroughAsync(context, payloads, await gateway.GetPatientSummaryAsync(country, system, value, EidApi.RequireRequester(context, eid), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        });
        api.MapGet("/MedicationRequest", async (HttpContext context, string country) =>
        {
            var (system, value) = Identifier(context, "patient.identifier");
            await PassThroughAsync(context, payloads, await gateway.GetPrescriptionsAsync(country, system, value, EidApi.RequireRequester(context, eid), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        });
        api.MapPost("/MedicationDispense", async (HttpContext context, string country) =>
        {
            var body = await HttpBodies.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
            await PassThroughAsync(context, payloads, await gateway.DispenseAsync(country, body, EidApi.RequireRequester(context, eid), context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        });
    }

    private static async Task PassThroughAsync(HttpContext context, PayloadGateway? payloads, PeerResponse response)
    {
        var clientKey = context.Items[ClientKeyItem] as byte[];
        context.Response.Headers[SignerHeader] = response.Signer;
        if (!response.IsSealed)
        {
            // A home node that does not seal (no payload key listed for this node): a client that brought a key still gets
            // a successful answer sealed for it, with the home country's signature inside; errors stay plain OperationOutcomes.
            if (clientKey is not null && (int)response.Status is >= 200 and < 300)
            {
                await HttpBodies.WriteEnvelopeAsync(context, response.Status, SealedPayloads.SealForClient(response.Body, response.Signature, clientKey)).ConfigureAwait(false);
                return;
            }

            await HttpBodies.WriteSignedAsync(context, response.Status, response.Body, response.Signature).ConfigureAwait(false);
            return;
        }

        if (payloads is null)
        {
            throw new ExchangeException(HttpStatusCode.BadGateway, "security", $"the {response.Signer} node sealed its answer, but this node has no payload key to open it");
        }

        if (clientKey is not null)
        {
            await HttpBodies.WriteEnvelopeAsync(context, response.Status, await payloads.ResealAsync(response, clientKey, context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
            return;
        }

        await payloads.RevealAsync(response, (clear, signature, ct) =>
            new ValueTask(HttpBodies.WriteSignedAsync(context, response.Status, clear, signature)), context.RequestAborted).ConfigureAwait(false);
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
