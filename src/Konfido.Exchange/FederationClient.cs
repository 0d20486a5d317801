using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Konfido.Exchange;

/// <summary>Timeouts and retries for calls to peer nodes.</summary>
/// <param name="AttemptTimeout">How long one attempt may take.</param>
/// <param name="MaxAttempts">Attempts for idempotent requests (GET), at least 1.</param>
/// <param name="RetryDelay">The delay before the second attempt; doubled for each further one.</param>
public sealed record PeerCallPolicy(TimeSpan AttemptTimeout, int MaxAttempts, TimeSpan RetryDelay)
{
    /// <summary>5 s per attempt, 3 attempts, 100 ms then 200 ms between them.</summary>
    public static PeerCallPolicy Default { get; } = new(TimeSpan.FromSeconds(5), 3, TimeSpan.FromMilliseconds(100));
}

/// <summary>A verified answer from a peer node.</summary>
/// <param name="Status">The HTTP status the peer answered with.</param>
/// <param name="Body">The body, whose signature has been verified.</param>
/// <param name="Signer">The country whose key signed the body.</param>
/// <param name="Signature">The signer's detached JWS over <paramref name="Body"/>, for end-to-end checks.</param>
public sealed record PeerResponse(HttpStatusCode Status, byte[] Body, string Signer, string Signature)
{
    /// <summary>True if <see cref="Body"/> is a payload envelope sealed for this node (<see cref="SealedPayloads"/>):
    /// only the node's custody boundary (<see cref="PayloadGateway"/>) can read it.</summary>
    public bool IsSealed { get; init; }
}

/// <summary>
/// Calls other countries' national contact points: HTTPS with mutual TLS where both certificates
/// are pinned by the trust list (the peer must present exactly the certificate listed for the
/// country being called), per-attempt timeouts, retries of idempotent requests, and verification of
/// the peer's detached JWS on every response.
/// </summary>
public sealed class FederationClient : IDisposable
{
    private readonly NodeCredentials _credentials;
    private readonly Func<TrustList> _trustList;
    private readonly PeerCallPolicy _policy;
    private readonly Dictionary<string, HttpClient> _clients = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private readonly Custody.PublicKeyPool<System.Security.Cryptography.ECDsa> _signingKeys = Custody.PublicKeyPool<System.Security.Cryptography.ECDsa>.ForECDsa();

    /// <summary>Creates a client. Requires credentials and a trust-list source (read on every call, so updates apply).</summary>
    public FederationClient(NodeCredentials credentials, Func<TrustList> trustList, PeerCallPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(trustList);
        _credentials = credentials;
        _trustList = trustList;
        _policy = policy ?? PeerCallPolicy.Default;
        if (_policy.MaxAttempts < 1)
        {
            throw new ArgumentException("MaxAttempts must be at least 1.", nameof(policy));
        }
    }

    /// <summary>
    /// GETs <paramref name="relativeUrl"/> from <paramref name="country"/>'s node, retrying transport
    /// failures and 502/503/504, and returns the verified response (which may be a FHIR error).
    /// </summary>
    /// <exception cref="ExchangeException">Unknown country, peer unreachable or slow, or a bad signature.</exception>
    public Task<PeerResponse> GetAsync(string country, string relativeUrl, CancellationToken cancellationToken = default) =>
        GetAsync(country, relativeUrl, null, cancellationToken);

    /// <summary>As <see cref="GetAsync(string, string, CancellationToken)"/>, with extra request headers (the cross-border assertions).</summary>
    /// <exception cref="ExchangeException">Unknown country, peer unreachable or slow, or a bad signature.</exception>
    public Task<PeerResponse> GetAsync(string country, string relativeUrl, IReadOnlyList<KeyValuePair<string, string>>? headers, CancellationToken cancellationToken = default) =>
        SendAsync(country, () => WithHeaders(new HttpRequestMessage(HttpMethod.Get, relativeUrl), headers), idempotent: true, cancellationToken);

    /// <summary>
    /// POSTs a FHIR JSON body. Retried only when the connection could not be opened (nothing was
    /// sent), so a submission is never delivered twice by the client.
    /// </summary>
    /// <exception cref="ExchangeException">Unknown country, peer unreachable or slow, or a bad signature.</exception>
    public Task<PeerResponse> PostAsync(string country, string relativeUrl, byte[] fhirJson, CancellationToken cancellationToken = default) =>
        PostAsync(country, relativeUrl, fhirJson, FhirJson.MediaType, cancellationToken);

    /// <summary>
    /// POSTs a body of <paramref name="mediaType"/> (e.g. a C2SP add-checkpoint request), with the same
    /// retry rule as the FHIR overload: retried only when nothing was sent.
    /// </summary>
    /// <exception cref="ExchangeException">Unknown country, peer unreachable or slow, or a bad signature.</exception>
    public Task<PeerResponse> PostAsync(string country, string relativeUrl, byte[] body, string mediaType, CancellationToken cancellationToken = default) =>
        PostAsync(country, relativeUrl, body, mediaType, null, cancellationToken);

    /// <summary>As <see cref="PostAsync(string, string, byte[], string, CancellationToken)"/>, with extra request headers (the cross-border assertions).</summary>
    /// <exception cref="ExchangeException">Unknown country, peer unreachable or slow, or a bad signature.</exception>
    public Task<PeerResponse> PostAsync(string country, string relativeUrl, byte[] body, string mediaType, IReadOnlyList<KeyValuePair<string, string>>? headers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentException.ThrowIfNullOrEmpty(mediaType);
        return SendAsync(country, () =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
            return WithHeaders(new HttpRequestMessage(HttpMethod.Post, relativeUrl) { Content = content }, headers);
        }, idempotent: false, cancellationToken);
    }

    /// <summary>
    /// POSTs a clinical FHIR JSON body, sealed end to end for the peer's payload key when the trust list lists one
    /// (<see cref="SealedPayloads.SealRequest"/>: only the peer's custody boundary opens it), otherwise as FHIR JSON.
    /// Retried as <see cref="PostAsync(string, string, byte[], CancellationToken)"/>.
    /// </summary>
    /// <exception cref="ExchangeException">Unknown country, peer unreachable or slow, or a bad signature.</exception>
    public Task<PeerResponse> PostSealedAsync(string country, string relativeUrl, byte[] fhirJson, IReadOnlyList<KeyValuePair<string, string>>? headers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fhirJson);
        var member = _trustList().Find(country);
        return member?.PayloadKey is null
            ? PostAsync(country, relativeUrl, fhirJson, FhirJson.MediaType, headers, cancellationToken)
            : PostAsync(country, relativeUrl, SealedPayloads.SealRequest(fhirJson, member), Custody.PayloadEnvelope.MediaType, headers, cancellationToken);
    }

    private static HttpRequestMessage WithHeaders(HttpRequestMessage request, IReadOnlyList<KeyValuePair<string, string>>? headers)
    {
        if (headers is not null)
        {
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return request;
    }

    private async Task<PeerResponse> SendAsync(string country, Func<HttpRequestMessage> makeRequest, bool idempotent, CancellationToken cancellationToken)
    {
        var member = _trustList().Find(country)
            ?? throw new ExchangeException(HttpStatusCode.NotFound, "not-found", $"country '{country}' is not in the federation trust list");
        var client = ClientFor(member);
        var delay = _policy.RetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_policy.AttemptTimeout);
            bool retryable;
            string failure;
            try
            {
                using var request = makeRequest();
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                if (response.Content.Headers.ContentLength > FederationProtocol.MaxBodyBytes)
                {
                    throw new ExchangeException(HttpStatusCode.BadGateway, "too-long", $"the {member.Country} node sent an oversized response");
                }

                var body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
                var status = response.StatusCode;
                if (idempotent && attempt < _policy.MaxAttempts && status is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
                {
                    retryable = true;
                    failure = $"the {member.Country} node answered {(int)status}";
                }
                else
                {
                    return Verify(member, response, body);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                retryable = idempotent;
                failure = $"the {member.Country} node did not answer within {_policy.AttemptTimeout.TotalSeconds:0.#} s";
            }
            catch (HttpRequestException ex)
            {
                var notSent = ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } || ex.HttpRequestError == HttpRequestError.ConnectionError;
                retryable = idempotent || notSent;
                failure = ex.HttpRequestError == HttpRequestError.SecureConnectionError
                    ? $"mutual TLS with the {member.Country} node failed (certificate not as pinned in the trust list?)"
                    : $"the {member.Country} node is unreachable ({ex.HttpRequestError})";
                if (ex.HttpRequestError == HttpRequestError.SecureConnectionError)
                {
                    retryable = false;
                }
            }

            if (!retryable || attempt >= _policy.MaxAttempts)
            {
                var status = failure.Contains("did not answer", StringComparison.Ordinal) ? HttpStatusCode.GatewayTimeout : HttpStatusCode.BadGateway;
                var code = status == HttpStatusCode.GatewayTimeout ? "timeout" : "transient";
                if (failure.StartsWith("mutual TLS", StringComparison.Ordinal))
                {
                    code = "security";
                }

                throw new ExchangeException(status, code, attempt > 1 ? $"{failure} (after {attempt} attempts)" : failure);
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay *= 2;
        }
    }

    private PeerResponse Verify(FederationMember member, HttpResponseMessage response, byte[] body)
    {
        var jws = response.Headers.TryGetValues(FederationProtocol.SignatureHeader, out var values) ? values.FirstOrDefault() : null;
        if (jws is null)
        {
            throw new ExchangeException(HttpStatusCode.BadGateway, "security", $"the {member.Country} node's response is not signed");
        }

        var kid = DetachedJws.ReadKeyId(jws);
        if (!string.Equals(kid, member.Country, StringComparison.OrdinalIgnoreCase))
        {
            throw new ExchangeException(HttpStatusCode.BadGateway, "security", $"the {member.Country} node's response is signed as '{kid}'");
        }

        using var key = _signingKeys.Rent(member.SigningKey);
        var check = DetachedJws.Verify(jws, body, key.Key);
        if (!check.IsValid)
        {
            throw new ExchangeException(HttpStatusCode.BadGateway, "security", $"the {member.Country} node's response signature is invalid: {check.Reason}");
        }

        var sealedAnswer = string.Equals(response.Content.Headers.ContentType?.MediaType, Custody.PayloadEnvelope.MediaType, StringComparison.OrdinalIgnoreCase);
        return new PeerResponse(response.StatusCode, body, member.Country, jws) { IsSealed = sealedAnswer };
    }

    private HttpClient ClientFor(FederationMember member)
    {
        lock (_gate)
        {
            var key = member.Country + "|" + member.Endpoint + "|" + member.TlsCertificateSha256;
            if (_clients.TryGetValue(key, out var existing))
            {
                return existing;
            }

            var client = CreatePinnedClient(_credentials, member, maxConnectionsPerServer: 64);
            client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson.MediaType));
            client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue(Custody.PayloadEnvelope.MediaType));
            _clients[key] = client;
            return client;
        }
    }

    /// <summary>
    /// An HTTPS client for <paramref name="member"/>'s node over mutual TLS: it presents this node's
    /// certificate and accepts only the peer certificate the trust list pins for the member, while it is
    /// valid (pinning replaces chain building). Base address: the member's endpoint. The caller disposes it.
    /// </summary>
    /// <param name="credentials">This node's credentials.</param>
    /// <param name="member">The peer.</param>
    /// <param name="maxConnectionsPerServer">Connections kept to the peer, or null for the platform default.</param>
    public static HttpClient CreatePinnedClient(NodeCredentials credentials, FederationMember member, int? maxConnectionsPerServer = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(member);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(3),
            MaxResponseHeadersLength = 64,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [credentials.TlsCertificate],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => credentials.TlsCertificate,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is X509Certificate2 peer && member.AcceptsTlsCertificate(peer, DateTimeOffset.UtcNow),
            },
        };
        if (maxConnectionsPerServer is int max)
        {
            handler.MaxConnectionsPerServer = max;
        }

        var endpoint = member.Endpoint.AbsoluteUri.EndsWith('/') ? member.Endpoint : new Uri(member.Endpoint.AbsoluteUri + "/");
        return new HttpClient(handler) { BaseAddress = endpoint, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var client in _clients.Values)
            {
                client.Dispose();
            }

            _clients.Clear();
        }

        _signingKeys.Dispose();
    }
}
