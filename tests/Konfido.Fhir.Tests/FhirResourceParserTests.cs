using Hl7.Fhir.Model;
using Konfido.Fhir;

namespace Konfido.Fhir.Tests;

public sealed class FhirResourceParserTests
{
    [Theory]
    [InlineData("{\"resourceType\":\"Patient\"}", FhirFormat.Json)]
    [InlineData("  \n\t{}", FhirFormat.Json)]
    [InlineData("\uFEFF<Patient/>", FhirFormat.Xml)]
    [InlineData("hello", FhirFormat.Unknown)]
    [InlineData("[1,2]", FhirFormat.Unknown)]
    [InlineData("   ", FhirFormat.Unknown)]
    public void Detects_the_format_from_the_first_non_whitespace_character(string text, FhirFormat expected) =>
        Assert.Equal(expected, FhirResourceParser.DetectFormat(text));

    [Theory]
    [InlineData("")]
    [InlineData("this is not FHIR")]
    [InlineData("[{\"resourceType\":\"Patient\"}]")]
    [InlineData("{\"resourceType\": \"Patient\", ")]
    [InlineData("{bad json}")]
    [InlineData("<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"x\"/>")]
    [InlineData("<html><body/></html>")]
    [InlineData("{\"resourceType\":\"NoSuchResource\",\"id\":\"x\"}")]
    [InlineData("{\"id\":\"x\"}")]
    public void Text_that_is_not_a_fhir_resource_is_a_result_not_an_exception(string text)
    {
        var parsed = FhirResourceParser.Parse(text);
        Assert.False(parsed.IsWellFormed);
        var issue = Assert.Single(parsed.Issues);
        Assert.Equal(ValidationSeverity.Fatal, issue.Severity);
        Assert.Equal(IssueCodes.Structure, issue.Code);

        var validated = IpsValidator.Validate(text);
        Assert.False(validated.IsValid);
        Assert.False(validated.IsWellFormed);
    }

    [Fact]
    public void Xml_with_a_dtd_is_refused_without_expanding_entities()
    {
        const string xxe = "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&x;\"/></Patient>";
        var parsed = FhirResourceParser.Parse(xxe);
        Assert.False(parsed.IsWellFormed);
        Assert.Contains("XML", parsed.Issues.Single().Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"resourceType\":\"Patient\",\"foo\":1}", "Patient.foo")]
    [InlineData("<Patient xmlns=\"http://hl7.org/fhir\"><foo value=\"1\"/></Patient>", "Patient.foo")]
    [InlineData("{\"resourceType\":\"Patient\",\"birthDate\":\"yesterday\"}", "Patient.birthDate")]
    public void Fhir_content_errors_are_issues_next_to_the_parsed_resource(string text, string location)
    {
        var parsed = FhirResourceParser.Parse(text);
        Assert.True(parsed.IsWellFormed);
        Assert.IsType<Patient>(parsed.Resource);
        Assert.False(parsed.IsValid);
        Assert.Contains(parsed.Issues, i => i.IsError && i.Location == location && i.Message.Contains("(line ", StringComparison.Ordinal));

        var validated = IpsValidator.Validate(text);
        Assert.True(validated.IsWellFormed);
        Assert.False(validated.IsValid);
    }

    [Fact]
    public void Missing_mandatory_elements_of_a_composition_are_reported_at_their_location()
    {
        const string text = "{\"resourceType\":\"Bundle\",\"type\":\"document\",\"entry\":[{\"fullUrl\":\"urn:uuid:1\",\"resource\":{\"resourceType\":\"Composition\",\"type\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"60591-5\"}]}}}]}";
        var result = IpsValidator.Validate(text);
        Assert.True(result.IsPatientSummary);
        Assert.Contains(result.Issues, i => i.Location == "Bundle.entry[0].resource.status" && i.IsError);
        Assert.Contains(result.Issues, i => i.Location == "Bundle.identifier" && i.Code == IssueCodes.Required);
    }
}
