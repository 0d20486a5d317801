using System.Net;
using Konfido.Exchange;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Konfido.Node;

/// <summary>
/// Turns every failure into a signed FHIR OperationOutcome with the right status: exchange errors
/// keep theirs, malformed FHIR is 400, an oversized body 413, anything unexpected 500 with a
/// correlation id (the details go to the node's log, never to the client).
/// </summary>
internal sealed class NodeErrorResponder(NodeCredentials credentials, ILogger logger)
{
    public async Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
            if (context.Response is { StatusCode: 404, HasStarted: false } && context.GetEndpoint() is null)
            {
                await WriteAsync(context, HttpStatusCode.NotFound, "not-supported", $"no such endpoint: {context.Request.Method} {context.Request.Path}").ConfigureAwait(false);
            }
            else if (context.Response is { StatusCode: 405, HasStarted: false })
            {
                await WriteAsync(context, HttpStatusCode.MethodNotAllowed, "not-supported", $"{context.Request.Method} is not allowed on {context.Request.Path}").ConfigureAwait(false);
            }
        }
        catch (ExchangeException ex)
        {
            await WriteAsync(context, ex.Status, ex.IssueType, ex.Message).ConfigureAwait(false);
        }
        catch (FhirFormatException ex)
        {
            await WriteAsync(context, HttpStatusCode.BadRequest, "structure", ex.Message).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteAsync(context, HttpStatusCode.RequestEntityTooLarge, "too-long", $"the request body exceeds {KonfidoNode.MaxRequestBodyBytes} bytes").ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex)
        {
            await WriteAsync(context, (HttpStatusCode)ex.StatusCode, "invalid", ex.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception ex)
        {
            var correlation = Guid.NewGuid().ToString("N")[..12];
            logger.LogError(ex, "Unhandled error {Correlation} on {Method} {Path}", correlation, context.Request.Method, context.Request.Path);
            await WriteAsync(context, HttpStatusCode.InternalServerError, "exception", $"internal error (correlation id {correlation}; details are in the node log)").ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(HttpContext context, HttpStatusCode status, string issueType, string message)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        var body = FhirJson.Serialize(FhirOutcomes.Error(issueType, message));
        context.Response.Clear();
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = FhirJson.MediaType;
        context.Response.Headers[FederationProtocol.SignatureHeader] = DetachedJws.Sign(body, credentials.SigningKey, credentials.Country);
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }
}
