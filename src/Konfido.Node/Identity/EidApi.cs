using System.Net;
using System.Text;
using Konfido.Eid.CrossBorder;
using Konfido.Eid.Saml;
using Konfido.Exchange;
using Konfido.Records;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Konfido.Node;

/// <summary>
/// eIDAS login on the local listener (SAML 2.0 Web Browser SSO, HTTP-POST binding):
/// <list type="bullet">
/// <item><c>GET /eid/login?loa=low|substantial|high&amp;relayState=/path</c>: the signed AuthnRequest as an auto-posting form to the eIDAS node.</item>
/// <item><c>POST /eidas/sso</c>: the embedded test eIDAS node (only without a national one): without <c>person</c> it shows
/// the test identities; with <c>person</c> it answers with an encrypted, signed Response posted to the SP.</item>
/// <item><c>POST /saml/acs</c>: the assertion consumer: validates the Response, looks the person up in the professional
/// registry, issues the HCP identity assertion and opens a session (cookie <c>konfido_session</c>, and the token in JSON).</item>
/// <item><c>GET /eid/session</c>: the logged-in professional; <c>POST /eid/logout</c>: ends the session.</item>
/// </list>
/// </summary>
internal static class EidApi
{
    /// <summary>The request header a professional sets to act in an emergency (break-the-glass): <c>EMERGENCY</c>.</summary>
    public const string PurposeHeader = "X-Konfido-Purpose-Of-Use";

    public static void Map(WebApplication app, NodeEid eid, string country, INationalBackend backend)
    {
        app.MapGet("/eid/login", (HttpContext context) =>
        {
            var loa = context.Request.Query["loa"].ToString();
            LevelOfAssurance? level = string.IsNullOrEmpty(loa) ? null : ParseLevel(loa);
            var relay = context.Request.Query["relayState"].ToString();
            var request = eid.ServiceProvider.CreateAuthnRequest(eid.IdpSsoUrl, level);
            return Results.Content(request.ToHttpPostForm(string.IsNullOrEmpty(relay) ? null : relay), "text/html; charset=utf-8");
        });

        if (eid.TestIdentityProvider is { } idp)
        {
            app.MapPost("/eidas/sso", async (HttpContext context) =>
            {
                var form = await ReadFormAsync(context).ConfigureAwait(false);
                var samlRequest = form["SAMLRequest"].ToString();
                var relay = form.TryGetValue("RelayState", out var r) ? r.ToString() : null;
                var personId = form["person"].ToString();
                if (string.IsNullOrEmpty(samlRequest))
                {
                    throw new ExchangeException(HttpStatusCode.BadRequest, "required", "the eIDAS node needs a SAMLRequest");
                }

                if (string.IsNullOrEmpty(personId))
                {
                    return Results.Content(ChooserPage(country, eid, samlRequest, relay), "text/html; charset=utf-8");
                }

                var person = eid.Material.Registry.Find(personId)?.Person ?? eid.Material.Registry.FindStaff(personId)?.Person
                    ?? await CitizenAsync(backend, country, personId, context.RequestAborted).ConfigureAwait(false)
                    ?? throw new ExchangeException(HttpStatusCode.Unauthorized, "login", $"the test eIDAS node of {country} has no identity '{personId}'");
                if (!idp.TryRespond(samlRequest, eid.SpTrust, person, eid.ServiceProvider.EncryptionCertificate, relay, out var page, out var why))
                {
                    throw new ExchangeException(HttpStatusCode.BadRequest, "invalid", $"the eIDAS node refused the AuthnRequest: {why}");
                }

                return Results.Content(page!, "text/html; charset=utf-8");
            });
        }

        app.MapPost("/saml/acs", async (HttpContext context) =>
        {
            var form = await ReadFormAsync(context).ConfigureAwait(false);
            var response = form["SAMLResponse"].ToString();
            if (string.IsNullOrEmpty(response))
            {
                throw new ExchangeException(HttpStatusCode.BadRequest, "required", "the assertion consumer needs a SAMLResponse");
            }

            var login = await eid.ServiceProvider.AcceptResponseAsync(response, context.Connection.RemoteIpAddress?.ToString(), context.RequestAborted).ConfigureAwait(false);
            if (!login.IsValid)
            {
                throw new ExchangeException(HttpStatusCode.Unauthorized, "login", "eIDAS login refused: " + string.Join("; ", login.Validation.Reasons));
            }

            var person = login.Person!;
            var level = login.Validation.Level ?? LevelOfAssurance.Low;
            ProfessionalSession session;
            if (eid.Material.Registry.Find(person.PersonIdentifier) is { } professional)
            {
                var identity = HcpIdentity.Create(professional.PersonIdentifier, professional.DisplayName, professional.Role, professional.Organisation,
                    professional.OrganisationId, professional.FacilityType, professional.Locality, PurposeOfUse.Treatment, level: level);
                var hcp = eid.Issuer.IssueHcp(identity);
                session = new ProfessionalSession(person.PersonIdentifier, professional.DisplayName, level, hcp.NotOnOrAfter) { Identity = identity, HcpAssertion = hcp };
            }
            else if (eid.Material.Registry.FindStaff(person.PersonIdentifier) is { } staff)
            {
                // The node's own operator or auditor: the web console only, never patient data.
                session = new ProfessionalSession(person.PersonIdentifier, staff.DisplayName, level, DateTimeOffset.UtcNow.AddHours(8)) { ConsoleRole = staff.Role };
            }
            else if (CitizenId(person.PersonIdentifier, country) is { } patientId)
            {
                // A citizen of this country, acting on their own data only (consent, access report).
                session = new ProfessionalSession(person.PersonIdentifier, $"{person.CurrentGivenName} {person.CurrentFamilyName}", level,
                    DateTimeOffset.UtcNow.AddHours(1)) { PatientId = patientId };
            }
            else
            {
                throw new ExchangeException(HttpStatusCode.Forbidden, "forbidden", $"{person.PersonIdentifier} logged in with eIDAS but is neither a registered health professional nor a citizen of {country}");
            }

            var token = eid.Sessions.Open(session);
            context.Response.Cookies.Append(ProfessionalSessions.CookieName, token, new CookieOptions
            {
                HttpOnly = true,
                Secure = true,
                SameSite = SameSiteMode.Strict,
                Path = "/",
                Expires = session.Expires,
            });
            var relay = form["RelayState"].ToString();
            if (relay.StartsWith('/') && !relay.StartsWith("//", StringComparison.Ordinal) && !relay.Contains('\\', StringComparison.Ordinal))
            {
                return Results.Redirect(relay);
            }

            return Results.Json(Describe(session, token));
        });

        app.MapGet("/eid/session", (HttpContext context) =>
            Find(context, eid) is { } session
                ? Results.Json(Describe(session, null))
                : throw new ExchangeException(HttpStatusCode.Unauthorized, "login", "no session: log in with eID at GET /eid/login"));

        app.MapPost("/eid/logout", (HttpContext context) =>
        {
            eid.Sessions.Close(Token(context));
            context.Response.Cookies.Delete(ProfessionalSessions.CookieName);
            return Results.NoContent();
        });
    }

    /// <summary>The professional the request acts for, with the purpose of use it states; 401 without a session.</summary>
    public static IRequester RequireRequester(HttpContext context, NodeEid? eid)
    {
        if (eid is null)
        {
            throw new ExchangeException(HttpStatusCode.Unauthorized, "login", "eID login is not configured on this node (no 'eid' section), so no professional can act here");
        }

        var session = Find(context, eid)
            ?? throw new ExchangeException(HttpStatusCode.Unauthorized, "login", "log in with eID first (GET /eid/login); send the session as the konfido_session cookie or a Bearer token");
        if (session.Identity is null)
        {
            throw new ExchangeException(HttpStatusCode.Forbidden, "forbidden", "only a registered health professional can request cross-border data; this is a citizen's session");
        }

        var purpose = context.Request.Headers[PurposeHeader].ToString() switch
        {
            "" => PurposeOfUse.Treatment,
            var p => CrossBorderNames.PurposeFromCode(p.ToUpperInvariant())
                ?? throw new ExchangeException(HttpStatusCode.BadRequest, "value", $"{PurposeHeader} '{p}' is not TREATMENT or EMERGENCY"),
        };
        return new SessionRequester(session, eid.Issuer, purpose, eid.Trcs);
    }

    /// <summary>The citizen's national identifier of this node's country from the session; 401/403 otherwise.</summary>
    public static string RequireCitizen(HttpContext context, NodeEid? eid)
    {
        var session = (eid is null ? null : Find(context, eid))
            ?? throw new ExchangeException(HttpStatusCode.Unauthorized, "login", "log in with eID first (GET /eid/login)");
        return session.PatientId
            ?? throw new ExchangeException(HttpStatusCode.Forbidden, "forbidden", "this is a professional's session; patients manage their own data with their own eID");
    }

    /// <summary>The session the request carries (cookie or Bearer token), or null.</summary>
    internal static ProfessionalSession? Find(HttpContext context, NodeEid eid) => eid.Sessions.Find(Token(context));

    /// <summary>The national identifier of a citizen of <paramref name="country"/> from an eIDAS PersonIdentifier <c>CC/XX/id</c>, or null.</summary>
    private static string? CitizenId(string personIdentifier, string country) =>
        personIdentifier.Length > 6 && personIdentifier.StartsWith(country + "/", StringComparison.Ordinal) ? personIdentifier[6..] : null;

    /// <summary>The embedded test eIDAS node knows the country's population from the national back end.</summary>
    private static async Task<EidasPerson?> CitizenAsync(INationalBackend backend, string country, string personIdentifier, CancellationToken cancellationToken)
    {
        if (CitizenId(personIdentifier, country) is not { } id || !EidasPerson.IsValidPersonIdentifier(personIdentifier))
        {
            return null;
        }

        var found = await backend.FindPatientsAsync(new PatientQuery(null, id), cancellationToken).ConfigureAwait(false);
        if (found is not [var patient])
        {
            return null;
        }

        var name = patient.Name.FirstOrDefault();
        var birth = DateOnly.TryParse(patient.BirthDate, System.Globalization.CultureInfo.InvariantCulture, out var b) ? b : new DateOnly(1900, 1, 1);
        return new EidasPerson(personIdentifier, name?.Family ?? "-", string.Join(' ', name?.Given ?? ["-"]), birth);
    }

    private static string? Token(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        return context.Request.Cookies.TryGetValue(ProfessionalSessions.CookieName, out var cookie) ? cookie : null;
    }

    private static object Describe(ProfessionalSession session, string? token) => new
    {
        session = token,
        expires = session.Expires,
        person = session.PersonIdentifier,
        name = session.DisplayName,
        loa = session.Level.ToShortName(),
        patientId = session.PatientId,
        consoleRole = session.ConsoleRole?.ToString().ToLowerInvariant(),
        professional = session.Identity is not { } identity ? null : new
        {
            id = identity.SubjectId,
            name = identity.SubjectName,
            role = identity.Role.ToString().ToLowerInvariant(),
            isco = identity.Role.IscoCode(),
            organisation = identity.Organisation,
            organisationId = identity.OrganisationId,
            facilityType = identity.FacilityType.Name(),
            locality = identity.Locality,
            loa = identity.Level.ToShortName(),
            permissions = identity.Permissions.Select(p => p.ToString()).ToArray(),
            hcpAssertion = session.HcpAssertion!.Id,
        },
    };

    private static LevelOfAssurance ParseLevel(string value)
    {
        try
        {
            return AccessLevels.Parse(value, "loa", "query");
        }
        catch (NodeConfigurationException ex)
        {
            throw new ExchangeException(HttpStatusCode.BadRequest, "value", ex.Message);
        }
    }

    private static async Task<IFormCollection> ReadFormAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            throw new ExchangeException(HttpStatusCode.UnsupportedMediaType, "not-supported", "expected an HTML form post (application/x-www-form-urlencoded)");
        }

        return await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static string ChooserPage(string country, NodeEid eid, string samlRequest, string? relay)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Test eIDAS node ").Append(WebUtility.HtmlEncode(country)).Append("</title></head>\n<body>\n");
        html.Append("<h1>Test eIDAS node ").Append(WebUtility.HtmlEncode(country)).Append("</h1>\n<p>A test identity provider: choose who logs in.</p>\n");
        html.Append("<form method=\"post\" action=\"").Append(WebUtility.HtmlEncode(eid.IdpSsoUrl)).Append("\">\n");
        html.Append("<input type=\"hidden\" name=\"SAMLRequest\" value=\"").Append(WebUtility.HtmlEncode(samlRequest)).Append("\"/>\n");
        if (relay is not null)
        {
            html.Append("<input type=\"hidden\" name=\"RelayState\" value=\"").Append(WebUtility.HtmlEncode(relay)).Append("\"/>\n");
        }

        html.Append("<select name=\"person\">\n");
        foreach (var p in eid.Material.Registry.All.OrderBy(p => p.PersonIdentifier, StringComparer.Ordinal))
        {
            html.Append("<option value=\"").Append(WebUtility.HtmlEncode(p.PersonIdentifier)).Append("\">")
                .Append(WebUtility.HtmlEncode($"{p.DisplayName} ({p.Role.ToString().ToLowerInvariant()}, {p.Organisation})")).Append("</option>\n");
        }

        foreach (var p in eid.Material.Registry.Staff.OrderBy(p => p.PersonIdentifier, StringComparer.Ordinal))
        {
            html.Append("<option value=\"").Append(WebUtility.HtmlEncode(p.PersonIdentifier)).Append("\">")
                .Append(WebUtility.HtmlEncode($"{p.DisplayName} (node {p.Role.ToString().ToLowerInvariant()})")).Append("</option>\n");
        }

        html.Append("</select>\n<button type=\"submit\">Log in</button>\n</form>\n</body></html>\n");
        return html.ToString();
    }
}
