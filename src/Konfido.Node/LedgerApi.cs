using System.Net;
using System.Text;
using Konfido.Exchange;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Konfido.Node;

/// <summary>
/// The ledger's HTTP endpoints. On the federation listener (mutual TLS, trust-listed callers only):
/// <c>POST /ledger/add-checkpoint</c>, this node's witness (C2SP tlog-witness). On either listener:
/// <c>GET /ledger/checkpoint</c>, this log's latest published (cosigned) checkpoint.
/// </summary>
internal static class LedgerApi
{
    public static void Map(WebApplication app, NodeComponents components, NodeLedger ledger)
    {
        app.MapPost("/" + LedgerProtocol.AddCheckpointPath, async context =>
        {
            FederationApi.RequireMember(context, components);
            var body = Encoding.UTF8.GetString(await HttpBodies.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false));
            var response = await ledger.Witness.AddCheckpointAsync(body, context.RequestAborted).ConfigureAwait(false);
            await WriteTextAsync(context, components, (HttpStatusCode)response.HttpStatus, response.ToBody(), response.ContentType).ConfigureAwait(false);
        });
        app.MapPost("/" + LedgerProtocol.GossipPath, async context =>
        {
            var caller = FederationApi.RequireMember(context, components);
            var body = Encoding.UTF8.GetString(await HttpBodies.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false));
            var forks = await ledger.Detector!.ObserveAsync(body, caller.Country, context.RequestAborted).ConfigureAwait(false);
            await WriteTextAsync(context, components, HttpStatusCode.OK, forks.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
        });
        app.MapGet("/" + LedgerProtocol.ConsistencyPath, async context =>
        {
            FederationApi.RequireMember(context, components);
            if (!long.TryParse(context.Request.Query["size1"], out var size1) || !long.TryParse(context.Request.Query["size2"], out var size2)
                || size1 < 0 || size1 > size2 || size2 > ledger.Log.Head.Size)
            {
                throw new ExchangeException(HttpStatusCode.BadRequest, "value", $"size1 and size2 must satisfy 0 <= size1 <= size2 <= {ledger.Log.Head.Size}");
            }

            var proof = await ledger.Log.ProveConsistencyAsync(size1, size2, context.RequestAborted).ConfigureAwait(false);
            await WriteTextAsync(context, components, HttpStatusCode.OK, string.Join('\n', proof.Select(h => h.ToBase64()))).ConfigureAwait(false);
        });
        app.MapGet("/" + AccessReportService.AccessesPath, async context =>
        {
            FederationApi.RequireMember(context, components);
            var pseudonym = context.Request.Query["patient"].ToString();
            if (!pseudonym.StartsWith(Konfido.Ledger.Log.PatientPseudonymiser.Prefix, StringComparison.Ordinal) || pseudonym.Length > 128)
            {
                throw new ExchangeException(HttpStatusCode.BadRequest, "value", "'patient' must be a federation pseudonym (hmac-sha256:...), never a clear identifier");
            }

            var bundles = await AccessReportService.FindAsync(ledger, pseudonym, context.RequestAborted).ConfigureAwait(false);
            await WriteTextAsync(context, components, HttpStatusCode.OK, AccessReportService.ToJson(NodeLedger.Origin(components.Country), bundles), "application/json").ConfigureAwait(false);
        });
        app.MapGet("/ledger/checkpoint", async context =>
        {
            var latest = ledger.Publisher?.Latest;
            if (latest is null)
            {
                throw new ExchangeException(HttpStatusCode.NotFound, "not-found", "no checkpoint has been published yet");
            }

            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(latest.Checkpoint.ToString(), context.RequestAborted).ConfigureAwait(false);
        });
    }

    /// <summary>Writes a signed text response (every federation answer carries the node's detached JWS).</summary>
    internal static async Task WriteTextAsync(HttpContext context, NodeComponents components, HttpStatusCode status, string text, string contentType = "text/plain; charset=utf-8")
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = contentType;
        context.Response.Headers[FederationProtocol.SignatureHeader] = DetachedJws.Sign(bytes, components.Credentials.SigningKey, components.Credentials.Country);
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }
}
