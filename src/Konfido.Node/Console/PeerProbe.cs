using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Konfido.Exchange;

namespace Konfido.Node;

/// <summary>How one peer answered the console's probe.</summary>
/// <param name="Country">The peer's country.</param>
/// <param name="Reachable">True if a mutual-TLS handshake with the node's own certificate completed against the pinned certificate and the peer then answered its health check with success (a peer whose database or ledger fails answers 503).</param>
/// <param name="LatencyMs">Connect, handshake and health-check time, when reachable.</param>
/// <param name="CertificateNotAfter">The expiry of the certificate the peer presented, if it presented one.</param>
/// <param name="Pinned">Whether that certificate is the one the trust list pins.</param>
/// <param name="Error">Why the probe failed, if it did.</param>
/// <param name="CheckedAt">When the probe ran.</param>
public sealed record PeerStatus(string Country, bool Reachable, double? LatencyMs, DateTimeOffset? CertificateNotAfter, bool Pinned, string? Error, DateTimeOffset CheckedAt);

/// <summary>
/// Checks the other members' federation listeners for the console and the node's peer watch: a TLS
/// handshake with this node's certificate (as every federation call makes), the peer's certificate
/// compared with the trust list's pin, and its expiry; then, over that connection, the peer's
/// <c>/health</c>, which answers 503 while the peer's own database or ledger fails. Results are cached
/// for a few seconds so that the console's refreshes cost the peers little.
/// </summary>
public sealed class PeerProbe
{
    /// <summary>How long a result is reused.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);

    /// <summary>How long one probe may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private readonly NodeCredentials _credentials;
    private readonly Func<TrustList> _trustList;
    private readonly string _country;
    private readonly Lock _gate = new();
    private (DateTimeOffset At, Task<PeerStatus[]> Probe)? _cached;

    /// <summary>A probe for the node of <paramref name="country"/> with <paramref name="credentials"/>.</summary>
    public PeerProbe(string country, NodeCredentials credentials, Func<TrustList> trustList)
    {
        ArgumentException.ThrowIfNullOrEmpty(country);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(trustList);
        _country = country;
        _credentials = credentials;
        _trustList = trustList;
    }

    /// <summary>The status of every other member (probed now, or from the last few seconds).</summary>
    public async Task<IReadOnlyList<PeerStatus>> ProbeAsync(CancellationToken cancellationToken = default)
    {
        Task<PeerStatus[]> probe;
        lock (_gate)
        {
            if (_cached is not { } cached || DateTimeOffset.UtcNow - cached.At >= CacheFor)
            {
                var peers = _trustList().Members.Where(m => !string.Equals(m.Country, _country, StringComparison.OrdinalIgnoreCase)).ToArray();
                // Not tied to one caller's cancellation: the round is shared by every request of the next seconds.
                _cached = cached = (DateTimeOffset.UtcNow, Task.WhenAll(peers.Select(p => ProbeAsync(p, CancellationToken.None))));
            }

            probe = cached.Probe;
        }

        return await probe.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Probes every other member now (the node's peer watch), and keeps the result for the console's next few seconds.</summary>
    public async Task<IReadOnlyList<PeerStatus>> RefreshAsync(CancellationToken cancellationToken = default)
    {
        var peers = _trustList().Members.Where(m => !string.Equals(m.Country, _country, StringComparison.OrdinalIgnoreCase)).ToArray();
        var probe = Task.WhenAll(peers.Select(p => ProbeAsync(p, cancellationToken)));
        var result = await probe.ConfigureAwait(false);
        lock (_gate)
        {
            _cached = (DateTimeOffset.UtcNow, probe);
        }

        return result;
    }

    private async Task<PeerStatus> ProbeAsync(FederationMember member, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        DateTimeOffset? notAfter = null;
        var pinned = false;
        var watch = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(member.Endpoint.Host, member.Endpoint.Port, timeout.Token).ConfigureAwait(false);
            await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = member.Endpoint.Host,
                ClientCertificates = [_credentials.TlsCertificate],
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                // Pinning, as every federation call: the peer's certificate must be the one the trust list names.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    notAfter = new DateTimeOffset(presented.NotAfter.ToUniversalTime(), TimeSpan.Zero);
                    pinned = member.AcceptsTlsCertificate(presented, DateTimeOffset.UtcNow);
                    return pinned;
                },
            }, timeout.Token).ConfigureAwait(false);
            var unhealthy = await HealthAsync(tls, member, timeout.Token).ConfigureAwait(false);
            return new PeerStatus(member.Country, unhealthy is null, unhealthy is null ? Math.Round(watch.Elapsed.TotalMilliseconds, 1) : null, notAfter, pinned, unhealthy, now);
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or OperationCanceledException or HttpRequestException)
        {
            var error = ex switch
            {
                OperationCanceledException => $"no answer within {Timeout.TotalSeconds:0} s",
                HttpRequestException => $"no answer to the health check: {ex.Message}",
                AuthenticationException when notAfter is not null && !pinned => "the presented certificate is not the one the trust list pins",
                _ => ex.Message,
            };
            return new PeerStatus(member.Country, false, null, notAfter, pinned, error, now);
        }
    }

    /// <summary>Asks the peer for <c>/health</c> over the connection just made: null if it answered with success, else why not.</summary>
    private static async Task<string?> HealthAsync(SslStream tls, FederationMember member, CancellationToken cancellationToken)
    {
        // HTTP/1.1 over the pinned, mutually authenticated stream: the handler is given the connection instead of making one.
        using var handler = new SocketsHttpHandler { ConnectCallback = (_, _) => ValueTask.FromResult<Stream>(tls) };
        using var http = new HttpClient(handler, disposeHandler: false);
        using var request = new HttpRequestMessage(HttpMethod.Get, new UriBuilder("http", member.Endpoint.Host, member.Endpoint.Port, "/health").Uri);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return null;
        }

        var failing = string.Empty;
        try
        {
            using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            if (body.RootElement.TryGetProperty("failing", out var subjects) && subjects.ValueKind == System.Text.Json.JsonValueKind.Array)
            {
                failing = $": {string.Join(", ", subjects.EnumerateArray().Select(e => e.GetString()))} failing";
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return $"answers HTTP {(int)response.StatusCode}{failing}";
    }
}
