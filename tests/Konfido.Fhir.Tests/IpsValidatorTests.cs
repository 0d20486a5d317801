using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Konfido.Fhir;

namespace Konfido.Fhir.Tests;

/// <summary>
/// One test per IPS rule: a valid IPS from the builder passes; the same IPS with exactly one rule broken fails
/// with the expected issue code at the expected location, in JSON and in XML.
/// </summary>
public sealed class IpsValidatorTests
{
    public static TheoryData<string> Formats => new() { "json", "xml" };

    private static Bundle Valid() => PatientSummaryBuilder.Build(SampleSummaries.Copd(), SampleSummaries.Timestamp, SampleSummaries.DocumentId);

    private static string Serialize(Bundle bundle, string format) => format == "json" ? bundle.ToJson() : bundle.ToXml();

    private static IpsValidationResult ValidateMutated(string format, Action<Bundle> mutate)
    {
        var bundle = Valid();
        mutate(bundle);
        return IpsValidator.Validate(Serialize(bundle, format));
    }

    private static void AssertFailsWith(IpsValidationResult result, string code, string location)
    {
        Assert.True(result.IsWellFormed);
        Assert.True(result.IsPatientSummary);
        Assert.False(result.IsValid);
        Assert.Contains(result.Issues, i => i.IsError && i.Code == code && i.Location == location);
    }

    private static Composition CompositionOf(Bundle b) => (Composition)b.Entry[0].Resource;

    [Theory]
    [MemberData(nameof(Formats))]
    public void A_built_ips_is_valid_with_no_issues(string format)
    {
        var result = IpsValidator.Validate(Serialize(Valid(), format));
        Assert.True(result.IsValid, string.Join("\n", result.Issues));
        Assert.True(result.IsPatientSummary);
        Assert.Empty(result.Issues);
        Assert.Equal(format == "json" ? FhirFormat.Json : FhirFormat.Xml, result.Format);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Not_a_document_bundle_fails(string format) =>
        AssertFailsWith(ValidateMutated(format, b => b.Type = Bundle.BundleType.Collection), IssueCodes.Invalid, "Bundle.type");

    [Theory]
    [MemberData(nameof(Formats))]
    public void Missing_identifier_fails(string format) =>
        AssertFailsWith(ValidateMutated(format, b => b.Identifier = null), IssueCodes.Required, "Bundle.identifier");

    [Theory]
    [MemberData(nameof(Formats))]
    public void Missing_timestamp_fails(string format) =>
        AssertFailsWith(ValidateMutated(format, b => b.Timestamp = null), IssueCodes.Required, "Bundle.timestamp");

    [Theory]
    [MemberData(nameof(Formats))]
    public void First_entry_not_a_composition_fails(string format) =>
        AssertFailsWith(ValidateMutated(format, b =>
        {
            var first = b.Entry[0];
            b.Entry.RemoveAt(0);
            b.Entry.Add(first);
        }), IssueCodes.Structure, "Bundle.entry[0].resource");

    [Theory]
    [MemberData(nameof(Formats))]
    public void Composition_of_another_type_fails_when_the_profile_claims_ips(string format) =>
        AssertFailsWith(ValidateMutated(format, b => CompositionOf(b).Type = new CodeableConcept(FhirSystems.Loinc, "34133-9", "Summary of episode note")),
            IssueCodes.Invalid, "Bundle.entry[0].resource.type");

    [Theory]
    [MemberData(nameof(Formats))]
    public void No_patient_fails(string format)
    {
        var result = ValidateMutated(format, b => b.Entry.RemoveAll(e => e.Resource is Patient));
        AssertFailsWith(result, IssueCodes.Required, "Bundle.entry");
        // The Composition's subject now dangles too.
        Assert.Contains(result.Issues, i => i.Code == IssueCodes.NotFound && i.Location == "Bundle.entry[0].resource.subject");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Two_patients_fail(string format) =>
        AssertFailsWith(ValidateMutated(format, b => b.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = "urn:uuid:0b6d3c58-6f0e-4c55-8f43-9b3f0f3f4a11",
            Resource = new Patient { Id = "0b6d3c58-6f0e-4c55-8f43-9b3f0f3f4a11" },
        })), IssueCodes.Structure, $"Bundle.entry[{Valid().Entry.Count}].resource");

    [Theory]
    [InlineData("json", IpsCodes.ProblemsSection)]
    [InlineData("json", IpsCodes.AllergiesSection)]
    [InlineData("json", IpsCodes.MedicationsSection)]
    [InlineData("xml", IpsCodes.ProblemsSection)]
    [InlineData("xml", IpsCodes.AllergiesSection)]
    [InlineData("xml", IpsCodes.MedicationsSection)]
    public void Each_missing_required_section_fails(string format, string sectionCode)
    {
        var result = ValidateMutated(format, b => CompositionOf(b).Section.RemoveAll(s => s.Code.Coding[0].Code == sectionCode));
        AssertFailsWith(result, IssueCodes.Required, "Bundle.entry[0].resource.section");
        Assert.Contains(result.Issues, i => i.Message.Contains(sectionCode, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Section_with_neither_entries_nor_empty_reason_fails(string format) =>
        AssertFailsWith(ValidateMutated(format, b =>
        {
            var allergies = CompositionOf(b).Section[1];
            allergies.Entry.Clear();
            allergies.EmptyReason = null;
        }), IssueCodes.Required, "Bundle.entry[0].resource.section[1]");

    [Theory]
    [MemberData(nameof(Formats))]
    public void Optional_section_needs_text_entries_or_subsections_but_not_an_empty_reason(string format)
    {
        var planOfCare = new Composition.SectionComponent
        {
            Title = "Plan of Treatment",
            Code = new CodeableConcept(FhirSystems.Loinc, "18776-5"),
            Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">Review in 3 months</div>" },
        };
        var withText = ValidateMutated(format, b => CompositionOf(b).Section.Add(planOfCare));
        Assert.True(withText.IsValid, string.Join("\n", withText.Issues));

        AssertFailsWith(ValidateMutated(format, b => CompositionOf(b).Section.Add(new Composition.SectionComponent { Title = "Empty", Code = new CodeableConcept(FhirSystems.Loinc, "18776-5") })),
            IssueCodes.Required, "Bundle.entry[0].resource.section[3]");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Section_with_entries_and_an_empty_reason_fails(string format) =>
        AssertFailsWith(ValidateMutated(format, b => CompositionOf(b).Section[0].EmptyReason = new CodeableConcept(FhirSystems.ListEmptyReason, "nilknown")),
            IssueCodes.Invalid, "Bundle.entry[0].resource.section[0].emptyReason");

    [Theory]
    [MemberData(nameof(Formats))]
    public void Section_entry_pointing_outside_the_bundle_fails(string format) =>
        AssertFailsWith(ValidateMutated(format, b => CompositionOf(b).Section[2].Entry[1].Reference = "urn:uuid:11111111-2222-4333-8444-555555555555"),
            IssueCodes.NotFound, "Bundle.entry[0].resource.section[2].entry[1]");

    [Theory]
    [MemberData(nameof(Formats))]
    public void Dangling_subject_of_a_clinical_resource_fails(string format)
    {
        var result = ValidateMutated(format, b =>
        {
            var condition = b.Entry.First(e => e.Resource is Condition);
            ((Condition)condition.Resource).Subject.Reference = "Patient/does-not-exist";
        });
        var conditionIndex = Valid().Entry.FindIndex(e => e.Resource is Condition);
        AssertFailsWith(result, IssueCodes.NotFound, $"Bundle.entry[{conditionIndex}].resource.subject");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Relative_reference_resolves_against_entry_type_and_id(string format)
    {
        var result = ValidateMutated(format, b =>
        {
            var patient = b.Entry.Select(e => e.Resource).OfType<Patient>().Single();
            foreach (var condition in b.Entry.Select(e => e.Resource).OfType<Condition>())
            {
                condition.Subject.Reference = "Patient/" + patient.Id;
            }

            CompositionOf(b).Subject.Reference = $"Patient/{patient.Id}/_history/1";
        });
        Assert.True(result.IsValid, string.Join("\n", result.Issues));
    }

    [Fact]
    public void Relative_reference_resolves_against_a_restful_full_url_base()
    {
        var bundle = Valid();
        var patientEntry = bundle.Entry.Single(e => e.Resource is Patient);
        patientEntry.Resource.Id = "p1";
        patientEntry.FullUrl = "https://dk.example/fhir/Patient/p1";
        var compositionEntry = bundle.Entry[0];
        compositionEntry.FullUrl = "https://dk.example/fhir/Composition/c1";
        compositionEntry.Resource.Id = "c1";
        foreach (var r in bundle.Entry.Select(e => e.Resource))
        {
            switch (r)
            {
                case Composition c: c.Subject.Reference = "Patient/p1"; break;
                case Condition c: c.Subject.Reference = "https://dk.example/fhir/Patient/p1"; break;
                case AllergyIntolerance a: a.Patient.Reference = "https://dk.example/fhir/Patient/p1"; break;
                case MedicationStatement m: m.Subject.Reference = "https://dk.example/fhir/Patient/p1"; break;
            }
        }

        var result = IpsValidator.Validate(bundle.ToJson());
        Assert.True(result.IsValid, string.Join("\n", result.Issues));

        ((Composition)bundle.Entry[0].Resource).Subject.Reference = "Patient/p2";
        AssertFailsWith(IpsValidator.Validate(bundle.ToJson()), IssueCodes.NotFound, "Bundle.entry[0].resource.subject");
    }

    [Fact]
    public void Contained_reference_resolves_only_to_a_contained_resource()
    {
        var bundle = Valid();
        var statement = bundle.Entry.Select(e => e.Resource).OfType<MedicationStatement>().First();
        statement.Contained.Add(new Medication { Id = "med", Code = new CodeableConcept(FhirSystems.Atc, "R03AK06") });
        statement.Medication = new ResourceReference("#med");
        Assert.True(IpsValidator.Validate(bundle.ToJson()).IsValid);

        statement.Medication = new ResourceReference("#nothing");
        Assert.Contains(IpsValidator.Validate(bundle.ToJson()).Issues, i => i.Code == IssueCodes.NotFound && i.Message.Contains("#nothing", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bundle_is_claimed_as_ips_by_profile_alone()
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Collection, Meta = new Meta { Profile = [FhirSystems.IpsBundleProfile + "|1.1.0"] } };
        var result = IpsValidator.Validate(bundle.ToJson());
        Assert.True(result.IsPatientSummary);
        Assert.False(result.IsValid);
        Assert.Contains(result.Issues, i => i is { Code: IssueCodes.Invalid, Location: "Bundle.type" });
        Assert.Contains(result.Issues, i => i is { Code: IssueCodes.Required, Location: "Bundle.entry" });
    }

    [Fact]
    public void A_resource_that_is_not_an_ips_is_only_parsed()
    {
        var patient = new Patient { Id = "x", BirthDate = "1970-01-01" };
        var result = IpsValidator.Validate(patient.ToJson());
        Assert.True(result.IsValid);
        Assert.False(result.IsPatientSummary);

        var plainBundle = new Bundle { Type = Bundle.BundleType.Collection };
        Assert.False(IpsValidator.Validate(plainBundle.ToXml()).IsPatientSummary);
    }

    [Fact]
    public void Validating_a_resource_object_applies_the_same_rules()
    {
        Assert.True(IpsValidator.Validate(Valid()).IsValid);
        var broken = Valid();
        broken.Identifier = null;
        Assert.Contains(IpsValidator.Validate(broken).Issues, i => i.Location == "Bundle.identifier");
    }
}
