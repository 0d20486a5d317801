using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Konfido.Fhir;

namespace Konfido.Fhir.Tests;

/// <summary>The published HL7 IPS example (Vectors/README.md names its source) is valid under our rules.</summary>
public sealed class IpsVectorTests
{
    private static string Vector(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", name));

    [Fact]
    public void Hl7_ips_bundle_minimal_validates_as_published()
    {
        var result = IpsValidator.Validate(Vector("bundle-minimal.json"));
        Assert.True(result.IsValid, string.Join("\n", result.Issues));
        Assert.True(result.IsPatientSummary);
        Assert.Equal(FhirFormat.Json, result.Format);
        var bundle = Assert.IsType<Bundle>(result.Resource);
        Assert.Equal("bundle-minimal", bundle.Id);
        Assert.Equal(8, bundle.Entry.Count);
    }

    [Fact]
    public void Hl7_ips_examples_bundle_01_validates_as_published_xml()
    {
        var result = IpsValidator.Validate(Vector("IPS-bundle-01.xml"));
        Assert.True(result.IsValid, string.Join("\n", result.Issues));
        Assert.True(result.IsPatientSummary);
        Assert.Equal(FhirFormat.Xml, result.Format);
        var bundle = Assert.IsType<Bundle>(result.Resource);
        Assert.Equal("IPS-examples-Bundle-01", bundle.Id);
        Assert.Equal(20, bundle.Entry.Count);
        Assert.Equal(6, ((Composition)bundle.Entry[0].Resource).Section.Count);
    }

    [Fact]
    public void Hl7_ips_examples_bundle_01_with_a_dangling_observation_member_fails()
    {
        var bundle = (Bundle)FhirResourceParser.Parse(Vector("IPS-bundle-01.xml")).Resource!;
        var bloodTyping = bundle.Entry.FindIndex(e => e.Resource is Observation { Id: "2639657a-c19a-48e2-82cc-471e13b8ad94" });
        bundle.Entry.RemoveAll(e => e.Resource is Observation { Id: "aa11a2be-3e36-4be7-b58a-6fc3dace2741" });
        var result = IpsValidator.Validate(bundle.ToXml());
        Assert.False(result.IsValid);
        Assert.Contains(result.Issues, i => i.Code == IssueCodes.NotFound && i.Location == $"Bundle.entry[{bloodTyping - 1}].resource.hasMember[0]");
    }

    [Fact]
    public void Hl7_ips_bundle_minimal_validates_after_conversion_to_xml()
    {
        var bundle = (Bundle)FhirResourceParser.Parse(Vector("bundle-minimal.json")).Resource!;
        var result = IpsValidator.Validate(bundle.ToXml());
        Assert.True(result.IsValid, string.Join("\n", result.Issues));
        Assert.Equal(FhirFormat.Xml, result.Format);
    }

    [Fact]
    public void Hl7_ips_bundle_minimal_without_its_allergy_section_fails()
    {
        var bundle = (Bundle)FhirResourceParser.Parse(Vector("bundle-minimal.json")).Resource!;
        ((Composition)bundle.Entry[0].Resource).Section.RemoveAt(2);
        var result = IpsValidator.Validate(bundle.ToJson());
        Assert.False(result.IsValid);
        Assert.Contains(result.Issues, i => i.Code == IssueCodes.Required && i.Message.Contains(IpsCodes.AllergiesSection, StringComparison.Ordinal));
    }
}
