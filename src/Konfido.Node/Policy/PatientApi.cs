using System.Globalization;
using System.Net;
using System.Text.Json;
using Konfido.Exchange;
using Konfido.Policy.Consent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Konfido.Node;

/// <summary>
/// The patient's own API on the local listener of their home country (country A), behind their eID
/// session (a citizen of this country):
/// <list type="bullet">
/// <item><c>GET /patient/consent</c>: the patient's consents (active and past).</item>
/// <item><c>POST /patient/consent</c> <c>{"effect":"permit|deny","purposes":["TREATMENT",..],"countries":["ES",..],"validFrom":..,"validUntil":..}</c>: grants (or refuses); 201, or 400 with every problem.</item>
/// <item><c>POST /patient/consent/withdraw</c>: withdraws every active consent.</item>
/// <item><c>GET /patient/access-report</c>: the GDPR Art. 15 report of every access in every country's ledger, each with its proof.</item>
/// </list>
/// </summary>
internal static class PatientApi
{
    public static void Map(WebApplication app, NodeEid? eid, NodePolicy policy, AccessReportService? reports)
    {
        app.MapGet("/patient/access-report", async (HttpContext context) =>
        {
            var patientId = EidApi.RequireCitizen(context, eid);
            if (reports is null)
            {
                throw new ExchangeException(HttpStatusCode.NotFound, "not-supported", "this node keeps no audit ledger, so it cannot report accesses");
            }

            var report = await reports.AssembleAsync(patientId, context.RequestAborted).ConfigureAwait(false);
            return Results.Text(report.ToJson(), "application/json");
        });

        app.MapGet("/patient/consent", async (HttpContext context) =>
        {
            var patientId = EidApi.RequireCitizen(context, eid);
            var consents = await policy.Consents.ListAsync(patientId, context.RequestAborted).ConfigureAwait(false);
            return Results.Json(new { patientId, consents = consents.Select(Describe).ToArray() });
        });

        app.MapPost("/patient/consent", async (HttpContext context) =>
        {
            var patientId = EidApi.RequireCitizen(context, eid);
            var request = await ReadGrantAsync(context).ConfigureAwait(false);
            var effect = request.Effect?.ToLowerInvariant() switch
            {
                "permit" or null => ConsentEffect.Permit,
                "deny" => ConsentEffect.Deny,
                var other => throw new ExchangeException(HttpStatusCode.BadRequest, "value", $"effect '{other}' is not permit or deny"),
            };
            var change = await policy.Consents.GrantAsync(new ConsentGrant(patientId, effect, request.Purposes ?? [], request.Countries ?? [],
                request.ValidFrom ?? DateTimeOffset.UtcNow, request.ValidUntil), context.RequestAborted).ConfigureAwait(false);
            if (!change.Succeeded)
            {
                throw new ExchangeException(HttpStatusCode.BadRequest, "invariant", "consent not recorded: " + string.Join("; ", change.Errors));
            }

            return Results.Json(new { id = change.Consent!.Id, superseded = change.Superseded }, statusCode: StatusCodes.Status201Created);
        });

        app.MapPost("/patient/consent/withdraw", async (HttpContext context) =>
        {
            var patientId = EidApi.RequireCitizen(context, eid);
            var change = await policy.Consents.WithdrawAsync(patientId, null, context.RequestAborted).ConfigureAwait(false);
            return change.Succeeded || change.Superseded.Count > 0
                ? Results.Json(new { withdrawn = change.Superseded })
                : throw new ExchangeException(HttpStatusCode.NotFound, "not-found", "no active consent to withdraw: " + string.Join("; ", change.Errors));
        });
    }

    private static object Describe(ConsentTerms terms) => new
    {
        id = terms.Id,
        active = terms.Active,
        effect = terms.Effect.ToString().ToLowerInvariant(),
        purposes = terms.Purposes?.Select(p => p.ToString()).ToArray(),
        countries = terms.Countries?.Select(c => c.Value).ToArray(),
        validFrom = terms.ValidFrom?.ToString("O", CultureInfo.InvariantCulture),
        validUntil = terms.ValidUntil?.ToString("O", CultureInfo.InvariantCulture),
    };

    private static async Task<GrantRequest> ReadGrantAsync(HttpContext context)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<GrantRequest>(context.Request.Body, Options, context.RequestAborted).ConfigureAwait(false)
                ?? throw new ExchangeException(HttpStatusCode.BadRequest, "required", "the consent request body is empty");
        }
        catch (JsonException ex)
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "structure", $"the consent request is not valid JSON: {ex.Message}");
        }
    }

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

    private sealed record GrantRequest(string? Effect, string[]? Purposes, string[]? Countries, DateTimeOffset? ValidFrom, DateTimeOffset? ValidUntil);
}
