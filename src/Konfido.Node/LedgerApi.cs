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
    public static void Map(WebApplication app, NodeComponents components, NodeLedger ledger, HomeCountryService home)
    {
        app.MapPost("/" + LedgerProtocol.AddCheckpointPath, async context =>
        {
            var caller = components.TrustList().FindByCertificate(context.Connection.ClientCertificate);
            if (caller is null)
            {
                var refusal = home.SignError(HttpStatusCode.Forbidden, "security", "the witness requires a client certificate listed in the federation trust list");
                await HttpBodies.WriteSignedAsync(context, refusal.Status, refusal.Body, refusal.Signature).ConfigureAwait(false);
                return;
            }

            var body = Encoding.UTF8.GetString(await HttpBodies.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false));
            var response = await ledger.Witness.AddCheckpointAsync(body, context.RequestAborted).ConfigureAwait(false);
            var bytes = Encoding.UTF8.GetBytes(response.ToBody());
            context.Response.StatusCode = response.HttpStatus;
            context.Response.ContentType = response.ContentType;
            context.Response.Headers[FederationProtocol.SignatureHeader] = DetachedJws.Sign(bytes, components.Credentials.SigningKey, components.Credentials.Country);
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
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
}
