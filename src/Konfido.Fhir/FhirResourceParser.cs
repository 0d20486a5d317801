using System.Text.Json;
using System.Xml;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using Hl7.Fhir.Validation;

namespace Konfido.Fhir;

/// <summary>The serialisation of a FHIR text.</summary>
public enum FhirFormat
{
    /// <summary>Neither JSON nor XML.</summary>
    Unknown,

    /// <summary>FHIR JSON (first non-whitespace character <c>{</c>).</summary>
    Json,

    /// <summary>FHIR XML (first non-whitespace character <c>&lt;</c>).</summary>
    Xml,
}

/// <summary>The outcome of <see cref="FhirResourceParser.Parse"/>.</summary>
/// <param name="Resource">The parsed resource (possibly incomplete when there are errors), or null if the text is not a FHIR resource at all.</param>
/// <param name="Format">The detected format.</param>
/// <param name="Issues">What the FHIR R4 deserialiser found (unknown elements, wrong literals, cardinality), or why the text is not FHIR.</param>
public sealed record FhirParseResult(Resource? Resource, FhirFormat Format, IReadOnlyList<ValidationIssue> Issues)
{
    /// <summary>True if the text is a FHIR R4 resource of a known type (it may still carry errors).</summary>
    public bool IsWellFormed => Resource is not null;

    /// <summary>True if the text is a well-formed FHIR resource with no error-level issue.</summary>
    public bool IsValid => IsWellFormed && !Issues.Any(i => i.IsError);
}

/// <summary>
/// Parses FHIR R4 JSON or XML with the Firely SDK deserialisers (<c>FhirJsonDeserializer</c>,
/// <c>FhirXmlDeserializer</c>; the older <c>FhirJsonParser</c>/<c>FhirXmlParser</c> are obsolete in SDK 6).
/// The format is detected from the first non-whitespace character. Bad input never throws: text that is not
/// JSON/XML or not a known resource comes back with a null <see cref="FhirParseResult.Resource"/> and an issue;
/// content errors (unknown elements, bad literals, missing mandatory elements) come back as issues next to the
/// partially parsed resource. XML is read with DTDs prohibited and no external resolver.
/// </summary>
public static class FhirResourceParser
{
    private static readonly FhirJsonDeserializer Json = new(new DeserializerSettings());
    private static readonly FhirXmlDeserializer Xml = new(new DeserializerSettings());

    /// <summary>Detects the format from the first non-whitespace character (a byte-order mark is skipped).</summary>
    /// <param name="text">The text. Requires non-null.</param>
    public static FhirFormat DetectFormat(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || c == '\uFEFF')
            {
                continue;
            }

            return c switch
            {
                '{' => FhirFormat.Json,
                '<' => FhirFormat.Xml,
                _ => FhirFormat.Unknown,
            };
        }

        return FhirFormat.Unknown;
    }

    /// <summary>Parses a FHIR R4 resource from JSON or XML text.</summary>
    /// <param name="text">The text. Requires non-null.</param>
    public static FhirParseResult Parse(string text)
    {
        var format = DetectFormat(text);
        Resource? resource;
        IEnumerable<CodedException> errors;
        try
        {
            switch (format)
            {
                case FhirFormat.Json:
                    Json.TryDeserializeResource(text.TrimStart('\uFEFF'), out resource, out errors);
                    break;
                case FhirFormat.Xml:
                    using (var reader = XmlReader.Create(new StringReader(text.TrimStart('\uFEFF')), SafeXml()))
                    {
                        Xml.TryDeserializeResource(reader, out resource, out errors);
                    }

                    break;
                default:
                    return Malformed(format, text.Trim().Length == 0
                        ? "the input is empty"
                        : "the input is neither FHIR JSON (starting with '{') nor FHIR XML (starting with '<')");
            }
        }
        catch (JsonException ex)
        {
            return Malformed(format, "not well-formed JSON: " + ex.Message);
        }
        catch (XmlException ex)
        {
            return Malformed(format, "not well-formed XML: " + ex.Message);
        }
        catch (Exception ex) when (IsParserFailure(ex))
        {
            return Malformed(format, $"not a FHIR {format.ToString().ToUpperInvariant()} resource: {ex.Message}");
        }

        var issues = errors.Select(ToIssue).ToList();
        if (resource is null || !ModelInfo.IsKnownResource(resource.TypeName))
        {
            var why = issues.FirstOrDefault()?.Message ?? "no FHIR resource found";
            return Malformed(format, $"not a FHIR R4 resource: {why}");
        }

        return new FhirParseResult(resource, format, issues);
    }

    /// <summary>
    /// Exceptions the Firely deserialisers throw for some damaged input instead of reporting an issue (seen with
    /// fuzzed input: IndexOutOfRangeException from the JSON deserialiser in SDK 6.8). They mean "not parseable",
    /// never a Konfido defect, so they become a result.
    /// </summary>
    internal static bool IsParserFailure(Exception ex) =>
        ex is InvalidOperationException or FormatException or ArgumentException or NotSupportedException or IndexOutOfRangeException
            or InvalidCastException or OverflowException or KeyNotFoundException or NullReferenceException or CodedException;

    private static FhirParseResult Malformed(FhirFormat format, string message) =>
        new(null, format, [new ValidationIssue(ValidationSeverity.Fatal, IssueCodes.Structure, "", message)]);

    private static XmlReaderSettings SafeXml() => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
    };

    private static ValidationIssue ToIssue(CodedException error)
    {
        if (error is CodedValidationException v)
        {
            var severity = v.IssueSeverity switch
            {
                OperationOutcome.IssueSeverity.Fatal => ValidationSeverity.Fatal,
                OperationOutcome.IssueSeverity.Warning => ValidationSeverity.Warning,
                OperationOutcome.IssueSeverity.Information => ValidationSeverity.Information,
                _ => ValidationSeverity.Error,
            };
            var message = v.BaseErrorMessage ?? v.Message;
            if (v.LineNumber is { } line && v.BaseErrorMessage is not null)
            {
                message += v.Position is { } position ? $" (line {line}, position {position})" : $" (line {line})";
            }

            return new ValidationIssue(severity, v.IssueType.GetLiteral() ?? IssueCodes.Structure, v.InstancePath ?? "", message);
        }

        return ValidationIssue.Error(IssueCodes.Structure, "", error.Message);
    }
}
