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
