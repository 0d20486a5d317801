using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Konfido.Exchange;

namespace Konfido.Node;

/// <summary>How one peer answered the console's probe.</summary>
/// <param name="Country">The peer's country.</param>
/// <param name="Reachable">True if a mutual-TLS handshake with the node's own certificate completed against the pinned certificate.</param>
/// <param name="LatencyMs">Connect plus handshake time, when reachable.</param>
/// <param name="CertificateNotAfter">The expiry of the certificate the peer presented, if it presented one.</param>
/// <param name="Pinned">Whether that certificate is the one the trust list pins.</param>
/// <param name="Error">Why the probe failed, if it did.</param>
/// <param name="CheckedAt">When the probe ran.</param>
public sealed record PeerStatus(string Country, bool Reachable, double? LatencyMs, DateTimeOffset? CertificateNotAfter, bool Pinned, string? Error, DateTimeOffset CheckedAt);

/// <summary>
/// Checks the other members' federation listeners for the console: a TLS handshake with this node's
/// certificate (as every federation call makes), the peer's certificate compared with the trust
/// list's pin, and its expiry. Results are cached for a few seconds so that the console's refreshes
/// cost the peers little; nothing is sent after the handshake.
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
            return new PeerStatus(member.Country, true, Math.Round(watch.Elapsed.TotalMilliseconds, 1), notAfter, pinned, null, now);
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or OperationCanceledException)
        {
            var error = ex switch
            {
                OperationCanceledException => $"no answer within {Timeout.TotalSeconds:0} s",
                AuthenticationException when notAfter is not null && !pinned => "the presented certificate is not the one the trust list pins",
                _ => ex.Message,
            };
            return new PeerStatus(member.Country, false, null, notAfter, pinned, error, now);
        }
    }
}
