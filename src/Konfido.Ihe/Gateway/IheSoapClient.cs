using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Konfido.Exchange;
using Konfido.Ihe.Soap;

namespace Konfido.Ihe.Gateway;

/// <summary>
/// Sends SOAP 1.2 requests (plain or MTOM) to a peer's IHE endpoints over mutual TLS, the peer's
/// certificate pinned by the trust list exactly as for the FHIR path; returns the response package,
/// or throws the peer's SOAP fault.
/// </summary>
public sealed class IheSoapClient : IDisposable
{
    private readonly NodeCredentials _credentials;
    private readonly Dictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeSpan _timeout;

    /// <summary>Creates the client. Requires the node's credentials.</summary>
    /// <param name="credentials">The TLS client certificate.</param>
    /// <param name="timeout">Per-request timeout; 10 s by default.</param>
    public IheSoapClient(NodeCredentials credentials, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        _credentials = credentials;
        _timeout = timeout ?? TimeSpan.FromSeconds(10);
    }

    /// <summary>POSTs <paramref name="envelope"/> (with <paramref name="attachments"/> as MTOM when any) to <paramref name="path"/> of <paramref name="member"/>.</summary>
    /// <param name="member">The peer.</param>
    /// <param name="path">The endpoint path (<see cref="IheEndpoints"/>).</param>
    /// <param name="envelope">The request envelope.</param>
    /// <param name="attachments">MTOM attachments, or empty.</param>
    /// <param name="action">The SOAP action.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ExchangeException">Transport failure (502/504).</exception>
    /// <exception cref="SoapFaultException">The peer answered with a fault.</exception>
    public async Task<(SoapPackage Package, SoapMessage Message)> SendAsync(FederationMember member, string path, XDocument envelope, IReadOnlyList<MtomAttachment> attachments,
        string action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(attachments);
        var (body, contentType) = attachments.Count > 0
            ? Mtom.Write(envelope, attachments, action)
            : (SafeXml.ToUtf8(envelope), $"{SoapEnvelope.MediaType}; charset=utf-8; action=\"{action}\"");
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        HttpResponseMessage response;
        try
        {
            response = await ClientFor(member).PostAsync(path, content, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ExchangeException(HttpStatusCode.GatewayTimeout, "timeout", $"the {member.Country} node did not answer within {_timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex)
        {
            throw new ExchangeException(HttpStatusCode.BadGateway, ex.HttpRequestError == HttpRequestError.SecureConnectionError ? "security" : "transient",
                ex.HttpRequestError == HttpRequestError.SecureConnectionError
                    ? $"mutual TLS with the {member.Country} node failed (certificate not as pinned in the trust list?)"
                    : $"the {member.Country} node is unreachable ({ex.HttpRequestError})");
        }

        using (response)
        {
            if (response.Content.Headers.ContentLength > FederationProtocol.MaxBodyBytes)
            {
                throw new ExchangeException(HttpStatusCode.BadGateway, "too-long", $"the {member.Country} node sent an oversized response");
            }

            var bytes = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            SoapPackage package;
            SoapMessage message;
            try
            {
                package = Mtom.Read(bytes, response.Content.Headers.ContentType?.ToString());
                message = SoapEnvelope.Read(package.Envelope);
            }
            catch (SoapFaultException ex)
            {
                throw new ExchangeException(HttpStatusCode.BadGateway, "structure", $"the {member.Country} node answered {(int)response.StatusCode} with no usable SOAP message: {ex.Message}");
            }

            if (SoapFaultException.TryRead(message.Payload) is { } fault)
            {
                throw fault;
            }

            return (package, message);
        }
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

            var client = FederationClient.CreatePinnedClient(_credentials, member);
            _clients[key] = client;
            return client;
        }
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
    }
}
