using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml;
using Konfido.Core;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Saml;

/// <summary>How a node's eIDAS service provider is set up.</summary>
/// <param name="Country">The node's country (events name it).</param>
/// <param name="EntityId">The SP entity ID (the Audience the IdP must name).</param>
/// <param name="AssertionConsumerServiceUrl">Where Responses are posted (the bearer Recipient).</param>
public sealed record EidasServiceProviderOptions(CountryCode Country, string EntityId, string AssertionConsumerServiceUrl)
{
    /// <summary>The level requested when the caller does not name one.</summary>
    public LevelOfAssurance DefaultLevel { get; init; } = LevelOfAssurance.Substantial;

    /// <summary>The SP sector.</summary>
    public EidasSpType SpType { get; init; } = EidasSpType.Public;

    /// <summary>The attributes requested.</summary>
    public IReadOnlyList<RequestedAttribute> RequestedAttributes { get; init; } = RequestedAttribute.MinimumDataSet;

    /// <summary>The tolerated clock difference (default 60 s).</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an AuthnRequest waits for its Response (default 10 minutes).</summary>
    public TimeSpan RequestLifetime { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>The outcome of an eIDAS login at the SP.</summary>
/// <param name="Validation">The validated Response.</param>
/// <param name="RequestedLevel">The level the matching AuthnRequest asked for, if it was found.</param>
public sealed record EidasLogin(SamlValidationResult Validation, LevelOfAssurance? RequestedLevel)
{
    /// <summary>True if the login succeeded.</summary>
    public bool IsValid => Validation.IsValid;

    /// <summary>The authenticated person, when valid.</summary>
    public EidasPerson? Person => IsValid ? Validation.Person : null;
}

/// <summary>
/// The SAML 2.0 service provider of a node: issues signed eIDAS AuthnRequests, remembers them,
/// and accepts only Responses that answer one of them (no unsolicited Responses), validated by
/// <see cref="SamlResponseValidator"/> with the replay cache; every login and every failure is
/// published as an <c>identity</c> security event (<c>eid-login</c>).
/// </summary>
public sealed class EidasServiceProvider
{
    private readonly EidasServiceProviderOptions _options;
    private readonly XmlSigningKey _signingKey;
    private readonly X509Certificate2 _decryption;
    private readonly RSA _decryptionKey;
    private readonly TrustedCertificates _idpTrust;
    private readonly IAssertionReplayCache _replayCache;
    private readonly ISecurityEventSink? _events;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, (LevelOfAssurance Level, DateTimeOffset Expires)> _pending = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Creates the SP. Requires a decryption certificate with an RSA private key.</summary>
    /// <param name="options">Its configuration.</param>
    /// <param name="signingKey">Signs AuthnRequests.</param>
    /// <param name="decryptionCertificate">The RSA certificate (with private key) IdPs encrypt assertions to.</param>
    /// <param name="idpTrust">The trusted eIDAS-node signing certificates.</param>
    /// <param name="replayCache">The assertion-ID replay cache.</param>
    /// <param name="events">Where login events go, or null.</param>
    /// <param name="time">The clock; the system clock by default.</param>
    public EidasServiceProvider(EidasServiceProviderOptions options, XmlSigningKey signingKey, X509Certificate2 decryptionCertificate,
        TrustedCertificates idpTrust, IAssertionReplayCache replayCache, ISecurityEventSink? events = null, TimeProvider? time = null)
        : this(options, signingKey, decryptionCertificate,
            decryptionCertificate?.GetRSAPrivateKey() ?? throw new ArgumentException("The decryption certificate has no RSA private key.", nameof(decryptionCertificate)),
            idpTrust, replayCache, events, time)
    {
    }

    /// <summary>Creates the SP with a decryption key held elsewhere (e.g. an <see cref="RSA"/> that decrypts through key custody).
    /// Requires an RSA certificate and a key of at least 3072 bits.</summary>
    /// <param name="options">Its configuration.</param>
    /// <param name="signingKey">Signs AuthnRequests.</param>
    /// <param name="encryptionCertificate">The RSA certificate IdPs encrypt assertions to (its private key is not needed).</param>
    /// <param name="decryptionKey">Decrypts the content keys IdPs wrap for <paramref name="encryptionCertificate"/>.</param>
    /// <param name="idpTrust">The trusted eIDAS-node signing certificates.</param>
    /// <param name="replayCache">The assertion-ID replay cache.</param>
    /// <param name="events">Where login events go, or null.</param>
    /// <param name="time">The clock; the system clock by default.</param>
    public EidasServiceProvider(EidasServiceProviderOptions options, XmlSigningKey signingKey, X509Certificate2 encryptionCertificate, RSA decryptionKey,
        TrustedCertificates idpTrust, IAssertionReplayCache replayCache, ISecurityEventSink? events = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(signingKey);
        ArgumentNullException.ThrowIfNull(encryptionCertificate);
        ArgumentNullException.ThrowIfNull(decryptionKey);
        ArgumentNullException.ThrowIfNull(idpTrust);
        ArgumentNullException.ThrowIfNull(replayCache);
        _options = options;
        _signingKey = signingKey;
        if (decryptionKey.KeySize < TrustedCertificates.MinimumRsaBits)
        {
            throw new ArgumentException($"RSA key of {decryptionKey.KeySize} bits is below the minimum of {TrustedCertificates.MinimumRsaBits}.", nameof(decryptionKey));
        }

        _decryption = encryptionCertificate;
        _decryptionKey = decryptionKey;
        _idpTrust = idpTrust;
        _replayCache = replayCache;
        _events = events;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The certificate identity providers encrypt assertions to (publish it in the SP metadata).</summary>
    public X509Certificate2 EncryptionCertificate => _decryption;

    /// <summary>The certificate identity providers verify AuthnRequests with.</summary>
    public X509Certificate2 SigningCertificate => _signingKey.Certificate;

    /// <summary>Creates, signs and remembers an AuthnRequest to the eIDAS node at <paramref name="destination"/>.</summary>
    /// <param name="destination">The node's single-sign-on URL.</param>
    /// <param name="minimumLevel">The minimum level of assurance; the configured default if null.</param>
    public EidasAuthnRequest CreateAuthnRequest(string destination, LevelOfAssurance? minimumLevel = null)
    {
        var now = _time.GetUtcNow();
        var request = EidasAuthnRequest.Create(new EidasAuthnRequestParameters(_options.EntityId, destination, _options.AssertionConsumerServiceUrl)
        {
            MinimumLevel = minimumLevel ?? _options.DefaultLevel,
            SpType = _options.SpType,
            RequestedAttributes = _options.RequestedAttributes,
        }, _signingKey, now);
        lock (_gate)
        {
            foreach (var (id, entry) in _pending.ToArray())
            {
                if (entry.Expires <= now)
                {
                    _pending.Remove(id);
                }
            }

            _pending[request.Id] = (request.Parameters.MinimumLevel, now + _options.RequestLifetime);
        }

        return request;
    }

    /// <summary>
    /// Validates a posted <c>SAMLResponse</c> (base64 or XML) against the AuthnRequest it claims to
    /// answer, consumes that request, and publishes the outcome. Never throws for bad input.
    /// </summary>
    /// <param name="samlResponse">The posted value.</param>
    /// <param name="sourceIp">The client address, for the event, or null.</param>
    /// <param name="cancellationToken">Cancels publishing the event.</param>
    public async ValueTask<EidasLogin> AcceptResponseAsync(string samlResponse, string? sourceIp = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samlResponse);
        var now = _time.GetUtcNow();
        var requestId = ClaimedInResponseTo(samlResponse);
        LevelOfAssurance? level = null;
        if (requestId is not null)
        {
            lock (_gate)
            {
                if (_pending.Remove(requestId, out var entry) && entry.Expires > now)
                {
                    level = entry.Level;
                }
            }
        }

        SamlValidationResult result;
        if (level is null)
        {
            result = new SamlValidationResult { IsValid = false, Reasons = [$"Response answers no pending AuthnRequest of this SP (InResponseTo '{requestId}')"] };
        }
        else
        {
            result = SamlResponseValidator.Validate(samlResponse, new SamlValidationParameters(_idpTrust)
            {
                DecryptionKey = _decryptionKey,
                Now = now,
                ClockSkew = _options.ClockSkew,
                Audience = _options.EntityId,
                Recipient = _options.AssertionConsumerServiceUrl,
                InResponseTo = requestId,
                MinimumLevel = level,
                ReplayCache = _replayCache,
            });
        }

        if (_events is not null)
        {
            var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
            if (result.Issuer is not null)
            {
                attributes["saml.issuer"] = result.Issuer;
            }

            if (result.Level is { } l)
            {
                attributes["eidas.loa"] = l.ToShortName();
            }

            if (!result.IsValid && result.NameId is not null)
            {
                attributes["actor.verified"] = "false";
            }

            await _events.PublishAsync(new SecurityEvent
            {
                Timestamp = now,
                Node = _options.Country.Value,
                Category = EventCategories.Identity,
                Action = "eid-login",
                Outcome = result.IsValid ? EventOutcome.Success : EventOutcome.Failure,
                // A refused login names the account it claimed (unverified), as authentication logs do, so that brute force on one account shows.
                Actor = result.IsValid ? result.Person?.PersonIdentifier : result.NameId,
                SourceIp = sourceIp,
                Reason = result.IsValid ? null : string.Join("; ", result.Reasons),
                Attributes = attributes,
            }, cancellationToken).ConfigureAwait(false);
        }

        return new EidasLogin(result, level);
    }

    private static string? ClaimedInResponseTo(string message)
    {
        // Only to find the pending request; the value is checked again inside the verified assertion.
        var xml = SecureXml.DecodeXmlOrBase64(message);
        if (xml is null || !SecureXml.TryLoad(xml, out XmlDocument? doc, out _))
        {
            return null;
        }

        var root = doc!.DocumentElement!;
        return root.HasAttribute("InResponseTo") ? root.GetAttribute("InResponseTo") : null;
    }
}
