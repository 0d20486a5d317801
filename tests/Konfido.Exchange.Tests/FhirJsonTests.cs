using System.Text;
using Hl7.Fhir.Model;

namespace Konfido.Exchange.Tests;

public sealed class FhirJsonTests
{
    [Fact]
    public void Resources_round_trip()
    {
        var patient = new Patient { Id = "p1", Name = [new HumanName { Family = "Jensen", Given = ["Lars"] }] };
        var parsed = FhirJson.Parse<Patient>(FhirJson.Serialize(patient));
        Assert.Equal("Jensen", parsed.Name[0].Family);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("null")]
    [InlineData("{\"resourceType\":\"NoSuchType\"}")]
    [InlineData("{\"resourceType\":\"Patient\",\"birthDate\":\"not a date\"}")]
    [InlineData("{\"resourceType\":\"Patient\"}")]
    public void Malformed_or_wrong_bodies_raise_a_format_error_for_a_dispense(string json)
    {
        var ex = Assert.Throws<FhirFormatException>(() => FhirJson.Parse<MedicationDispense>(Encoding.UTF8.GetBytes(json)));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }
}
