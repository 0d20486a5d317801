using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;

namespace Konfido.Sdk;

/// <summary>
/// How to reach a Konfido node, as the app or device writes it (validated by <see cref="KonfidoClient.Create"/>).
/// </summary>
public sealed record KonfidoClientOptions
{
    /// <summary>The base URL of the node's local API (HTTPS), e.g. <c>https://ncp.example.dk/</c>.</summary>
    public Uri? NodeUri { get; init; }

    /// <summary>
    /// The SHA-256 fingerprint (hex) of the node's TLS certificate, or of its TLS issuer (<see cref="PinnedTlsIssuer"/>): the client
    /// accepts exactly that certificate, or a short-lived one that issuer signed (certificate pinning, as a device provisioned with
    /// its node). Null uses the platform's certificate validation.
    /// </summary>
    public string? PinnedCertificateSha256 { get; init; }

    /// <summary>
    /// The node's TLS issuer certificate (base64 DER), as the federation trust list lists it (<c>tlsIssuer</c>; its key is in the
    /// node's custody and the node's TLS certificates are short-lived and renewed): with it, <see cref="PinnedCertificateSha256"/>
    /// is the issuer's fingerprint and the client accepts the certificates it issues, valid at most 8 days. Requires the pin.
    /// </summary>
    public string? PinnedTlsIssuer { get; init; }

    /// <summary>The timeout of one HTTP request (default 60 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Wraps the client's HTTP handler (logging, a proxy, fault injection in tests), or null.</summary>
    public Func<HttpMessageHandler, HttpMessageHandler>? WrapHandler { get; init; }
}

/// <summary>
/// The connection to one Konfido node: the entry point of the SDK. Thread-safe; dispose it when done.
/// Devices use <see cref="Devices"/>; patients' apps use <see cref="Patient"/>; operators (a health
/// professional's session) enrol devices and run the analytics through <see cref="Operator"/>.
/// </summary>
public sealed partial class KonfidoClient : IDisposable
{
    /// <summary>The version of the node API this SDK speaks (the device API lives under <c>/devices/v1</c>).</summary>
    public const string ApiVersion = "v1";

    /// <summary>The header that carries a device session id.</summary>
    public const string DeviceSessionHeader = "X-Konfido-Device-Session";

    private readonly HttpClient _http;

    private KonfidoClient(HttpClient http, Uri nodeUri)
    {
        _http = http;
        NodeUri = nodeUri;
    }

    /// <summary>The node's local API base URL.</summary>
    public Uri NodeUri { get; }

    /// <summary>The device side: authentication, programs, uploads.</summary>
    public DeviceApi Devices => new(this);

    /// <summary>
    /// Validates <paramref name="options"/> and connects (lazily: nothing is sent yet). Throws
    /// <see cref="ArgumentException"/> naming every problem: no URL, not HTTPS, a fingerprint that is not
    /// 64 hex digits, a non-positive timeout.
    /// </summary>
    /// <param name="options">The options.</param>
    public static KonfidoClient Create(KonfidoClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (options.NodeUri is not { IsAbsoluteUri: true } uri || uri.Scheme != Uri.UriSchemeHttps)
        {
            problems.Add("NodeUri must be an absolute https:// URL");
        }

        byte[]? pin = null;
        if (options.PinnedCertificateSha256 is { } fingerprint)
        {
            var hex = fingerprint.Replace(":", string.Empty, StringComparison.Ordinal).Trim();
            if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
            {
                problems.Add("PinnedCertificateSha256 must be 64 hex digits (SHA-256 of the DER certificate)");
            }
            else
            {
                pin = Convert.FromHexString(hex);
            }
        }

        X509Certificate2? issuer = null;
        if (options.PinnedTlsIssuer is { } issuerText)
        {
            try
            {
                issuer = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(issuerText));
            }
            catch (Exception ex) when (ex is FormatException or CryptographicException)
            {
                problems.Add("PinnedTlsIssuer must be a base64 DER certificate");
            }

            if (issuer is not null && (pin is null || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(issuer.RawData), pin)))
            {
                problems.Add("PinnedTlsIssuer needs PinnedCertificateSha256 set to its SHA-256 (as the trust list pins it)");
            }
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            problems.Add("RequestTimeout must be positive");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid Konfido client options: " + string.Join("; ", problems), nameof(options));
        }

        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (pin is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                    certificate is X509Certificate2 c && (CryptographicOperations.FixedTimeEquals(SHA256.HashData(c.RawData), pin) || (issuer is not null && Core.IssuedCertificates.IsIssuedBy(c, issuer, DateTimeOffset.UtcNow))),
            };
        }

        HttpMessageHandler outer = options.WrapHandler?.Invoke(handler) ?? handler;
        var baseUri = options.NodeUri!.AbsoluteUri.EndsWith('/') ? options.NodeUri : new Uri(options.NodeUri.AbsoluteUri + "/");
        var http = new HttpClient(outer, disposeHandler: true) { BaseAddress = baseUri, Timeout = options.RequestTimeout };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Konfido.Sdk", typeof(KonfidoClient).Assembly.GetName().Version?.ToString(3) ?? "1.0.0"));
        return new KonfidoClient(http, baseUri);
    }

    /// <summary>The patient's own data, acting with their eID session token (see <see cref="LoginWithTestEidasAsync"/>).</summary>
    /// <param name="sessionToken">The citizen's session token from the node's eIDAS login.</param>
    public PatientClient Patient(string sessionToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionToken);
        return new PatientClient(this, sessionToken);
    }

    /// <summary>Operator functions (device enrolment, analytics programs), acting with a health professional's session token.</summary>
    /// <param name="sessionToken">The professional's session token from the node's eIDAS login.</param>
    public OperatorClient Operator(string sessionToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionToken);
        return new OperatorClient(this, sessionToken);
    }

    /// <summary>
    /// Logs <paramref name="personIdentifier"/> in through the node's embedded <em>test</em> eIDAS node (demos and
    /// tests only: a real app opens the eIDAS login in the user's browser and receives the token) and returns
    /// the session token. Throws <see cref="KonfidoApiException"/> if the node refuses.
    /// </summary>
    /// <param name="personIdentifier">The eIDAS PersonIdentifier, e.g. <c>DK/DK/120356-1233</c>.</param>
    /// <param name="levelOfAssurance"><c>low</c>, <c>substantial</c>, <c>high</c>, or null for the node's default.</param>
    /// <param name="cancellationToken">Cancels the login.</param>
    public async Task<string> LoginWithTestEidasAsync(string personIdentifier, string? levelOfAssurance = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(personIdentifier);
        var start = await SendAsync(HttpMethod.Get, levelOfAssurance is null ? "eid/login" : $"eid/login?loa={Uri.EscapeDataString(levelOfAssurance)}", null, null, cancellationToken).ConfigureAwait(false);
        var (idp, fields) = ReadForm(start, "the eID login page");
        fields["person"] = personIdentifier;
        var answer = await SendAsync(HttpMethod.Post, idp, new FormUrlEncodedContent(fields), null, cancellationToken).ConfigureAwait(false);
        var (acs, response) = ReadForm(answer, "the test eIDAS node");
        var session = await SendAsync(HttpMethod.Post, acs, new FormUrlEncodedContent(response), null, cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(session);
        return document.RootElement.TryGetProperty("session", out var token) && token.GetString() is { Length: > 0 } value
            ? value
            : throw new KonfidoApiException(HttpStatusCode.OK, "login", "the assertion consumer answered no session token");
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    internal async Task<T> GetJsonAsync<T>(string path, string? bearer, JsonTypeInfo<T> type, CancellationToken cancellationToken, string? deviceSession = null)
    {
        var text = await SendAsync(HttpMethod.Get, path, null, bearer, cancellationToken, deviceSession).ConfigureAwait(false);
        return Deserialize(text, type, path);
    }

    internal async Task<TResponse> PostJsonAsync<TRequest, TResponse>(string path, TRequest body, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType,
        string? bearer, CancellationToken cancellationToken)
    {
        using var content = new StringContent(JsonSerializer.Serialize(body, requestType), Encoding.UTF8, "application/json");
        var text = await SendAsync(HttpMethod.Post, path, content, bearer, cancellationToken).ConfigureAwait(false);
        return Deserialize(text, responseType, path);
    }

    /// <summary>Sends a request; the body text of a success, or a <see cref="KonfidoApiException"/> with the node's reason.</summary>
    internal async Task<string> SendAsync(HttpMethod method, string path, HttpContent? content, string? bearer, CancellationToken cancellationToken,
        string? deviceSession = null, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (deviceSession is not null)
        {
            request.Headers.Add(DeviceSessionHeader, deviceSession);
        }

        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.Add(name, value);
        }

        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw KonfidoApiException.FromResponse(response.StatusCode, text);
        }

        return text;
    }

    internal static T Deserialize<T>(string text, JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(text, type) ?? throw new KonfidoApiException(HttpStatusCode.OK, "structure", $"{what}: the node answered null");
        }
        catch (JsonException ex)
        {
            throw new KonfidoApiException(HttpStatusCode.OK, "structure", $"{what}: the node's answer does not parse: {ex.Message}");
        }
    }

    // The embedded test eIDAS node and the SP answer with auto-posting HTML forms (SAML HTTP-POST binding).
    private static (string Action, Dictionary<string, string> Fields) ReadForm(string html, string what)
    {
        var action = FormAction().Match(html);
        if (!action.Success)
        {
            throw new KonfidoApiException(HttpStatusCode.OK, "structure", $"{what} sent no form");
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match input in HiddenInput().Matches(html))
        {
            fields[WebUtility.HtmlDecode(input.Groups["name"].Value)] = WebUtility.HtmlDecode(input.Groups["value"].Value);
        }

        return (WebUtility.HtmlDecode(action.Groups["action"].Value), fields);
    }

    [GeneratedRegex("<form[^>]*\\baction=\"(?<action>[^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex FormAction();

    [GeneratedRegex("<input[^>]*\\btype=\"hidden\"[^>]*\\bname=\"(?<name>[^\"]*)\"[^>]*\\bvalue=\"(?<value>[^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex HiddenInput();
}
