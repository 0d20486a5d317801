#nullable disable warnings
using System.Xml.Linq;
using Hl7.Fhir.Model;
using Konfido.Fhir;
using Konfido.Ihe.Cda;
using Konfido.Ihe.Soap;
using Konfido.Records;

namespace Konfido.Ihe.Tests;

/// <summary>Transformations on the public samples (see Samples/README.md) and FHIR → CDA → FHIR round trips.</summary>
public sealed class TransformationTests
{
    private static readonly CdaTransformer Transformer = CdaTransformer.Default;

    internal static XDocument Sample(string name) =>
        SafeXml.TryLoad(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", name)), out var error) ?? throw new InvalidOperationException(error);

    private static XDocument Reparse(XDocument document) => SafeXml.TryLoad(SafeXml.ToUtf8(document), out _)!;

    private static T Single<T>(Bundle bundle) where T : Resource => Assert.Single(bundle.Entry.Select(e => e.Resource).OfType<T>());

    private static IEnumerable<T> All<T>(Bundle bundle) where T : Resource => bundle.Entry.Select(e => e.Resource).OfType<T>();

    private static bool Has(CodeableConcept? concept, string system, string code) => concept?.Coding.Any(c => c.System == system && c.Code == code) == true;

    [Fact]
    public void The_epsos_paolo_patient_summary_becomes_a_valid_ips()
    {
        var (bundle, report) = Transformer.PatientSummaryToFhir(Sample("epSOS_RTD_PS_EU_Pivot_CDA_Paolo.xml"));
        var validation = IpsValidator.Validate(bundle);
        Assert.True(validation.IsValid, string.Join("\n", validation.Issues.Select(i => $"{i.Location}: {i.Message}")));
        var patient = Single<Patient>(bundle);
        Assert.Equal("urn:oid:2.16.840.1.113883.2.9.4.3.2", patient.Identifier[0].System);
        Assert.Equal("CRRPLA47H13A794V", patient.Identifier[0].Value);
        Assert.Equal("CERRUTI", patient.Name[0].Family);
        Assert.Equal(AdministrativeGender.Male, patient.Gender);
        Assert.Equal("1947-06-13", patient.BirthDate);

        var allergy = Single<AllergyIntolerance>(bundle);
        Assert.True(Has(allergy.Code, FhirSystems.Atc, "D10AF02"));
        Assert.Equal(AllergyIntolerance.AllergyIntoleranceCategory.Medication, Assert.Single(allergy.Category));
        Assert.True(Has(allergy.Reaction[0].Manifestation[0], FhirSystems.Snomed, "200769008"));

        var conditions = All<Condition>(bundle).ToList();
        Assert.Equal(3, conditions.Count);
        Assert.Contains(conditions, c => Has(c.Code, FhirSystems.Icd10, "I10") && c.ClinicalStatus!.Coding[0].Code == "active");
        Assert.Contains(conditions, c => Has(c.Code, FhirSystems.Icd10, "G43") && c.ClinicalStatus!.Coding[0].Code == "resolved");

        var medication = Single<Medication>(bundle);
        Assert.True(Has(medication.Code, FhirSystems.Atc, "C07AB02"));
        Assert.Equal("10219000", medication.Form!.Coding[0].Code);
        Assert.Equal(100m, medication.Ingredient[0].Strength!.Numerator!.Value);
        var statement = Single<MedicationStatement>(bundle);
        Assert.Equal("Metoprolol 100 mg, one each morning. Continous therapy", statement.Dosage[0].Text);
        Assert.Equal("2014-06-01", ((Period)statement.Effective).Start);

        Assert.True(Has(Single<Procedure>(bundle).Code, FhirSystems.Snomed, "80146002"));
        Assert.True(Has(Single<Immunization>(bundle).VaccineCode, FhirSystems.Snomed, "333598008"));
        var vitals = All<Observation>(bundle).ToDictionary(o => o.Code.Coding[0].Code, o => ((Quantity)o.Value).Value);
        Assert.Equal(90m, vitals["8462-4"]);
        Assert.Equal(130m, vitals["8480-6"]);

        // Not mapped, and said so: the social-history entry, the header participant, the confidentiality code D.
        Assert.Contains(report.Issues, i => i.Kind == TransformationIssueKind.Unmapped && i.Message.Contains("Social History", StringComparison.Ordinal));
        Assert.Contains(report.Issues, i => i.Kind == TransformationIssueKind.Unmapped && i.Location.EndsWith("/participant", StringComparison.Ordinal));
        Assert.Contains(report.Issues, i => i.Kind == TransformationIssueKind.Lossy && i.Location.Contains("confidentialityCode", StringComparison.Ordinal));
        Assert.False(report.IsComplete);
        Assert.Equal(9, report.MappedEntries); // 1 allergy, 1 problem, 2 past illnesses, 1 medication, 1 procedure, 1 immunization, 2 vital signs
    }

    [Fact]
    public void Every_coded_entry_of_the_sample_is_either_mapped_or_reported()
    {
        var cda = Sample("epSOS_RTD_PS_EU_Pivot_CDA_Paolo.xml");
        var (bundle, report) = Transformer.PatientSummaryToFhir(cda);
        XNamespace v3 = IheNames.Hl7;
        foreach (var entry in cda.Descendants(v3 + "entry"))
        {
            var path = entry.Elements().First().Name.LocalName;
            var act = entry.Elements().First();
            var reported = report.Issues.Any(i => i.Location.StartsWith(PathOf(entry), StringComparison.Ordinal));
            var codes = act.Descendants().Select(d => d.Attribute("code")?.Value).Where(c => c is not null).ToList();
            var mapped = codes.Any(code => bundle.Entry.Any(e => e.Resource is not Composition && System.Text.Json.JsonSerializer.Serialize(Konfido.Exchange.FhirJson.Serialize(e.Resource)).Length > 0
                && System.Text.Encoding.UTF8.GetString(Konfido.Exchange.FhirJson.Serialize(e.Resource)).Contains($"\"{code}\"", StringComparison.Ordinal)));
            Assert.True(reported || mapped, $"entry {PathOf(entry)} ({path}) is neither mapped nor reported");
        }

        static string PathOf(XElement element) =>
            "/" + string.Join('/', element.AncestorsAndSelf().Reverse().Select(e =>
            {
                var index = e.Parent is null ? 1 : e.Parent.Elements(e.Name).TakeWhile(s => s != e).Count() + 1;
                return index > 1 ? $"{e.Name.LocalName}[{index}]" : e.Name.LocalName;
            }));
    }

    [Fact]
    public void The_danish_edispensation_sample_becomes_a_medication_dispense()
    {
        var (dispense, report) = Transformer.DispensationToFhir(Sample("eDispensation_DK_paracetamol.xml"));
        Assert.Equal("MedicationRequest/495186474925101", dispense.AuthorizingPrescription[0].Reference);
        Assert.Equal("urn:oid:1.2.208.176.1.2", dispense.Subject.Identifier.System);
        Assert.Equal("1903098089", dispense.Subject.Identifier.Value);
        Assert.Equal(1m, dispense.Quantity!.Value);
        Assert.Equal(MedicationDispense.MedicationDispenseStatusCodes.Completed, dispense.Status);
        var medication = Assert.Single(dispense.Contained.OfType<Medication>());
        Assert.Equal("Pinex", medication.Code!.Text);
        Assert.True(Has(medication.Code, FhirSystems.Atc, "N02BE01"));
        Assert.True(Has(medication.Code, "urn:oid:1.2.208.176.3.1", "28103909506"));
        Assert.Equal("10219000", medication.Form!.Coding[0].Code);
        Assert.Equal("2025-09-10T06:48:43+00:00", dispense.WhenHandedOver);
        // The sample's addresses hold placeholders ("country"), so no dispensing country can be read: reported, not invented.
        Assert.Null(dispense.Location);
        Assert.Contains(report.Issues, i => i.Kind == TransformationIssueKind.Lossy && i.Message.Contains("dispensing country", StringComparison.Ordinal));
        Assert.Contains(report.Issues, i => i.Kind == TransformationIssueKind.Unmapped && i.Location.EndsWith("/participant", StringComparison.Ordinal));
        Assert.Contains(report.Issues, i => i.Message.Contains("package", StringComparison.Ordinal));
    }

    [Fact]
    public void The_paolo_sample_survives_cda_to_fhir_to_cda_with_its_codes()
    {
        var (bundle, _) = Transformer.PatientSummaryToFhir(Sample("epSOS_RTD_PS_EU_Pivot_CDA_Paolo.xml"));
        var (cda, _) = Transformer.PatientSummaryToCda(bundle);
        var again = Transformer.PatientSummaryToFhir(Reparse(cda)).Value;
        foreach (var code in new[] { "D10AF02", "I10", "G43", "S72", "C07AB02", "80146002", "333598008", "8462-4", "8480-6", "200769008" })
        {
            Assert.True(All<Resource>(again).Any(r => System.Text.Encoding.UTF8.GetString(Konfido.Exchange.FhirJson.Serialize(r)).Contains($"\"{code}\"", StringComparison.Ordinal)), code);
        }

        Assert.Equal("CRRPLA47H13A794V", Single<Patient>(again).Identifier[0].Value);
    }

    internal static Bundle KonfidoIps() => PatientSummaryBuilder.Build(new PatientSummaryInput(
        new PatientRecord("0101701234", "urn:oid:1.2.208.176.1.2", "Hansen", ["Jens", "Peter"], new DateOnly(1950, 3, 14), "male", "DK", "Aarhus", "Nørregade 1", "8000"),
        [new ConditionRecord("Chronic obstructive pulmonary disease", "13645005", "J44.9", new DateOnly(2015, 5, 1)), new ConditionRecord("Hypertension", "38341003", "I10", null, "resolved")],
        [new AllergyRecord("Penicillin allergy", "91936005", "medication", "high", "Urticaria")],
        [new MedicationRecord("R03AC12", "Salmeterol", "2 inhalations twice daily", new DateOnly(2020, 1, 1)), new MedicationRecord("C09AA05", "Ramipril", "5 mg once daily")],
        new AuthorRecord("Aarhus Universitetshospital", "DK", "Jensen", "Mette")), new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_konfido_ips_survives_fhir_to_cda_to_fhir()
    {
        var ips = KonfidoIps();
        var (cda, report) = Transformer.PatientSummaryToCda(ips);
        Assert.True(report.IsComplete, string.Join("\n", report.Issues));
        var (back, backReport) = Transformer.PatientSummaryToFhir(Reparse(cda));
        Assert.True(IpsValidator.Validate(back).IsValid);
        Assert.True(backReport.IsComplete, string.Join("\n", backReport.Issues));

        var patient = Single<Patient>(back);
        var original = Single<Patient>(ips);
        Assert.Equal(original.Identifier[0].System, patient.Identifier[0].System);
        Assert.Equal(original.Identifier[0].Value, patient.Identifier[0].Value);
        Assert.Equal(original.Name[0].Family, patient.Name[0].Family);
        Assert.Equal(original.Name[0].Given, patient.Name[0].Given);
        Assert.Equal(original.BirthDate, patient.BirthDate);
        Assert.Equal(original.Gender, patient.Gender);
        Assert.Equal(original.Address[0].City, patient.Address[0].City);

        Assert.Equal(
            All<Condition>(ips).Select(c => (c.Code.Coding.Select(x => (x.System, x.Code)).OrderBy(x => x.Code).ToList(), c.ClinicalStatus!.Coding[0].Code, c.Onset?.ToString())).Select(x => x.ToString()),
            All<Condition>(back).Select(c => (c.Code.Coding.Select(x => (x.System, x.Code)).OrderBy(x => x.Code).ToList(), c.ClinicalStatus!.Coding[0].Code, c.Onset?.ToString())).Select(x => x.ToString()));
        var allergy = Single<AllergyIntolerance>(back);
        Assert.True(Has(allergy.Code, FhirSystems.Snomed, "91936005"));
        Assert.Equal(AllergyIntolerance.AllergyIntoleranceCriticality.High, allergy.Criticality);
        Assert.Equal(AllergyIntolerance.AllergyIntoleranceCategory.Medication, Assert.Single(allergy.Category));
        Assert.Equal("Urticaria", allergy.Reaction[0].Manifestation[0].Text);
        Assert.Equal(
            All<Medication>(ips).Select(m => m.Code!.Coding[0].Code).Order(),
            All<Medication>(back).Select(m => m.Code!.Coding.Single(c => c.System == FhirSystems.Atc).Code).Order());
        Assert.Equal(
            All<MedicationStatement>(ips).Select(m => m.Dosage[0].Text).Order(),
            All<MedicationStatement>(back).Select(m => m.Dosage[0].Text).Order());
    }

    internal static MedicationRequest Prescription(string id, string atc, string display, string dose, int quantity) => new()
    {
        Id = id,
        Identifier = [new Identifier("urn:konfido:dk:eprescription", id)],
        Status = MedicationRequest.MedicationrequestStatus.Active,
        Intent = MedicationRequest.MedicationRequestIntent.Order,
        Medication = new CodeableConcept(FhirSystems.Atc, atc, display, display),
        Subject = new ResourceReference("Patient/p1", "Jens Peter Hansen") { Identifier = new Identifier("urn:oid:1.2.208.176.1.2", "0101701234") },
        AuthoredOn = "2026-11-20",
        Requester = new ResourceReference { Display = "Dr. Mette Jensen" },
        DosageInstruction = [new Dosage { Text = dose }],
        DispenseRequest = new MedicationRequest.DispenseRequestComponent { Quantity = new Quantity { Value = quantity, Unit = "package" } },
    };

    [Fact]
    public void Prescriptions_survive_fhir_to_cda_to_fhir()
    {
        MedicationRequest[] requests = [Prescription("rx-1", "R03AC12", "Salmeterol", "2 inhalations twice daily", 1), Prescription("rx-2", "N02BE01", "Paracetamol", "1 g up to 4 times daily", 2)];
        var (cda, report) = Transformer.PrescriptionToCda(requests, "DK");
        Assert.True(report.IsComplete, string.Join("\n", report.Issues));
        var (back, _) = Transformer.PrescriptionToFhir(Reparse(cda));
        Assert.Equal(requests.Length, back.Count);
        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(requests[i].Id, back[i].Id);
            Assert.Equal(requests[i].Identifier[0].System, back[i].Identifier[0].System);
            Assert.Equal(((CodeableConcept)requests[i].Medication).Coding[0].Code, ((CodeableConcept)back[i].Medication).Coding.Single(c => c.System == FhirSystems.Atc).Code);
            Assert.Equal(requests[i].DosageInstruction[0].Text, back[i].DosageInstruction[0].Text);
            Assert.Equal(requests[i].DispenseRequest.Quantity.Value, back[i].DispenseRequest.Quantity.Value);
            Assert.Equal(requests[i].Subject.Identifier.Value, back[i].Subject.Identifier.Value);
            Assert.Equal(requests[i].Subject.Display, back[i].Subject.Display);
            Assert.Equal(requests[i].AuthoredOn, back[i].AuthoredOn);
            Assert.Equal(requests[i].Requester.Display, back[i].Requester.Display);
        }
    }

    [Fact]
    public void Random_prescriptions_round_trip_field_by_field()
    {
        var random = new Random(20261123);
        string[] atc = ["R03AC12", "N02BE01", "C09AA05", "A10BA02", "J01CA04"];
        for (var trial = 0; trial < 50; trial++)
        {
            var count = random.Next(1, 4);
            var requests = Enumerable.Range(0, count).Select(i => Prescription($"rx-{trial}-{i}-{random.Next()}", atc[random.Next(atc.Length)], "Product " + random.Next(1000),
                $"{random.Next(1, 5)} dose(s) & <{random.Next(1, 4)}> times daily", random.Next(1, 10))).ToList();
            var back = Transformer.PrescriptionToFhir(Reparse(Transformer.PrescriptionToCda(requests, "DK").Value)).Value;
            Assert.Equal(requests.Select(r => (r.Id, r.DosageInstruction[0].Text, r.DispenseRequest.Quantity.Value, ((CodeableConcept)r.Medication).Text)),
                back.Select(r => (r.Id, r.DosageInstruction[0].Text, r.DispenseRequest.Quantity.Value, ((CodeableConcept)r.Medication).Text)));
        }
    }

    [Fact]
    public void A_konfido_dispense_survives_fhir_to_cda_to_fhir()
    {
        var dispense = EDispensation.Create("rx-1", "0101701234", "urn:oid:1.2.208.176.1.2", "IT", "Farmacia Centrale, Roma", new DateTimeOffset(2026, 11, 23, 10, 30, 0, TimeSpan.Zero), 1, "package");
        dispense.Medication = new CodeableConcept(FhirSystems.Atc, "R03AC12", "Salmeterol", "Salmeterol");
        var (cda, report) = Transformer.DispensationToCda(dispense, "IT");
        Assert.True(report.IsComplete, string.Join("\n", report.Issues));
        var (back, backReport) = Transformer.DispensationToFhir(Reparse(cda));
        Assert.DoesNotContain(backReport.Issues, i => i.Kind != TransformationIssueKind.Info);
        Assert.Equal("MedicationRequest/rx-1", back.AuthorizingPrescription[0].Reference);
        Assert.Equal(dispense.Subject.Identifier.System, back.Subject.Identifier.System);
        Assert.Equal(dispense.Subject.Identifier.Value, back.Subject.Identifier.Value);
        Assert.Equal("IT", back.Contained.OfType<Location>().Single().Address.Country);
        Assert.Equal("#dispensing-location", back.Location.Reference);
        Assert.Equal(1m, back.Quantity.Value);
        Assert.Contains("Farmacia Centrale, Roma", back.Performer[0].Actor.Display, StringComparison.Ordinal);
        Assert.Equal(dispense.WhenHandedOver, back.WhenHandedOver);
        Assert.True(Has((CodeableConcept)back.Medication, FhirSystems.Atc, "R03AC12"));
    }

    [Fact]
    public void Unmappable_fhir_content_is_reported()
    {
        var ips = KonfidoIps();
        var composition = Single<Composition>(ips);
        var family = new FamilyMemberHistory { Id = Guid.NewGuid().ToString("D"), Status = FamilyMemberHistory.FamilyHistoryStatus.Completed };
        ips.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + family.Id, Resource = family });
        composition.Section[0].Entry.Add(new ResourceReference("urn:uuid:" + family.Id));
        var (_, report) = Transformer.PatientSummaryToCda(ips);
        Assert.Contains(report.Issues, i => i.Kind == TransformationIssueKind.Unmapped && i.Message.Contains("FamilyMemberHistory", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("<notCda/>")]
    [InlineData("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><code code=\"11111-1\"/></ClinicalDocument>")]
    [InlineData("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><code code=\"60591-5\"/></ClinicalDocument>")]
    [InlineData("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><code code=\"60591-5\"/><recordTarget><patientRole><id root=\"1.2\"/></patientRole></recordTarget></ClinicalDocument>")]
    public void Documents_that_cannot_be_read_are_refused(string xml) =>
        Assert.Throws<CdaFormatException>(() => Transformer.PatientSummaryToFhir(SafeXml.TryLoad(xml, out _)!));

    [Fact]
    public void The_mapping_tables_load_and_agree_both_ways()
    {
        var maps = CodeMaps.Default;
        foreach (var (oid, uri) in new[] { (IheNames.LoincOid, FhirSystems.Loinc), ("2.16.840.1.113883.6.96", FhirSystems.Snomed), ("2.16.840.1.113883.6.73", FhirSystems.Atc), ("0.4.0.127.0.16.1.1.2.1", "http://standardterms.edqm.eu") })
        {
            Assert.Equal(uri, maps.SystemUri(oid));
            Assert.Equal(oid, maps.SystemOid(uri));
        }

        Assert.Equal("http://hl7.org/fhir/sid/icd-10", maps.SystemUri("2.16.840.1.113883.6.3"));
        Assert.Equal("1.2.3", maps.SystemOid("urn:oid:1.2.3"));
        Assert.Null(maps.SystemOid("urn:konfido:dk:eprescription"));
        Assert.Equal("Tablet", maps.DoseForm("10219000"));
        Assert.Equal("medication", maps.AllergyType("416098002")!.Category);
        Assert.All(IpsCodes.RequiredSections, s => Assert.True(maps.Section(s.Code)!.Required));
        Assert.Equal("male", maps.Value("gender", "M"));
        Assert.Equal("F", maps.Key("gender", "female"));
    }
}
