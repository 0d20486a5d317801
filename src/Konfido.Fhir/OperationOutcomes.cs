using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace Konfido.Fhir;

/// <summary>Turns <see cref="ValidationIssue"/>s into FHIR <c>OperationOutcome</c> resources, as the node returns them.</summary>
public static class OperationOutcomes
{
    /// <summary>An OperationOutcome with one issue per <paramref name="issues"/> item (an "all ok" information issue if there is none).</summary>
    /// <param name="issues">The issues. Requires non-null.</param>
    public static OperationOutcome From(IEnumerable<ValidationIssue> issues)
    {
        ArgumentNullException.ThrowIfNull(issues);
        var outcome = new OperationOutcome();
        foreach (var issue in issues)
        {
            outcome.Issue.Add(ToComponent(issue));
        }

        if (outcome.Issue.Count == 0)
        {
            outcome.Issue.Add(ToComponent(new ValidationIssue(ValidationSeverity.Information, IssueCodes.Informational, "", "All OK")));
        }

        return outcome;
    }

    /// <summary>An OperationOutcome with a single error issue, for a rejected request.</summary>
    /// <param name="code">The FHIR issue-type code (see <see cref="IssueCodes"/>).</param>
    /// <param name="message">What is wrong, for a human.</param>
    /// <param name="location">Where, if the problem is in a resource; otherwise null.</param>
    public static OperationOutcome Error(string code, string message, string? location = null) =>
        From([ValidationIssue.Error(code, location ?? "", message)]);

    /// <summary>Reads the issues back from an OperationOutcome (unknown codes are kept as given).</summary>
    /// <param name="outcome">The outcome. Requires non-null.</param>
    public static IReadOnlyList<ValidationIssue> ToIssues(OperationOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.Issue.Select(i => new ValidationIssue(
            i.Severity switch
            {
                OperationOutcome.IssueSeverity.Fatal => ValidationSeverity.Fatal,
                OperationOutcome.IssueSeverity.Warning => ValidationSeverity.Warning,
                OperationOutcome.IssueSeverity.Information => ValidationSeverity.Information,
                _ => ValidationSeverity.Error,
            },
            i.Code?.GetLiteral() ?? IssueCodes.Exception,
            i.Expression?.FirstOrDefault() ?? "",
            i.Diagnostics ?? i.Details?.Text ?? "")).ToList();
    }

    private static OperationOutcome.IssueComponent ToComponent(ValidationIssue issue)
    {
        var component = new OperationOutcome.IssueComponent
        {
            Severity = issue.Severity switch
            {
                ValidationSeverity.Fatal => OperationOutcome.IssueSeverity.Fatal,
                ValidationSeverity.Error => OperationOutcome.IssueSeverity.Error,
                ValidationSeverity.Warning => OperationOutcome.IssueSeverity.Warning,
                _ => OperationOutcome.IssueSeverity.Information,
            },
            Code = EnumUtility.ParseLiteral<OperationOutcome.IssueType>(issue.Code) ?? OperationOutcome.IssueType.Processing,
            Diagnostics = issue.Message,
        };
        if (issue.Location.Length > 0)
        {
            component.Expression = [issue.Location];
        }

        return component;
    }
}
