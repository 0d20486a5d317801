namespace Konfido.Fhir;

/// <summary>How serious a <see cref="ValidationIssue"/> is (FHIR <c>OperationOutcome.issue.severity</c>).</summary>
public enum ValidationSeverity
{
    /// <summary>Processing could not go on at all.</summary>
    Fatal,

    /// <summary>The resource breaks a rule; it is not valid.</summary>
    Error,

    /// <summary>Worth attention, but the resource stays valid.</summary>
    Warning,

    /// <summary>For information only.</summary>
    Information,
}

/// <summary>
/// One finding about a FHIR resource: severity, FHIR issue-type code (e.g. <c>structure</c>, <c>required</c>,
/// <c>invalid</c>, <c>not-found</c>), a FHIRPath-style location (e.g. <c>Bundle.entry[0].resource</c>) and a message.
/// </summary>
/// <param name="Severity">How serious it is.</param>
/// <param name="Code">The FHIR issue-type code (see <see cref="IssueCodes"/>).</param>
/// <param name="Location">Where, as a FHIRPath-style expression; empty for the input as a whole.</param>
/// <param name="Message">What is wrong, for a human.</param>
public sealed record ValidationIssue(ValidationSeverity Severity, string Code, string Location, string Message)
{
    /// <summary>The severity as its FHIR code: <c>fatal</c>, <c>error</c>, <c>warning</c> or <c>information</c>.</summary>
    public string SeverityCode => Severity switch
    {
        ValidationSeverity.Fatal => "fatal",
        ValidationSeverity.Error => "error",
        ValidationSeverity.Warning => "warning",
        _ => "information",
    };

    /// <summary>True for <see cref="ValidationSeverity.Fatal"/> and <see cref="ValidationSeverity.Error"/>.</summary>
    public bool IsError => Severity is ValidationSeverity.Fatal or ValidationSeverity.Error;

    /// <summary>An error issue.</summary>
    public static ValidationIssue Error(string code, string location, string message) => new(ValidationSeverity.Error, code, location, message);

    /// <inheritdoc />
    public override string ToString() => $"{SeverityCode} [{Code}] {(Location.Length == 0 ? "(input)" : Location)}: {Message}";
}

/// <summary>The FHIR issue-type codes (http://hl7.org/fhir/issue-type) Konfido reports.</summary>
public static class IssueCodes
{
    /// <summary>Structural issue in the content (wrong element, wrong order, not FHIR at all).</summary>
    public const string Structure = "structure";

    /// <summary>A required element is missing.</summary>
    public const string Required = "required";

    /// <summary>Content invalid against the specification or a profile.</summary>
    public const string Invalid = "invalid";

    /// <summary>An element value is invalid (wrong literal).</summary>
    public const string Value = "value";

    /// <summary>A reference could not be resolved.</summary>
    public const string NotFound = "not-found";

    /// <summary>A business rule was broken (e.g. a prescription already dispensed).</summary>
    public const string BusinessRule = "business-rule";

    /// <summary>The content is too long (e.g. an oversized body).</summary>
    public const string TooLong = "too-long";

    /// <summary>The request timed out.</summary>
    public const string Timeout = "timeout";

    /// <summary>Access was denied (security).</summary>
    public const string Security = "security";

    /// <summary>The operation is not supported.</summary>
    public const string NotSupported = "not-supported";

    /// <summary>An unexpected internal error.</summary>
    public const string Exception = "exception";

    /// <summary>Something the reader may want to know; not a problem.</summary>
    public const string Informational = "informational";
}
