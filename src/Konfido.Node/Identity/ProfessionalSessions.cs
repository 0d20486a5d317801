using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Konfido.Eid.CrossBorder;
using Konfido.Exchange;

namespace Konfido.Node;

/// <summary>
/// A person logged in at this node with eIDAS: a registered health professional (with the HCP
/// identity assertion issued at login), or a citizen of this country acting on their own data
/// (consent, access report).
/// </summary>
/// <param name="PersonIdentifier">The eIDAS PersonIdentifier.</param>
/// <param name="DisplayName">The person's name.</param>
/// <param name="Level">The login's level of assurance.</param>
/// <param name="Expires">When the session ends (for a professional, when the HCP assertion does).</param>
public sealed record ProfessionalSession(string PersonIdentifier, string DisplayName, Eid.Saml.LevelOfAssurance Level, DateTimeOffset Expires)
{
    /// <summary>The professional's identity, or null for a citizen.</summary>
    public HcpIdentity? Identity { get; init; }

    /// <summary>The signed HCP identity assertion (valid at most 4 hours), or null for a citizen.</summary>
    public IssuedAssertion? HcpAssertion { get; init; }

    /// <summary>For a citizen: their national identifier as this country's back end knows it; null for a professional.</summary>
    public string? PatientId { get; init; }

    /// <summary>For the node's own staff: their web-console role; null for professionals and citizens.</summary>
    public ConsoleRole? ConsoleRole { get; init; }
}

/// <summary>
/// The node's professional sessions: an opaque 256-bit bearer token per login (sent as the
/// <c>konfido_session</c> cookie or an <c>Authorization: Bearer</c> header). Only the token's
/// SHA-256 is kept, so a memory dump does not yield usable tokens.
/// </summary>
public sealed class ProfessionalSessions(TimeProvider? time = null)
{
    /// <summary>The cookie that carries the session token.</summary>
    public const string CookieName = "konfido_session";

    /// <summary>The most sessions held at once; the oldest expire first when full.</summary>
    public const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, ProfessionalSession> _sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Starts a session and returns its token (shown to the client once).</summary>
    public string Open(ProfessionalSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (_sessions.Count >= Capacity)
        {
            Purge();
        }

        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _sessions[Key(token)] = session;
        return token;
    }

    /// <summary>The live session of <paramref name="token"/>, or null (unknown or expired).</summary>
    public ProfessionalSession? Find(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 128)
        {
            return null;
        }

        var key = Key(token);
        if (!_sessions.TryGetValue(key, out var session))
        {
            return null;
        }

        if (session.Expires <= _time.GetUtcNow())
        {
            _sessions.TryRemove(key, out _);
            return null;
        }

        return session;
    }

    /// <summary>Ends the session of <paramref name="token"/>; false if there was none.</summary>
    public bool Close(string? token) => !string.IsNullOrEmpty(token) && token.Length <= 128 && _sessions.TryRemove(Key(token), out _);

    private void Purge()
    {
        var now = _time.GetUtcNow();
        foreach (var (key, session) in _sessions)
        {
            if (session.Expires <= now)
            {
                _sessions.TryRemove(key, out _);
            }
        }

        if (_sessions.Count >= Capacity)
        {
            foreach (var (key, _) in _sessions.OrderBy(kv => kv.Value.Expires).Take(_sessions.Count - Capacity + 1))
            {
                _sessions.TryRemove(key, out _);
            }
        }
    }

    private static string Key(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

/// <summary>
/// A logged-in professional acting with one purpose of use: country B issues a TRC for each
/// patient the request concerns, referencing the session's HCP assertion.
/// </summary>
internal sealed class SessionRequester(ProfessionalSession session, CrossBorderAssertionIssuer issuer, PurposeOfUse purpose, TrcCache trcs) : IRequester
{
    private readonly HcpIdentity _identity = session.Identity ?? throw new ArgumentException("Not a professional's session.", nameof(session));
    private readonly IssuedAssertion _hcp = session.HcpAssertion ?? throw new ArgumentException("Not a professional's session.", nameof(session));

    public string Actor => _identity.SubjectId;

    public string? ActorRole => _identity.Role.IscoCode();

    public string? Organisation => _identity.Organisation;

    public string? PurposeOfUse => purpose.Code();

    public IReadOnlyList<KeyValuePair<string, string>> AssertionHeaders(string homeCountry, string? patientId)
    {
        var headers = new List<KeyValuePair<string, string>> { new(FederationProtocol.HcpAssertionHeader, _hcp.ToHeaderValue()) };
        if (!string.IsNullOrWhiteSpace(patientId))
        {
            var trc = trcs.GetOrIssue(_hcp, patientId, purpose, () =>
            {
                // Never outlive the HCP assertion it references.
                var left = session.Expires - DateTimeOffset.UtcNow;
                var lifetime = left < CrossBorderAssertionIssuer.MaxTrcLifetime ? left : CrossBorderAssertionIssuer.MaxTrcLifetime;
                return issuer.IssueTrc(_hcp, _identity, patientId, purpose, lifetime > TimeSpan.FromSeconds(1) ? lifetime : TimeSpan.FromSeconds(1));
            });
            headers.Add(new(FederationProtocol.TrcAssertionHeader, trc.ToHeaderValue()));
        }

        return headers;
    }
}

/// <summary>
/// The TRCs country B has issued, reused for the same HCP assertion, patient and purpose while more
/// than a minute of their validity is left (a treatment relationship is confirmed once, not per request).
/// </summary>
internal sealed class TrcCache
{
    private const int Capacity = 100_000;
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<(string Hcp, string Patient, PurposeOfUse Purpose), IssuedAssertion> _issued = new();

    public IssuedAssertion GetOrIssue(IssuedAssertion hcp, string patientId, PurposeOfUse purpose, Func<IssuedAssertion> issue)
    {
        var key = (hcp.Id, patientId, purpose);
        var now = DateTimeOffset.UtcNow;
        if (_issued.TryGetValue(key, out var cached) && cached.NotOnOrAfter - Margin > now)
        {
            return cached;
        }

        if (_issued.Count >= Capacity)
        {
            foreach (var (k, v) in _issued)
            {
                if (v.NotOnOrAfter - Margin <= now)
                {
                    _issued.TryRemove(k, out _);
                }
            }

            if (_issued.Count >= Capacity)
            {
                _issued.Clear();
            }
        }

        var trc = issue();
        _issued[key] = trc;
        return trc;
    }
}
