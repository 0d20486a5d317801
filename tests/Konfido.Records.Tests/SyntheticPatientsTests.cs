using Konfido.Fhir;
using Konfido.Records;

namespace Konfido.Records.Tests;

public sealed class SyntheticPatientsTests
{
    public static TheoryData<string> Countries => new() { "DK", "ES", "IT" };

    [Theory]
    [MemberData(nameof(Countries))]
    public void Each_country_has_twenty_distinct_patients_with_valid_national_ids(string country)
    {
        var files = SyntheticPatients.For(country);
        Assert.Equal(SyntheticPatients.PatientsPerCountry, files.Count);
        Assert.Equal(files.Count, files.Select(f => f.Patient.NationalId).Distinct().Count());
        Assert.Equal(files.Count, files.Select(f => f.Patient.ResourceId).Distinct().Count());
        foreach (var f in files)
        {
            var p = f.Patient;
            Assert.Equal(country, p.Country);
            Assert.Equal(CountryProfile.For(country).IdentifierSystem, p.IdentifierSystem);
            switch (country)
            {
                case "DK":
                    Assert.True(DanishCpr.TryParse(p.NationalId, out var birth, out var male, out var mod11), p.NationalId);
                    Assert.Equal(p.BirthDate, birth);
                    Assert.Equal(p.Gender == "male", male);
                    Assert.True(mod11);
                    Assert.Matches(@"^\d{6}-\d{4}$", p.NationalId);
                    break;
                case "ES":
                    Assert.True(SpanishDni.IsValid(p.NationalId), p.NationalId);
                    Assert.Equal(2, p.FamilyName.Split(' ').Length); // two surnames
                    break;
                default:
                    Assert.True(ItalianCodiceFiscale.IsValid(p.NationalId), p.NationalId);
                    Assert.Equal(p.BirthDate.Year % 100, int.Parse(p.NationalId[6..8], System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Countries))]
    public void Clinical_content_is_coded_and_each_patient_has_one_to_three_active_prescriptions(string country)
    {
        var files = SyntheticPatients.For(country);
        Assert.All(files, f =>
        {
            Assert.NotEmpty(f.Conditions);
            Assert.All(f.Conditions, c => Assert.True(c.SnomedCode is not null && c.Icd10Code is not null));
            Assert.All(f.Medications, m => Assert.Matches("^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$", m.AtcCode));
            Assert.InRange(f.Prescriptions.Count, 1, 3);
            Assert.All(f.Prescriptions, rx =>
            {
                Assert.Equal(PrescriptionRecord.Active, rx.Status);
                Assert.Contains(f.Medications, m => m.AtcCode == rx.AtcCode);
                Assert.Matches("^[a-z]{2}-rx-[0-9]{3}-[0-9]$", rx.Id);
            });
        });
        // Some patients have no known allergies (the emptyReason case), some have one.
        Assert.Contains(files, f => f.Allergies.Count == 0);
        Assert.Contains(files, f => f.Allergies.Count > 0);
        Assert.Equal(files.SelectMany(f => f.Prescriptions).Count(), files.SelectMany(f => f.Prescriptions).Select(r => r.Id).Distinct().Count());
    }

    [Fact]
    public void The_demo_patient_is_lars_jensen_with_copd_and_an_inhaler_prescription()
    {
        var lars = SyntheticPatients.For("DK").Single(f => f.Patient.NationalId == SyntheticPatients.DemoDanishCopdPatient);
        Assert.Equal("Jensen", lars.Patient.FamilyName);
        Assert.Equal(["Lars"], lars.Patient.GivenNames);
        Assert.Equal(SyntheticPatients.DemoDanishCopdBirthDate, lars.Patient.BirthDate);
        Assert.True(DanishCpr.IsValidWithCheckDigit(SyntheticPatients.DemoDanishCopdPatient));
        Assert.Contains(lars.Conditions, c => c.SnomedCode == "13645005" && c.Icd10Code == "J44.9");
        Assert.Contains(lars.Allergies, a => a.Display == "Penicillin");
        var rx = lars.Prescriptions.Single(p => p.Id == SyntheticPatients.DemoDanishCopdPrescription);
        Assert.Equal("R03AK06", rx.AtcCode);
    }

    [Fact]
    public void Generation_is_deterministic()
    {
        foreach (var country in new[] { "DK", "ES", "IT" })
        {
            var a = SyntheticPatients.For(country).Select(SyntheticPatients.Describe);
            var b = SyntheticPatients.For(country).Select(SyntheticPatients.Describe);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void Every_synthetic_patient_builds_a_valid_ips()
    {
        foreach (var country in new[] { "DK", "ES", "IT" })
        {
            foreach (var f in SyntheticPatients.For(country))
            {
                var bundle = PatientSummaryBuilder.Build(
                    new PatientSummaryInput(f.Patient, f.Conditions, f.Allergies, f.Medications, new AuthorRecord(CountryProfile.For(country).AuthorityName, country)),
                    DateTimeOffset.UtcNow);
                var result = IpsValidator.Validate(Hl7.Fhir.Serialization.PocoSerializationExtensions.ToJson(bundle, false));
                Assert.True(result.IsValid, SyntheticPatients.Describe(f) + ": " + string.Join("; ", result.Issues));
            }
        }
    }

    [Fact]
    public void Unknown_country_is_refused() => Assert.Throws<ArgumentException>(() => SyntheticPatients.For("FR"));
}
