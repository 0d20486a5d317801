using System.Globalization;
using System.Security.Cryptography;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace Konfido.Fhir;

/// <summary>
/// Builds an HL7 FHIR R4 International Patient Summary (IPS) document Bundle from plain records.
/// </summary>
/// <remarks>
/// References: HL7 FHIR R4 Documents (https://hl7.org/fhir/R4/documents.html); HL7 IPS IG 1.1/2.0
/// (http://hl7.org/fhir/uv/ips/), Composition profile and required sections.
/// The Bundle is <c>type=document</c> with an identifier (<c>urn:ietf:rfc:3986</c> / <c>urn:uuid:...</c>) and
/// timestamp; its first entry is the Composition (LOINC 60591-5, status final) with the sections Problems
/// (11450-4), Allergies (48765-2) and Medication Summary (10160-0), each holding entries or an emptyReason
/// and a generated narrative. Every entry has a <c>urn:uuid</c> fullUrl, and every reference points at one of
/// them. Entry ids derive from the document id, so the same input, timestamp and document id give the same
/// Bundle.
/// </remarks>
public static class PatientSummaryBuilder
{
    /// <summary>Builds the IPS for <paramref name="input"/> at <paramref name="timestamp"/> with a fresh random document id.</summary>
    /// <param name="input">The patient's records. Requires a patient with a national id and at least one given name.</param>
    /// <param name="timestamp">The document's timestamp (Bundle.timestamp and Composition.date).</param>
    public static Bundle Build(PatientSummaryInput input, DateTimeOffset timestamp) =>
        Build(input, timestamp, Guid.NewGuid());

    /// <summary>Builds the IPS for <paramref name="input"/> with the given document id (Bundle.identifier).</summary>
    /// <param name="input">The patient's records. Requires a patient with a national id and at least one given name.</param>
    /// <param name="timestamp">The document's timestamp (Bundle.timestamp and Composition.date), truncated to whole seconds.</param>
    /// <param name="documentId">The document id; entry ids derive from it.</param>
    public static Bundle Build(PatientSummaryInput input, DateTimeOffset timestamp, Guid documentId)
    {
        Check(input);
        timestamp = new DateTimeOffset(timestamp.Ticks - (timestamp.Ticks % TimeSpan.TicksPerSecond), timestamp.Offset); // whole seconds
        var ids = new EntryIds(documentId);
        var when = timestamp.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);

        var bundle = new Bundle
        {
            Id = documentId.ToString("D"),
            Meta = new Meta { Profile = [FhirSystems.IpsBundleProfile] },
            Identifier = new Identifier("urn:ietf:rfc:3986", "urn:uuid:" + documentId.ToString("D")),
            Type = Bundle.BundleType.Document,
            Timestamp = timestamp,
        };

        var compositionId = ids.Next();
        var patientId = input.Patient.ResourceId is { } rid && Guid.TryParse(rid, out var g) ? g.ToString("D") : ids.Next();
        var organizationId = ids.Next();
        var practitionerId = input.Author.PractitionerFamily is null ? null : ids.Next();

        var patientRef = Urn(patientId);
        var authorRef = Urn(practitionerId ?? organizationId);

        var conditions = input.Conditions.Select(c => (Id: ids.Next(), Record: c)).ToList();
        var allergies = input.Allergies.Select(a => (Id: ids.Next(), Record: a)).ToList();
        var medications = input.Medications.Select(m => (StatementId: ids.Next(), MedicationId: ids.Next(), Record: m)).ToList();

        var patientName = DisplayName(input.Patient);
        var composition = new Composition
        {
            Id = compositionId,
            Identifier = new Identifier("urn:ietf:rfc:3986", Urn(compositionId)),
            Status = CompositionStatus.Final,
            Type = new CodeableConcept(FhirSystems.Loinc, IpsCodes.PatientSummaryDocument, "Patient summary Document", null),
            Subject = new ResourceReference(patientRef, patientName),
            Date = when,
            Author = [new ResourceReference(authorRef)],
            Title = $"Patient Summary of {patientName} as of {timestamp.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}",
            Confidentiality = Composition.V3ConfidentialityClassification.N,
            Custodian = new ResourceReference(Urn(organizationId), input.Author.OrganizationName),
            Text = new Narrative
            {
                Status = Narrative.NarrativeStatus.Generated,
                Div = Xhtml.Paragraph($"International Patient Summary of {patientName} ({input.Patient.NationalId}), issued by {input.Author.OrganizationName}, {input.Author.Country}."),
            },
            Section =
            [
                ProblemsSection(conditions),
                AllergiesSection(allergies),
                MedicationsSection(medications),
            ],
        };

        bundle.Entry.Add(Entry(compositionId, composition));
        bundle.Entry.Add(Entry(patientId, PatientResource(patientId, input.Patient)));
        if (practitionerId is not null)
        {
            bundle.Entry.Add(Entry(practitionerId, new Practitioner
            {
                Id = practitionerId,
                Active = true,
                Name = [new HumanName { Family = input.Author.PractitionerFamily, Given = input.Author.PractitionerGiven is { } pg ? [pg] : [] }],
            }));
        }

        bundle.Entry.Add(Entry(organizationId, new Organization
        {
            Id = organizationId,
            Active = true,
            Name = input.Author.OrganizationName,
            Address = [new Address { Country = input.Author.Country }],
        }));

        foreach (var (id, c) in conditions)
        {
            bundle.Entry.Add(Entry(id, ConditionResource(id, c, patientRef)));
        }

        foreach (var (id, a) in allergies)
        {
            bundle.Entry.Add(Entry(id, AllergyResource(id, a, patientRef)));
        }

        foreach (var (statementId, medicationId, m) in medications)
        {
            bundle.Entry.Add(Entry(statementId, new MedicationStatement
            {
                Id = statementId,
                Status = EnumUtility.ParseLiteral<MedicationStatement.MedicationStatusCodes>(m.Status) ?? MedicationStatement.MedicationStatusCodes.Active,
                Medication = new ResourceReference(Urn(medicationId), m.Display),
                Subject = new ResourceReference(patientRef),
                Effective = m.Start is { } start ? new Period { Start = Date(start) } : null,
                Dosage = [new Dosage { Text = m.DoseText }],
            }));
            bundle.Entry.Add(Entry(medicationId, new Medication
            {
                Id = medicationId,
                Code = new CodeableConcept(FhirSystems.Atc, m.AtcCode, m.Display, m.Display),
            }));
        }

        return bundle;
    }

    private static void Check(PatientSummaryInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(input.Patient, nameof(input));
        ArgumentNullException.ThrowIfNull(input.Author, nameof(input));
        ArgumentNullException.ThrowIfNull(input.Conditions, nameof(input));
        ArgumentNullException.ThrowIfNull(input.Allergies, nameof(input));
        ArgumentNullException.ThrowIfNull(input.Medications, nameof(input));
        if (string.IsNullOrWhiteSpace(input.Patient.NationalId) || string.IsNullOrWhiteSpace(input.Patient.IdentifierSystem))
        {
            throw new ArgumentException("The patient needs a national identifier and its system.", nameof(input));
        }

        if (string.IsNullOrWhiteSpace(input.Patient.FamilyName) || input.Patient.GivenNames is not { Count: > 0 })
        {
            throw new ArgumentException("The patient needs a family name and at least one given name.", nameof(input));
        }

        if (EnumUtility.ParseLiteral<AdministrativeGender>(input.Patient.Gender) is null)
        {
            throw new ArgumentException($"'{input.Patient.Gender}' is not a FHIR administrative gender (male, female, other, unknown).", nameof(input));
        }

        if (string.IsNullOrWhiteSpace(input.Author.OrganizationName))
        {
            throw new ArgumentException("The author needs an organisation name.", nameof(input));
        }
    }

    private static Composition.SectionComponent ProblemsSection(List<(string Id, ConditionRecord Record)> conditions) =>
        Section(
            "Active Problems", IpsCodes.ProblemsSection, "Problem list Reported",
            conditions.Select(c => c.Id),
            conditions.Count == 0
                ? Xhtml.Paragraph("No known problems.")
                : Xhtml.Table(
                    ["Problem", "Code", "Status", "Onset"],
                    conditions.Select(c => (IReadOnlyList<string>)[c.Record.Display, Codes(c.Record), c.Record.ClinicalStatus, c.Record.Onset is { } o ? Date(o) : ""])),
            "No known problems");

    private static Composition.SectionComponent AllergiesSection(List<(string Id, AllergyRecord Record)> allergies) =>
        Section(
            "Allergies and Intolerances", IpsCodes.AllergiesSection, "Allergies and adverse reactions Document",
            allergies.Select(a => a.Id),
            allergies.Count == 0
                ? Xhtml.Paragraph("No known allergies.")
                : Xhtml.Table(
                    ["Allergy", "Category", "Criticality", "Reaction"],
                    allergies.Select(a => (IReadOnlyList<string>)[a.Record.Display, a.Record.Category, a.Record.Criticality, a.Record.Reaction ?? ""])),
            "No known allergies");

    private static Composition.SectionComponent MedicationsSection(List<(string StatementId, string MedicationId, MedicationRecord Record)> medications) =>
        Section(
            "Medication Summary", IpsCodes.MedicationsSection, "History of Medication use Narrative",
            medications.Select(m => m.StatementId),
            medications.Count == 0
                ? Xhtml.Paragraph("No known medication.")
                : Xhtml.Table(
                    ["Medication", "ATC", "Dosage", "Status"],
                    medications.Select(m => (IReadOnlyList<string>)[m.Record.Display, m.Record.AtcCode, m.Record.DoseText, m.Record.Status])),
            "No known medication");

    private static Composition.SectionComponent Section(string title, string code, string display, IEnumerable<string> entryIds, string div, string emptyText)
    {
        var section = new Composition.SectionComponent
        {
            Title = title,
            Code = new CodeableConcept(FhirSystems.Loinc, code, display, null),
            Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = div },
        };
        foreach (var id in entryIds)
        {
            section.Entry.Add(new ResourceReference(Urn(id)));
        }

        if (section.Entry.Count == 0)
        {
            // "Nil known": the source system asserts that there is nothing to list (IPS ips-comp-1).
            section.EmptyReason = new CodeableConcept(FhirSystems.ListEmptyReason, "nilknown", "Nil Known", emptyText);
        }

        return section;
    }

    private static Patient PatientResource(string id, PatientRecord p)
    {
        var patient = new Patient
        {
            Id = id,
            Identifier = [new Identifier(p.IdentifierSystem, p.NationalId)],
            Active = true,
            Name = [new HumanName { Use = HumanName.NameUse.Official, Family = p.FamilyName, Given = p.GivenNames }],
            Gender = EnumUtility.ParseLiteral<AdministrativeGender>(p.Gender),
            BirthDate = Date(p.BirthDate),
        };
        var address = new Address { Country = p.Country, City = p.City, PostalCode = p.PostalCode };
        if (p.AddressLine is not null)
        {
            address.Line = [p.AddressLine];
        }

        patient.Address.Add(address);
        return patient;
    }

    private static Condition ConditionResource(string id, ConditionRecord c, string patientRef)
    {
        var code = new CodeableConcept { Text = c.Display };
        if (c.SnomedCode is not null)
        {
            code.Coding.Add(new Coding(FhirSystems.Snomed, c.SnomedCode, c.Display));
        }

        if (c.Icd10Code is not null)
        {
            code.Coding.Add(new Coding(FhirSystems.Icd10, c.Icd10Code, c.Display));
        }

        return new Condition
        {
            Id = id,
            ClinicalStatus = new CodeableConcept(FhirSystems.ConditionClinical, c.ClinicalStatus),
            VerificationStatus = new CodeableConcept(FhirSystems.ConditionVerification, "confirmed"),
            Category = [new CodeableConcept(FhirSystems.Loinc, "75326-9", "Problem", null)],
            Code = code,
            Subject = new ResourceReference(patientRef),
            Onset = c.Onset is { } onset ? new FhirDateTime(Date(onset)) : null,
        };
    }

    private static AllergyIntolerance AllergyResource(string id, AllergyRecord a, string patientRef)
    {
        var code = new CodeableConcept { Text = a.Display };
        if (a.SnomedCode is not null)
        {
            code.Coding.Add(new Coding(FhirSystems.Snomed, a.SnomedCode, a.Display));
        }

        var allergy = new AllergyIntolerance
        {
            Id = id,
            ClinicalStatus = new CodeableConcept(FhirSystems.AllergyClinical, "active"),
            VerificationStatus = new CodeableConcept(FhirSystems.AllergyVerification, "confirmed"),
            Type = AllergyIntolerance.AllergyIntoleranceType.Allergy,
            Category = EnumUtility.ParseLiteral<AllergyIntolerance.AllergyIntoleranceCategory>(a.Category) is { } category ? [category] : [],
            Criticality = EnumUtility.ParseLiteral<AllergyIntolerance.AllergyIntoleranceCriticality>(a.Criticality),
            Code = code,
            Patient = new ResourceReference(patientRef),
        };
        if (a.Reaction is not null)
        {
            allergy.Reaction.Add(new AllergyIntolerance.ReactionComponent { Manifestation = [new CodeableConcept { Text = a.Reaction }] });
        }

        return allergy;
    }

    private static string Codes(ConditionRecord c) =>
        string.Join(", ", new[] { c.SnomedCode is null ? null : "SNOMED CT " + c.SnomedCode, c.Icd10Code is null ? null : "ICD-10 " + c.Icd10Code }.Where(s => s is not null));

    private static string DisplayName(PatientRecord p) => string.Join(' ', p.GivenNames) + " " + p.FamilyName;

    private static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Urn(string id) => "urn:uuid:" + id;

    private static Bundle.EntryComponent Entry(string id, Resource resource) => new() { FullUrl = Urn(id), Resource = resource };

    /// <summary>Entry ids derived from the document id: UUID-formatted SHA-256(documentId || counter), RFC 9562 version 8.</summary>
    private sealed class EntryIds(Guid documentId)
    {
        private readonly byte[] _seed = documentId.ToByteArray();
        private int _counter;

        public string Next()
        {
            Span<byte> input = stackalloc byte[20];
            _seed.CopyTo(input);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(input[16..], _counter++);
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(input, hash);
            var bytes = hash[..16];
            bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8 (custom)
            bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
            return new Guid(bytes, bigEndian: true).ToString("D");
        }
    }
}
