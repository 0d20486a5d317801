using System.Net;
using System.Text.Json;

namespace Konfido.Sdk;

/// <summary>
/// The node refused a request or answered something the SDK cannot read: the HTTP status, the node's
/// issue code (FHIR OperationOutcome <c>code</c>, or the device API's <c>failure</c>) and its reason.
/// </summary>
public sealed class KonfidoApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="code">The node's issue code.</param>
    /// <param name="message">The node's reason.</param>
    public KonfidoApiException(HttpStatusCode status, string code, string message)
        : base(message)
    {
        Status = status;
        Code = code;
    }

    /// <summary>Creates an exception with no status (for serialisers).</summary>
    public KonfidoApiException()
        : this(HttpStatusCode.InternalServerError, "exception", "the node refused the request")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">The reason.</param>
    public KonfidoApiException(string message)
        : this(HttpStatusCode.InternalServerError, "exception", message)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">The reason.</param>
    /// <param name="innerException">The cause.</param>
    public KonfidoApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = HttpStatusCode.InternalServerError;
        Code = "exception";
    }

    /// <summary>The HTTP status the node answered.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>The node's issue code (e.g. <c>forbidden</c>, <c>login</c>, <c>ResponseMismatch</c>).</summary>
    public string Code { get; }

    /// <summary>Whether retrying the same request later may succeed (timeouts, 5xx, 429, 408).</summary>
    public bool IsTransient => (int)Status >= 500 || Status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;

    internal static KonfidoApiException FromResponse(HttpStatusCode status, string body)
    {
        var code = "http-" + ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var message = $"the node answered {(int)status} {status}";
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("failure", out var failure) && failure.ValueKind == JsonValueKind.String)
            {
                code = failure.GetString()!;
                message = root.TryGetProperty("detail", out var detail) ? detail.GetString() ?? message : message;
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("issue", out var issues) && issues.ValueKind == JsonValueKind.Array && issues.GetArrayLength() > 0)
            {
                var issue = issues[0];
                code = issue.TryGetProperty("code", out var c) ? c.GetString() ?? code : code;
                message = issue.TryGetProperty("diagnostics", out var d) ? d.GetString() ?? message : message;
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's page): keep the status line.
        }

        return new KonfidoApiException(status, code, message);
    }
}
