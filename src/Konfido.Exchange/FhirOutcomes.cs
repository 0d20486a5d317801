using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace Konfido.Exchange;

/// <summary>Builds FHIR OperationOutcomes for errors (never with stack traces or secrets).</summary>
public static class FhirOutcomes
{
    /// <summary>
    /// An OperationOutcome with one error issue. Requires an issue type code from
    /// http://hl7.org/fhir/issue-type (unknown codes become <c>processing</c>).
    /// </summary>
    public static OperationOutcome Error(string issueType, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var code = EnumUtility.ParseLiteral<OperationOutcome.IssueType>(issueType) ?? OperationOutcome.IssueType.Processing;
        return new OperationOutcome
        {
            Issue =
            [
                new OperationOutcome.IssueComponent
                {
                    Severity = OperationOutcome.IssueSeverity.Error,
                    Code = code,
                    Diagnostics = message,
                },
            ],
        };
    }

    /// <summary>The first issue's diagnostics if <paramref name="body"/> is a FHIR OperationOutcome (JSON), else null.</summary>
    /// <param name="body">A response body.</param>
    public static string? TryReadDiagnostics(ReadOnlySpan<byte> body)
    {
        try
        {
            return FhirJson.Parse<OperationOutcome>(body).Issue.FirstOrDefault()?.Diagnostics;
        }
        catch (FhirFormatException)
        {
            return null;
        }
    }

    /// <summary>As <see cref="TryReadDiagnostics(ReadOnlySpan{byte})"/> for text.</summary>
    /// <param name="body">A response body.</param>
    public static string? TryReadDiagnostics(string body) => TryReadDiagnostics(System.Text.Encoding.UTF8.GetBytes(body ?? string.Empty));
}
