using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Konfido.Exchange;

namespace Konfido.Node;

/// <summary><c>GET /attestation?nonce=HEX</c> on the federation listener: this node's quote over the member's fresh nonce.</summary>
internal static class AttestationApi
{
    public static void Map(WebApplication app, NodeComponents components)
    {
        app.MapGet("/" + PeerAttestation.Path, async context =>
        {
            FederationApi.RequireMember(context, components);
            var custody = components.Custody
                ?? throw new ExchangeException(HttpStatusCode.NotFound, "not-supported", "this node has no key custody and cannot attest");
            byte[] nonce;
            try
            {
                nonce = Convert.FromHexString(context.Request.Query["nonce"].ToString());
            }
            catch (FormatException)
            {
                throw new ExchangeException(HttpStatusCode.BadRequest, "value", "'nonce' must be hex");
            }

            if (nonce.Length != Custody.Attestation.AttestationVerifier.NonceSize)
            {
                throw new ExchangeException(HttpStatusCode.BadRequest, "value", $"'nonce' must be {Custody.Attestation.AttestationVerifier.NonceSize} bytes");
            }

            await LedgerApi.WriteTextAsync(context, components, HttpStatusCode.OK, custody.Attest(nonce).ToJson(), "application/json").ConfigureAwait(false);
        });
    }
}
