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
}
