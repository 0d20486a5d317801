using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Konfido.Eid.CrossBorder;
using Konfido.Exchange;

namespace Konfido.Node;

/// <summary>A professional logged in at this node (country B), with the HCP identity assertion issued at login.</summary>
/// <param name="Identity">Who, in what role, at which level of assurance.</param>
/// <param name="HcpAssertion">The signed HCP identity assertion (valid at most 4 hours).</param>
/// <param name="Expires">When the session ends (when the HCP assertion does).</param>
public sealed record ProfessionalSession(HcpIdentity Identity, IssuedAssertion HcpAssertion, DateTimeOffset Expires);

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
internal sealed class SessionRequester(ProfessionalSession session, CrossBorderAssertionIssuer issuer, PurposeOfUse purpose) : IRequester
{
    public string Actor => session.Identity.SubjectId;

    public string? ActorRole => session.Identity.Role.IscoCode();

    public string? Organisation => session.Identity.Organisation;

    public string? PurposeOfUse => purpose.Code();

    public IReadOnlyList<KeyValuePair<string, string>> AssertionHeaders(string homeCountry, string? patientId)
    {
        var headers = new List<KeyValuePair<string, string>> { new(FederationProtocol.HcpAssertionHeader, session.HcpAssertion.ToHeaderValue()) };
        if (!string.IsNullOrWhiteSpace(patientId))
        {
            // Never outlive the HCP assertion it references.
            var left = session.Expires - DateTimeOffset.UtcNow;
            var lifetime = left < CrossBorderAssertionIssuer.MaxTrcLifetime ? left : CrossBorderAssertionIssuer.MaxTrcLifetime;
            var trc = issuer.IssueTrc(session.HcpAssertion, session.Identity, patientId, purpose, lifetime > TimeSpan.FromSeconds(1) ? lifetime : TimeSpan.FromSeconds(1));
            headers.Add(new(FederationProtocol.TrcAssertionHeader, trc.ToHeaderValue()));
        }

        return headers;
    }
}
