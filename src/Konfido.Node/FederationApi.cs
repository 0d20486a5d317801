using System.Globalization;
using System.Net;
using Konfido.Exchange;
using Konfido.Records;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Konfido.Node;

/// <summary>
/// The federation API (country A side, see <see cref="FederationProtocol"/>): served only to callers
/// whose TLS client certificate the trust list pins to a member country.
/// </summary>
internal static class FederationApi
{
    /// <summary>Serves one verified caller's request.</summary>
    private delegate Task<SignedFhirResponse> FederationHandler(HttpContext context, HomeCountryService home, FederationCall call);

    public static void Map(WebApplication app, NodeComponents components, HomeCountryService home, PayloadGateway? payloads)
    {
        // The callers' payload keys, imported once rather than for every answer sealed for them.
        var recipients = Custody.PublicKeyPool<System.Security.Cryptography.ECDiffieHellman>.ForEnvelopeRecipients();
        app.Lifetime.ApplicationStopped.Register(recipients.Dispose);
        var fhir = app.MapGroup("/fhir");
        fhir.MapGet("/Patient", Serve(components, home, recipients, DiscoverAsync));
        fhir.MapGet("/Patient/$summary", Serve(components, home, recipients, SummaryAsync));
        fhir.MapGet("/MedicationRequest", Serve(components, home, recipients, PrescriptionsAsync));
        fhir.MapPost("/MedicationDispense", Serve(components, home, recipients, (context, service, call) => DispenseAsync(context, service, call, payloads)));
    }

    private static RequestDelegate Serve(NodeComponents components, HomeCountryService home, Custody.PublicKeyPool<System.Security.Cryptography.ECDiffieHellman> recipients, FederationHandler handler) =>
        async context =>
        {
            var caller = RequireMember(context, components);
            var call = new FederationCall(caller, Header(context, FederationProtocol.HcpAssertionHeader), Header(context, FederationProtocol.TrcAssertionHeader),
                context.Connection.RemoteIpAddress?.ToString());
            var response = await handler(context, home, call).ConfigureAwait(false);
            if (caller.PayloadKey is not null && (int)response.Status is >= 200 and < 300)
            {
                // Sign, then encrypt: the clinical answer leaves sealed for the caller's custody; the transport signature covers the envelope.
                var envelope = SealedPayloads.Seal(response.Body, response.Signature, caller, recipients);
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(response.Body);
                await HttpBodies.WriteSignedAsync(context, response.Status, envelope,
                    DetachedJws.Sign(envelope, components.Credentials.SigningKey, components.Credentials.Country), Custody.PayloadEnvelope.MediaType).ConfigureAwait(false);
                return;
            }

            await HttpBodies.WriteSignedAsync(context, response.Status, response.Body, response.Signature).ConfigureAwait(false);
        };

    /// <summary>
    /// The member country whose TLS client certificate the trust list pins; otherwise a 403 (the
    /// node's error responder answers it as a signed OperationOutcome). Every federation endpoint calls this first.
    /// </summary>
    public static FederationMember RequireMember(HttpContext context, NodeComponents components) =>
        FindMember(context, components)
        ?? throw new ExchangeException(HttpStatusCode.Forbidden, "security", "the federation API requires a client certificate listed in the federation trust list");

    /// <summary>
    /// The member whose TLS certificate the caller presented, or null. The client certificate is fixed for the connection, so the
    /// check (a chain to the member's pinned issuer) is made once per connection and trust-list version and remembered on the
    /// connection; a certificate that has expired since is checked again.
    /// </summary>
    public static FederationMember? FindMember(HttpContext context, NodeComponents components)
    {
        var trustList = components.TrustList();
        var certificate = context.Connection.ClientCertificate;
        var items = context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items;
        if (certificate is not null && items is not null && items.TryGetValue(typeof(MemberOfConnection), out var cached)
            && cached is MemberOfConnection known && ReferenceEquals(known.TrustList, trustList) && DateTime.UtcNow <= certificate.NotAfter.ToUniversalTime())
        {
            return known.Member;
        }

        var member = trustList.FindByCertificate(certificate);
        if (member is not null && items is not null)
        {
            items[typeof(MemberOfConnection)] = new MemberOfConnection(trustList, member);
        }

        return member;
    }

    private sealed record MemberOfConnection(TrustList TrustList, FederationMember Member);

    private static Task<SignedFhirResponse> DiscoverAsync(HttpContext context, HomeCountryService home, FederationCall call) =>
        home.DiscoverAsync(call, ReadQuery(context.Request.Query), context.RequestAborted);

    private static Task<SignedFhirResponse> SummaryAsync(HttpContext context, HomeCountryService home, FederationCall call) =>
        home.GetPatientSummaryAsync(call, IdentifierValue(context, "identifier"), context.RequestAborted);

    private static Task<SignedFhirResponse> PrescriptionsAsync(HttpContext context, HomeCountryService home, FederationCall call) =>
        home.GetPrescriptionsAsync(call, IdentifierValue(context, "patient.identifier"), context.RequestAborted);

    /// <summary>Reads PDQm-style discovery parameters: identifier (token), family, given, birthdate.</summary>
    public static PatientQuery ReadQuery(IQueryCollection query)
    {
        var (system, value) = query.TryGetValue("identifier", out var identifier) && !string.IsNullOrWhiteSpace(identifier)
            ? FederationProtocol.SplitToken(identifier.ToString())
            : (null, (string?)null);
        DateOnly? birthDate = null;
        if (query.TryGetValue("birthdate", out var birth) && !string.IsNullOrWhiteSpace(birth))
        {
            birthDate = DateOnly.TryParseExact(birth.ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
                ? parsed
                : throw new ExchangeException(HttpStatusCode.BadRequest, "value", $"birthdate '{birth}' is not a date (yyyy-MM-dd)");
        }

        return new PatientQuery(system, value, Text(query, "family"), Text(query, "given"), birthDate);
    }

    private static async Task<SignedFhirResponse> DispenseAsync(HttpContext context, HomeCountryService home, FederationCall call, PayloadGateway? payloads)
    {
        var body = await HttpBodies.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (!string.Equals(context.Request.ContentType, Custody.PayloadEnvelope.MediaType, StringComparison.OrdinalIgnoreCase))
        {
            return await home.DispenseAsync(call, body, context.RequestAborted).ConfigureAwait(false);
        }

        if (payloads is null)
        {
            throw new ExchangeException(HttpStatusCode.UnsupportedMediaType, "not-supported", "this node has no payload key: it cannot open sealed requests");
        }

        // A sealed eDispensation is opened only inside the custody boundary and handed to the home country's service from there.
        return await payloads.OpenRequestAsync(call.Caller.Country, body, (clear, ct) => home.DispenseAsync(call, clear.ToArray(), ct), context.RequestAborted).ConfigureAwait(false);
    }

    private static string IdentifierValue(HttpContext context, string parameter)
    {
        var token = context.Request.Query[parameter].ToString();
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "required", $"the '{parameter}' parameter is required");
        }

        return FederationProtocol.SplitToken(token).Value;
    }

    private static string? Header(HttpContext context, string name) =>
        context.Request.Headers.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.ToString() : null;

    private static string? Text(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.ToString() : null;
}

/// <summary>Reading and writing bodies with the node's limits.</summary>
internal static class HttpBodies
{
    public static async Task<byte[]> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > KonfidoNode.MaxRequestBodyBytes)
        {
            throw new BadHttpRequestException("too large", StatusCodes.Status413PayloadTooLarge);
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (buffer.Length == 0)
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "required", "the request body is empty");
        }

        return buffer.ToArray();
    }

    /// <summary>Writes a payload envelope sealed for the client (<c>application/jose</c>; the signature is inside).</summary>
    public static Task WriteEnvelopeAsync(HttpContext context, HttpStatusCode status, string envelope)
    {
        var body = System.Text.Encoding.ASCII.GetBytes(envelope);
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = Custody.PayloadEnvelope.MediaType;
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    public static async Task WriteSignedAsync(HttpContext context, HttpStatusCode status, ReadOnlyMemory<byte> body, string signature, string mediaType = FhirJson.MediaType)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = mediaType;
        context.Response.ContentLength = body.Length;
        context.Response.Headers[FederationProtocol.SignatureHeader] = signature;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
