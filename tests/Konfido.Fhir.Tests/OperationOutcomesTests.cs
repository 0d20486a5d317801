using Hl7.Fhir.Model;
using Konfido.Fhir;

namespace Konfido.Fhir.Tests;

public sealed class OperationOutcomesTests
{
    [Fact]
    public void Issues_become_operation_outcome_issues_with_severity_code_expression_and_diagnostics()
    {
        var outcome = OperationOutcomes.From(
        [
            ValidationIssue.Error(IssueCodes.NotFound, "Bundle.entry[0].resource.subject", "dangling"),
            new ValidationIssue(ValidationSeverity.Warning, IssueCodes.Informational, "", "fyi"),
        ]);
        Assert.Equal(2, outcome.Issue.Count);
        Assert.Equal(OperationOutcome.IssueSeverity.Error, outcome.Issue[0].Severity);
        Assert.Equal(OperationOutcome.IssueType.NotFound, outcome.Issue[0].Code);
        Assert.Equal(["Bundle.entry[0].resource.subject"], outcome.Issue[0].Expression);
        Assert.Equal("dangling", outcome.Issue[0].Diagnostics);
        Assert.Equal(OperationOutcome.IssueSeverity.Warning, outcome.Issue[1].Severity);
        Assert.Empty(outcome.Issue[1].Expression);
    }

    [Fact]
    public void Validation_issues_round_trip_through_an_operation_outcome()
    {
        var bundle = PatientSummaryBuilder.Build(SampleSummaries.Copd(), SampleSummaries.Timestamp);
        bundle.Identifier = null;
        ((Composition)bundle.Entry[0].Resource).Section.RemoveAt(0);
        var issues = IpsValidator.Validate(bundle).Issues;
        Assert.NotEmpty(issues);
        Assert.Equal(issues, OperationOutcomes.ToIssues(OperationOutcomes.From(issues)));
    }

    [Fact]
    public void An_empty_issue_list_is_an_all_ok_information_and_error_is_a_single_issue()
    {
        var ok = OperationOutcomes.From([]);
        Assert.Equal(OperationOutcome.IssueSeverity.Information, ok.Issue.Single().Severity);

        var error = OperationOutcomes.Error(IssueCodes.TooLong, "body over 1 MiB");
        Assert.Equal(OperationOutcome.IssueType.TooLong, error.Issue.Single().Code);
        Assert.Equal(OperationOutcome.IssueSeverity.Error, error.Issue.Single().Severity);
    }
}
