using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Konfido.Fhir;

namespace Konfido.Fhir.Tests;

public sealed class PatientSummaryBuilderTests
{
    private static Bundle Build() => PatientSummaryBuilder.Build(SampleSummaries.Copd(), SampleSummaries.Timestamp, SampleSummaries.DocumentId);

    [Fact]
    public void Builds_a_document_bundle_with_identifier_and_timestamp()
    {
        var bundle = Build();
        Assert.Equal(Bundle.BundleType.Document, bundle.Type);
        Assert.Equal("urn:uuid:" + SampleSummaries.DocumentId, bundle.Identifier.Value);
        Assert.Equal(SampleSummaries.Timestamp, bundle.Timestamp);
        Assert.Contains(FhirSystems.IpsBundleProfile, bundle.Meta.Profile);
    }

    [Fact]
    public void First_entry_is_a_final_ips_composition_with_the_three_sections_in_narrative()
    {
        var composition = Assert.IsType<Composition>(Build().Entry[0].Resource);
        Assert.Equal(CompositionStatus.Final, composition.Status);
        Assert.Equal(IpsCodes.PatientSummaryDocument, composition.Type.Coding.Single().Code);
        Assert.Equal("Patient summary Document", composition.Type.Coding.Single().Display);
        Assert.All(composition.Section, s => Assert.False(string.IsNullOrEmpty(s.Code.Coding.Single().Display)));
        Assert.Equal(FhirSystems.Loinc, composition.Type.Coding.Single().System);
        Assert.Equal("2026-03-14T09:30:00+01:00", composition.Date);
        Assert.NotEmpty(composition.Title);
        Assert.Single(composition.Author);
        Assert.Equal([IpsCodes.ProblemsSection, IpsCodes.AllergiesSection, IpsCodes.MedicationsSection],
            composition.Section.Select(s => s.Code.Coding.Single().Code));
        Assert.All(composition.Section, s => Assert.StartsWith("<div xmlns=\"http://www.w3.org/1999/xhtml\">", s.Text.Div, StringComparison.Ordinal));
        Assert.Equal([2, 1, 2], composition.Section.Select(s => s.Entry.Count));
        Assert.Contains("salmeterol and fluticasone", composition.Section[2].Text.Div, StringComparison.Ordinal);
    }

    [Fact]
    public void Holds_one_patient_with_the_national_identifier_and_the_coded_clinical_resources()
    {
        var bundle = Build();
        var patient = Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<Patient>());
        Assert.Equal("120356-1237", patient.Identifier.Single().Value);
        Assert.Equal("urn:oid:1.2.208.176.1.2", patient.Identifier.Single().System);
        Assert.Equal("1956-03-12", patient.BirthDate);

        var copd = bundle.Entry.Select(e => e.Resource).OfType<Condition>().First();
        Assert.Contains(copd.Code.Coding, c => c.System == FhirSystems.Snomed && c.Code == "13645005");
        Assert.Contains(copd.Code.Coding, c => c.System == FhirSystems.Icd10 && c.Code == "J44.9");

        var medications = bundle.Entry.Select(e => e.Resource).OfType<Medication>().ToList();
        Assert.Contains(medications, m => m.Code.Coding.Single() is { System: FhirSystems.Atc, Code: "R03AK06" });
        Assert.Equal(2, bundle.Entry.Select(e => e.Resource).OfType<MedicationStatement>().Count());
        Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<AllergyIntolerance>());
        Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<Practitioner>());
        Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<Organization>());
    }

    [Fact]
    public void Timestamp_and_composition_date_are_the_same_whole_second()
    {
        var at = new DateTimeOffset(2026, 11, 23, 20, 36, 20, TimeSpan.Zero).AddTicks(8532073);
        var bundle = PatientSummaryBuilder.Build(SampleSummaries.Copd(), at);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 20, 36, 20, TimeSpan.Zero), bundle.Timestamp);
        Assert.Equal("2026-11-23T20:36:20+00:00", ((Composition)bundle.Entry[0].Resource).Date);
    }

    [Fact]
    public void Every_entry_has_a_unique_urn_uuid_full_url_matching_its_id()
    {
        var bundle = Build();
        Assert.All(bundle.Entry, e =>
        {
            Assert.StartsWith("urn:uuid:", e.FullUrl, StringComparison.Ordinal);
            Assert.True(Guid.TryParse(e.FullUrl["urn:uuid:".Length..], out _));
            Assert.Equal("urn:uuid:" + e.Resource.Id, e.FullUrl);
        });
        Assert.Equal(bundle.Entry.Count, bundle.Entry.Select(e => e.FullUrl).Distinct().Count());
    }

    [Fact]
    public void Same_input_timestamp_and_document_id_give_the_same_bundle_and_another_id_gives_other_entry_ids()
    {
        Assert.Equal(Build().ToJson(), Build().ToJson());
        var other = PatientSummaryBuilder.Build(SampleSummaries.Copd(), SampleSummaries.Timestamp, Guid.NewGuid());
        Assert.Empty(other.Entry.Select(e => e.FullUrl).Intersect(Build().Entry.Select(e => e.FullUrl)));
    }

    [Fact]
    public void Empty_lists_become_sections_with_a_nil_known_empty_reason()
    {
        var bundle = PatientSummaryBuilder.Build(SampleSummaries.NothingKnown(), SampleSummaries.Timestamp);
        var composition = (Composition)bundle.Entry[0].Resource;
        Assert.All(composition.Section, s =>
        {
            Assert.Empty(s.Entry);
            Assert.Equal("nilknown", s.EmptyReason.Coding.Single().Code);
            Assert.Equal(FhirSystems.ListEmptyReason, s.EmptyReason.Coding.Single().System);
        });
        // No practitioner given: the organisation is the author.
        Assert.Empty(bundle.Entry.Select(e => e.Resource).OfType<Practitioner>());
        Assert.True(IpsValidator.Validate(bundle.ToJson()).IsValid);
    }

    [Fact]
    public void Uses_the_patient_resource_id_when_given()
    {
        var id = Guid.NewGuid().ToString();
        var input = SampleSummaries.Copd() with { Patient = SampleSummaries.Copd().Patient with { ResourceId = id } };
        var bundle = PatientSummaryBuilder.Build(input, SampleSummaries.Timestamp);
        Assert.Equal(id, bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single().Id);
        Assert.Equal("urn:uuid:" + id, ((Composition)bundle.Entry[0].Resource).Subject.Reference);
    }

    [Fact]
    public void Narrative_text_is_escaped()
    {
        var composition = (Composition)Build().Entry[0].Resource;
        Assert.Contains("&lt;Danish Health Data Authority&gt;", composition.Text.Div, StringComparison.Ordinal);
        Assert.True(IpsValidator.Validate(Build().ToXml()).IsValid);
    }

    [Fact]
    public void Rejects_input_it_cannot_turn_into_a_summary()
    {
        var good = SampleSummaries.Copd();
        Assert.Throws<ArgumentNullException>(() => PatientSummaryBuilder.Build(null!, SampleSummaries.Timestamp));
        Assert.Throws<ArgumentException>(() => PatientSummaryBuilder.Build(good with { Patient = good.Patient with { NationalId = " " } }, SampleSummaries.Timestamp));
        Assert.Throws<ArgumentException>(() => PatientSummaryBuilder.Build(good with { Patient = good.Patient with { GivenNames = [] } }, SampleSummaries.Timestamp));
        Assert.Throws<ArgumentException>(() => PatientSummaryBuilder.Build(good with { Patient = good.Patient with { Gender = "m" } }, SampleSummaries.Timestamp));
    }
}
