using System.Net;

namespace Konfido.Exchange;

/// <summary>
/// A cross-border request that cannot be served, with the HTTP status and FHIR issue type
/// (http://hl7.org/fhir/issue-type) the node reports in its OperationOutcome.
/// </summary>
public sealed class ExchangeException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The HTTP status to answer with.</param>
    /// <param name="issueType">The FHIR issue type code (e.g. <c>not-found</c>, <c>security</c>, <c>timeout</c>).</param>
    /// <param name="message">A message a client can act on; never contains secrets or stack traces.</param>
    public ExchangeException(HttpStatusCode status, string issueType, string message) : base(message)
    {
        Status = status;
        IssueType = issueType;
    }

    /// <summary>Creates the exception with its cause.</summary>
    public ExchangeException(HttpStatusCode status, string issueType, string message, Exception inner) : base(message, inner)
    {
        Status = status;
        IssueType = issueType;
    }

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>The FHIR issue type code.</summary>
    public string IssueType { get; }
}
