using System.Net;
using System.Text.RegularExpressions;
using Konfido.Core;
using Konfido.Exchange;
using Konfido.Ihe.Atna;
using Konfido.Ihe.Cda;
using Konfido.Ihe.Gateway;
using Konfido.Ihe.Soap;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Konfido.Node.Ihe;

/// <summary>
/// The node's IHE gateway (issue 12, peering with OpenNCP nodes):
/// <list type="bullet">
/// <item>responding gateway: <c>POST /ihe/xcpd</c>, <c>/ihe/xca/query</c>, <c>/ihe/xca/retrieve</c>, <c>/ihe/xdr</c> and the OpenNCP service paths
/// <c>/openncp-ws-server/services/XCPD_Service</c>, <c>XCA_Service</c>, <c>XDR_Service</c>, for callers
/// whose TLS client certificate the trust list pins (as <c>/fhir</c>), served by the same <see cref="HomeCountryService"/>;</item>
/// <item>initiating gateway: the local API's requests for a country flagged <c>protocol: "ihe"</c> (Konfido paths) or <c>"openncp"</c> (OpenNCP paths) in the trust list (or all
/// requests when this node is so flagged) go over SOAP instead of FHIR REST;</item>
/// <item>OpenNCP mode: when this node's own trust-list entry says <c>ihe</c>, its <c>/fhir</c> clinical endpoints answer 404.</item>
/// </list>
/// </summary>
internal static partial class IheNode
{
    private static readonly string[] Endpoints = [IheEndpoints.Xcpd, IheEndpoints.XcaQuery, IheEndpoints.XcaRetrieve, IheEndpoints.Xdr, IheEndpoints.OpenNcpXcpd, IheEndpoints.OpenNcpXca, IheEndpoints.OpenNcpXdr];

    /// <summary>Maps the gateway. Call after the error responder is installed.</summary>
    public static void Map(WebApplication app, NodeComponents components, HomeCountryService home, ISecurityEventSink events, NodeEid? eid)
    {
        var transformer = CdaTransformer.Default;
        var responding = new IheRespondingGateway(components.Country, home, transformer, new AtnaAuditor(events, components.Country));
        var client = new IheSoapClient(components.Credentials);
        app.Lifetime.ApplicationStopped.Register(client.Dispose);
        var initiating = new IheInitiatingGateway(components.Credentials, components.TrustList, events, transformer, client);
        foreach (var endpoint in Endpoints)
        {
            // Routing ignores a trailing slash, so OpenNCP clients' ".../XCA_Service/" reaches this too.
            app.MapPost("/" + endpoint, (HttpContext context) => ServeAsync(context, endpoint, components, responding));
        }

        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? string.Empty;
            if (path.StartsWith("/fhir/", StringComparison.OrdinalIgnoreCase) && IheInitiatingGateway.IsIhe(components.TrustList().Find(components.Country)))
            {
                throw new ExchangeException(HttpStatusCode.NotFound, "not-supported",
                    $"the {components.Country} node runs in OpenNCP mode: clinical transactions are served over the IHE SOAP profiles only (/ihe/xcpd, /ihe/xca/query, /ihe/xca/retrieve, /ihe/xdr)");
            }

            var match = LocalRoute().Match(path);
            if (match.Success && initiating.Serves(match.Groups["country"].Value))
            {
                await RouteAsync(context, match.Groups["country"].Value, match.Groups["resource"].Value, initiating, eid).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        });
    }

    [GeneratedRegex(@"^/api/(?<country>[A-Za-z]{2})/(?<resource>Patient|Patient/\$summary|MedicationRequest|MedicationDispense)/?$", RegexOptions.CultureInvariant)]
    private static partial Regex LocalRoute();

    private static async Task RouteAsync(HttpContext context, string country, string resource, IheInitiatingGateway gateway, NodeEid? eid)
    {
        // A client key is honoured on this path too (refused before anything is asked of the peer if malformed). IHE peers do
        // not seal their answers, so the answer is sealed for the client here, after the CDA → FHIR transformation.
        var clientKey = SealedPayloads.ReadClientKey(context.Request.Headers[SealedPayloads.RecipientKeyHeader]);
        var requester = EidApi.RequireRequester(context, eid);
        var method = context.Request.Method;
        var ct = context.RequestAborted;
        PeerResponse response = (resource, method) switch
        {
            ("Patient", "GET") => await gateway.DiscoverAsync(country, FederationApi.ReadQuery(context.Request.Query), requester, ct).ConfigureAwait(false),
            ("Patient/$summary", "GET") => await Identified(context, "identifier", (system, value) => gateway.GetPatientSummaryAsync(country, system, value, requester, ct)).ConfigureAwait(false),
            ("MedicationRequest", "GET") => await Identified(context, "patient.identifier", (system, value) => gateway.GetPrescriptionsAsync(country, system, value, requester, ct)).ConfigureAwait(false),
            ("MedicationDispense", "POST") => await gateway.DispenseAsync(country, await HttpBodies.ReadAsync(context.Request, ct).ConfigureAwait(false), requester, ct).ConfigureAwait(false),
            _ => throw new ExchangeException(HttpStatusCode.MethodNotAllowed, "not-supported", $"{method} is not supported on {resource}"),
        };
        context.Response.Headers[LocalApi.SignerHeader] = response.Signer;
        context.Response.Headers["X-Konfido-Protocol"] = IheEndpoints.Protocol;
        if (clientKey is not null && (int)response.Status is >= 200 and < 300)
        {
            var envelope = SealedPayloads.SealForClient(response.Body, response.Signature, clientKey);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(response.Body);
            await HttpBodies.WriteEnvelopeAsync(context, response.Status, envelope).ConfigureAwait(false);
            return;
        }

        await HttpBodies.WriteSignedAsync(context, response.Status, response.Body, response.Signature).ConfigureAwait(false);
    }

    private static Task<PeerResponse> Identified(HttpContext context, string parameter, Func<string?, string, Task<PeerResponse>> call)
    {
        var token = context.Request.Query[parameter].ToString();
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "required", $"the '{parameter}' parameter is required");
        }

        var (system, value) = FederationProtocol.SplitToken(token);
        return call(system, value);
    }

    private static async Task ServeAsync(HttpContext context, string endpoint, NodeComponents components, IheRespondingGateway gateway)
    {
        SoapHttpResponse response;
        var member = FederationApi.FindMember(context, components);
        if (member is null)
        {
            var fault = new SoapFaultException(SoapFaultCode.Sender, "wsse:FailedAuthentication", "the IHE endpoints require a TLS client certificate listed in the federation trust list");
            response = new SoapHttpResponse(403, SafeXml.ToUtf8(fault.ToEnvelope()), SoapEnvelope.MediaType + "; charset=utf-8");
        }
        else if (context.Request.ContentLength > KonfidoNode.MaxRequestBodyBytes)
        {
            var fault = SoapFaultException.Sender("XDSRegistryMetadataError", $"the request exceeds {KonfidoNode.MaxRequestBodyBytes} bytes");
            response = new SoapHttpResponse(413, SafeXml.ToUtf8(fault.ToEnvelope()), SoapEnvelope.MediaType + "; charset=utf-8");
        }
        else
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            var call = new FederationCall(member, null, null, context.Connection.RemoteIpAddress?.ToString());
            var url = $"https://{context.Request.Host}/{endpoint}";
            response = await gateway.HandleAsync(endpoint, call, buffer.ToArray(), context.Request.ContentType, url, context.RequestAborted).ConfigureAwait(false);
        }

        context.Response.StatusCode = response.Status;
        context.Response.ContentType = response.ContentType;
        context.Response.ContentLength = response.Body.Length;
        await context.Response.Body.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
    }
}
