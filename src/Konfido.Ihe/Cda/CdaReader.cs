using System.Xml.Linq;
using Hl7.Fhir.Model;
using Konfido.Fhir;
using Konfido.Ihe.Soap;

namespace Konfido.Ihe.Cda;

/// <summary>
/// eHDSI pivot CDA (level 3) to FHIR R4: the Patient Summary to an IPS document Bundle, the
/// ePrescription to MedicationRequests, the eDispensation to a MedicationDispense. References: eHDSI
/// CDA Display/Pivot specifications (templates 1.3.6.1.4.1.12559.11.10.1.3.1.*), IHE PCC TF-2, HL7 IPS
/// IG 1.1, HL7 "C-CDA on FHIR" mapping conventions. Whatever is not mapped goes to the report.
/// </summary>
internal sealed class CdaReader(CodeMaps maps)
{
    private static readonly XNamespace V3 = IheNames.Hl7;

    public TransformationResult<Bundle> PatientSummary(XDocument document)
    {
        var report = new TransformationReport();
        var data = new Hl7Data(maps, report);
        var root = Root(document, IheDocumentClass.PatientSummary);
        var bundle = new Bundle
        {
            Id = Guid.NewGuid().ToString("D"),
            Meta = new Meta { Profile = [FhirSystems.IpsBundleProfile] },
            Type = Bundle.BundleType.Document,
            Timestamp = DateTimeOffset.UtcNow,
            Identifier = DocumentIdentifier(root.Element(V3 + "id")),
        };
        var patient = ReadPatient(root, data);
        var patientUrl = Add(bundle, patient);
        var composition = new Composition
        {
            Id = NewId(),
            Status = CompositionStatus.Final,
            Type = new CodeableConcept(FhirSystems.Loinc, IheDocumentClass.PatientSummary.Code(), "Patient summary Document", null),
            Subject = new ResourceReference(patientUrl, Hl7Data.Display(patient.Name.FirstOrDefault())),
            Date = Hl7Data.FhirTime(root.Element(V3 + "effectiveTime").Attr("value")) ?? DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture),
            Title = Hl7Data.Normalise(root.Element(V3 + "title")?.Value) ?? "Patient Summary",
        };
        bundle.Entry.Insert(0, new Bundle.EntryComponent { FullUrl = "urn:uuid:" + composition.Id, Resource = composition });
        ReadConfidentiality(root, composition, report);
        var (authorUrl, organisationUrl) = ReadAuthor(root, bundle, data);
        composition.Author.Add(new ResourceReference(authorUrl ?? organisationUrl ?? patientUrl));
        if (organisationUrl is not null)
        {
            composition.Custodian = new ResourceReference(organisationUrl);
        }

        ReadHeaderRest(root, composition, report);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var section in root.Element(V3 + "component")?.Element(V3 + "structuredBody")?.Elements(V3 + "component").Select(c => c.Element(V3 + "section")).OfType<XElement>() ?? [])
        {
            var code = section.Element(V3 + "code").Attr("code");
            var row = code is null ? null : maps.Section(code);
            var target = new Composition.SectionComponent
            {
                Title = Hl7Data.Normalise(section.Element(V3 + "title")?.Value) ?? row?.Title ?? "Section",
                Code = code is null ? null : new CodeableConcept(FhirSystems.Loinc, code, section.Element(V3 + "code").Attr("displayName"), null),
                Text = SectionNarrative(section),
            };
            composition.Section.Add(target);
            if (row is null)
            {
                report.Unmapped(Hl7Data.Path(section), $"section {code ?? "(no code)"} is not in the section table; its narrative is carried, its {section.Elements(V3 + "entry").Count()} coded entries are not");
                continue;
            }

            seen.Add(row.Loinc);
            foreach (var entry in section.Elements(V3 + "entry"))
            {
                var resources = ReadEntry(row, entry, section, patientUrl, data);
                foreach (var resource in resources)
                {
                    target.Entry.Add(new ResourceReference(Add(bundle, resource)));
                }
            }

            if (target.Entry.Count == 0 && target.Text is null)
            {
                target.EmptyReason = new CodeableConcept(FhirSystems.ListEmptyReason, "unavailable", "Unavailable", null);
            }
        }

        foreach (var row in maps.SectionOrder.Where(r => r.Required && !seen.Contains(r.Loinc)))
        {
            composition.Section.Add(new Composition.SectionComponent
            {
                Title = row.Title,
                Code = new CodeableConcept(FhirSystems.Loinc, row.Loinc, row.Title, null),
                Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = Hl7Data.XhtmlParagraph("No information.") },
                EmptyReason = new CodeableConcept(FhirSystems.ListEmptyReason, "unavailable", "Unavailable", null),
            });
            report.Info("/ClinicalDocument", $"IPS requires section {row.Loinc} ({row.Title}); the CDA has none, so it was added empty (emptyReason unavailable)");
        }

        foreach (var section in composition.Section.Where(s => s.Entry.Count == 0 && s.EmptyReason is null))
        {
            section.EmptyReason = new CodeableConcept(FhirSystems.ListEmptyReason, "unavailable", "Unavailable", null);
        }

        return new TransformationResult<Bundle>(bundle, report);
    }

    public TransformationResult<IReadOnlyList<MedicationRequest>> Prescriptions(XDocument document)
    {
        var report = new TransformationReport();
        var data = new Hl7Data(maps, report);
        var root = Root(document, IheDocumentClass.EPrescription);
        var patient = ReadPatient(root, data);
        var subject = new ResourceReference { Identifier = patient.Identifier.First(), Display = Hl7Data.Display(patient.Name.FirstOrDefault()) is { Length: > 0 } shown ? shown : null };
        var author = root.Element(V3 + "author");
        var prescriber = Hl7Data.Display(Hl7Data.Name(author?.Element(V3 + "assignedAuthor")?.Element(V3 + "assignedPerson")?.Element(V3 + "name")));
        var authored = Hl7Data.FhirTime(author?.Element(V3 + "time").Attr("value"));
        var requests = new List<MedicationRequest>();
        foreach (var section in Sections(root))
        {
            foreach (var entry in section.Elements(V3 + "entry"))
            {
                var administration = entry.Element(V3 + "substanceAdministration");
                if (administration is null)
                {
                    report.Unmapped(Hl7Data.Path(entry), "an ePrescription entry that is not a substanceAdministration");
                    continue;
                }

                var id = administration.Element(V3 + "id");
                var identifier = Hl7Data.Identifier(id);
                var rx = new MedicationRequest
                {
                    Id = identifier?.Value ?? NewId(),
                    Status = administration.Element(V3 + "statusCode").Attr("code") == "completed" ? MedicationRequest.MedicationrequestStatus.Completed : MedicationRequest.MedicationrequestStatus.Active,
                    Intent = MedicationRequest.MedicationRequestIntent.Order,
                    Subject = subject,
                    AuthoredOn = authored,
                    Requester = string.IsNullOrEmpty(prescriber) ? null : new ResourceReference { Display = prescriber },
                };
                if (identifier is not null)
                {
                    rx.Identifier.Add(identifier);
                }
                else
                {
                    report.Lossy(Hl7Data.Path(administration), "the prescription item has no id; a random one was assigned (it cannot be dispensed against)");
                }

                rx.Medication = ReadProduct(administration.Element(V3 + "consumable")?.Element(V3 + "manufacturedProduct"), section, rx, data);
                var dosage = new Dosage { Text = DosageText(administration, section) };
                ReadTiming(administration, dosage, data);
                rx.DosageInstruction.Add(dosage);
                var supply = administration.Elements(V3 + "entryRelationship").Select(r => r.Element(V3 + "supply")).FirstOrDefault(s => s is not null);
                if (Hl7Data.Quantity(supply?.Element(V3 + "quantity")) is { } quantity)
                {
                    rx.DispenseRequest = new MedicationRequest.DispenseRequestComponent { Quantity = quantity };
                }

                ReportRelationships(administration, data, "SUBJ", "COMP", "REFR");
                report.Mapped();
                requests.Add(rx);
            }
        }

        return new TransformationResult<IReadOnlyList<MedicationRequest>>(requests, report);
    }

    public TransformationResult<MedicationDispense> Dispensation(XDocument document)
    {
        var report = new TransformationReport();
        var data = new Hl7Data(maps, report);
        var root = Root(document, IheDocumentClass.EDispensation);
        var patient = ReadPatient(root, data);
        var supply = Sections(root).SelectMany(s => s.Elements(V3 + "entry")).Select(e => e.Element(V3 + "supply")).FirstOrDefault(s => s is not null)
            ?? throw new CdaFormatException("the eDispensation has no supply entry");
        var section = supply.Ancestors(V3 + "section").First();
        var prescription = supply.Elements(V3 + "entryRelationship").Where(r => r.Attr("typeCode") == "REFR")
            .Select(r => r.Element(V3 + "substanceAdministration")?.Element(V3 + "id").Attr("extension")).FirstOrDefault(x => x is not null)
            ?? root.Element(V3 + "inFulfillmentOf")?.Element(V3 + "order")?.Element(V3 + "id").Attr("extension")
            ?? throw new CdaFormatException("the eDispensation names no prescription (REFR substanceAdministration/id or inFulfillmentOf/order/id)");
        var dispense = new MedicationDispense
        {
            Id = NewId(),
            Status = MedicationDispense.MedicationDispenseStatusCodes.Completed,
            AuthorizingPrescription = [new ResourceReference("MedicationRequest/" + prescription)],
            Subject = new ResourceReference { Identifier = patient.Identifier.First(), Display = Hl7Data.Display(patient.Name.FirstOrDefault()) is { Length: > 0 } shown ? shown : null },
        };
        var product = supply.Element(V3 + "product")?.Element(V3 + "manufacturedProduct");
        var medication = ReadProduct(product, section, dispense, data);
        dispense.Medication = medication;
        dispense.Quantity = Hl7Data.Quantity(supply.Element(V3 + "quantity"));
        var performer = supply.Element(V3 + "performer")?.Element(V3 + "assignedEntity");
        var author = root.Element(V3 + "author")?.Element(V3 + "assignedAuthor");
        var person = Hl7Data.Display(Hl7Data.Name((performer ?? author)?.Element(V3 + "assignedPerson")?.Element(V3 + "name")));
        var organisation = Hl7Data.Normalise((performer ?? author)?.Element(V3 + "representedOrganization")?.Element(V3 + "name")?.Value);
        var who = string.Join(", ", new[] { person, organisation }.Where(s => !string.IsNullOrEmpty(s)));
        if (who.Length > 0)
        {
            dispense.Performer.Add(new MedicationDispense.PerformerComponent { Actor = new ResourceReference { Display = who } });
        }

        dispense.WhenHandedOver = Hl7Data.FhirTime(supply.Element(V3 + "performer")?.Element(V3 + "time").Attr("value") ?? root.Element(V3 + "effectiveTime").Attr("value"));
        var country = new[] { author?.Element(V3 + "representedOrganization")?.Element(V3 + "addr"), author?.Element(V3 + "addr"), performer?.Element(V3 + "representedOrganization")?.Element(V3 + "addr") }
            .Select(a => Hl7Data.Normalise(a?.Element(V3 + "country")?.Value)).FirstOrDefault(c => c is { Length: 2 } && c.All(char.IsAsciiLetter));
        if (country is not null)
        {
            dispense.Contained.Add(new Location { Id = "dispensing-location", Name = organisation ?? who, Address = new Address { Country = country.ToUpperInvariant() } });
            dispense.Location = new ResourceReference("#dispensing-location");
        }
        else
        {
            report.Lossy("/ClinicalDocument/author", "no two-letter dispensing country in the author's or performer's address; MedicationDispense.location is absent");
        }

        var text = Hl7Data.Text(section.Element(V3 + "text"), section);
        if (text is not null)
        {
            dispense.Note.Add(new Annotation { Text = text });
        }

        ReportRelationships(supply, data, "REFR");
        foreach (var participant in supply.Elements(V3 + "participant"))
        {
            report.Unmapped(Hl7Data.Path(participant), "supply participant (e.g. the dispensing licence) has no MedicationDispense element");
        }

        report.Mapped();
        return new TransformationResult<MedicationDispense>(dispense, report);
    }

    private static XElement Root(XDocument document, IheDocumentClass expected)
    {
        var root = document.Root;
        if (root?.Name != V3 + "ClinicalDocument")
        {
            throw new CdaFormatException("the document is not an HL7 CDA ClinicalDocument");
        }

        var code = root.Element(V3 + "code").Attr("code");
        if (IheDocumentClasses.FromCode(code) != expected)
        {
            throw new CdaFormatException($"the document code is {code ?? "missing"}, not {expected} ({expected.Code()})");
        }

        return root;
    }

    private static IEnumerable<XElement> Sections(XElement root) =>
        root.Element(V3 + "component")?.Element(V3 + "structuredBody")?.Elements(V3 + "component").Select(c => c.Element(V3 + "section")).OfType<XElement>() ?? [];

    private static Identifier? DocumentIdentifier(XElement? id)
    {
        if (id?.Attr("root") is not { } root)
        {
            return null;
        }

        return id.Attr("extension") is { } extension
            ? new Identifier("urn:oid:" + root, extension)
            : new Identifier("urn:ietf:rfc:3986", Guid.TryParse(root, out var uuid) ? "urn:uuid:" + uuid.ToString("D") : "urn:oid:" + root);
    }

    private static Patient ReadPatient(XElement root, Hl7Data data)
    {
        var role = root.Element(V3 + "recordTarget")?.Element(V3 + "patientRole") ?? throw new CdaFormatException("the document has no recordTarget/patientRole");
        var patient = new Patient { Id = NewId() };
        foreach (var id in role.Elements(V3 + "id"))
        {
            if (Hl7Data.Identifier(id) is { } identifier)
            {
                patient.Identifier.Add(identifier);
            }
        }

        if (patient.Identifier.Count == 0)
        {
            throw new CdaFormatException("the patient has no identifier (recordTarget/patientRole/id with an extension)");
        }

        var person = role.Element(V3 + "patient");
        foreach (var name in person?.Elements(V3 + "name") ?? [])
        {
            if (Hl7Data.Name(name) is { } parsed)
            {
                patient.Name.Add(parsed);
            }
        }

        var gender = person?.Element(V3 + "administrativeGenderCode").Attr("code");
        if (gender is not null)
        {
            patient.Gender = Hl7.Fhir.Utility.EnumUtility.ParseLiteral<AdministrativeGender>(data.Maps.Value("gender", gender) ?? "unknown");
        }

        patient.BirthDate = Hl7Data.FhirTime(person?.Element(V3 + "birthTime").Attr("value")) is { Length: >= 4 } birth ? birth[..Math.Min(10, birth.Length)] : null;
        foreach (var addr in role.Elements(V3 + "addr").Where(a => a.Attr("nullFlavor") is null))
        {
            patient.Address.Add(new Address
            {
                Line = addr.Elements(V3 + "streetAddressLine").Select(l => Hl7Data.Normalise(l.Value)).OfType<string>().ToList(),
                City = Hl7Data.Normalise(addr.Element(V3 + "city")?.Value),
                PostalCode = Hl7Data.Normalise(addr.Element(V3 + "postalCode")?.Value),
                Country = Hl7Data.Normalise(addr.Element(V3 + "country")?.Value),
            });
        }

        foreach (var telecom in role.Elements(V3 + "telecom").Where(t => t.Attr("value") is not null))
        {
            var value = telecom.Attr("value")!;
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            patient.Telecom.Add(new ContactPoint(value.StartsWith("mailto:", StringComparison.Ordinal) ? ContactPoint.ContactPointSystem.Email : ContactPoint.ContactPointSystem.Phone,
                null, colon >= 0 ? value[(colon + 1)..] : value));
        }

        if (person?.Element(V3 + "languageCommunication") is { } language && language.Attr("nullFlavor") is null)
        {
            data.Report.Unmapped(Hl7Data.Path(language), "the patient's languageCommunication is not mapped");
        }

        return patient;
    }

    private static void ReadConfidentiality(XElement root, Composition composition, TransformationReport report)
    {
        var code = root.Element(V3 + "confidentialityCode").Attr("code");
        if (code is null)
        {
            return;
        }

        if (Hl7.Fhir.Utility.EnumUtility.ParseLiteral<Composition.V3ConfidentialityClassification>(code) is { } level)
        {
            composition.Confidentiality = level;
        }
        else
        {
            composition.Confidentiality = Composition.V3ConfidentialityClassification.N;
            report.Lossy("/ClinicalDocument/confidentialityCode", $"confidentiality '{code}' is not an R4 ConfidentialityClassification (U, L, M, N, R, V); written as N");
        }
    }

    private static (string? Author, string? Organisation) ReadAuthor(XElement root, Bundle bundle, Hl7Data data)
    {
        var assigned = root.Element(V3 + "author")?.Element(V3 + "assignedAuthor");
        string? authorUrl = null, organisationUrl = null;
        if (Hl7Data.Name(assigned?.Element(V3 + "assignedPerson")?.Element(V3 + "name")) is { } name)
        {
            var practitioner = new Practitioner { Id = NewId(), Name = [name] };
            if (Hl7Data.Identifier(assigned!.Element(V3 + "id")) is { } id)
            {
                practitioner.Identifier.Add(id);
            }

            authorUrl = Add(bundle, practitioner);
        }

        var org = assigned?.Element(V3 + "representedOrganization") ?? root.Element(V3 + "custodian")?.Descendants(V3 + "representedCustodianOrganization").FirstOrDefault();
        if (Hl7Data.Normalise(org?.Element(V3 + "name")?.Value) is { } orgName)
        {
            var organisation = new Organization { Id = NewId(), Name = orgName, Active = true };
            if (Hl7Data.Normalise(org!.Element(V3 + "addr")?.Element(V3 + "country")?.Value) is { } country)
            {
                organisation.Address.Add(new Address { Country = country });
            }

            if (Hl7Data.Identifier(org.Element(V3 + "id")) is { } id)
            {
                organisation.Identifier.Add(id);
            }

            organisationUrl = Add(bundle, organisation);
        }

        if (authorUrl is null && organisationUrl is null)
        {
            data.Report.Lossy("/ClinicalDocument/author", "the author has neither a person nor an organisation name; the patient is named as author");
        }

        return (authorUrl, organisationUrl);
    }

    private static void ReadHeaderRest(XElement root, Composition composition, TransformationReport report)
    {
        if (root.Element(V3 + "legalAuthenticator") is { } legal)
        {
            composition.Attester.Add(new Composition.AttesterComponent
            {
                Mode = Composition.CompositionAttestationMode.Legal,
                Time = Hl7Data.FhirTime(legal.Element(V3 + "time").Attr("value")),
                Party = new ResourceReference { Display = Hl7Data.Display(Hl7Data.Name(legal.Element(V3 + "assignedEntity")?.Element(V3 + "assignedPerson")?.Element(V3 + "name"))) },
            });
        }

        foreach (var related in root.Elements(V3 + "relatedDocument"))
        {
            var code = related.Attr("typeCode") switch
            {
                "XFRM" => DocumentRelationshipType.Transforms,
                "APND" => DocumentRelationshipType.Appends,
                "RPLC" => DocumentRelationshipType.Replaces,
                _ => (DocumentRelationshipType?)null,
            };
            var id = Hl7Data.Identifier(related.Element(V3 + "parentDocument")?.Element(V3 + "id"));
            if (code is null || id is null)
            {
                report.Unmapped(Hl7Data.Path(related), $"relatedDocument {related.Attr("typeCode")} without a usable parent id");
                continue;
            }

            composition.RelatesTo.Add(new Composition.RelatesToComponent { Code = code, Target = id });
        }

        if (root.Element(V3 + "documentationOf")?.Element(V3 + "serviceEvent") is { } service)
        {
            var time = service.Element(V3 + "effectiveTime");
            composition.Event.Add(new Composition.EventComponent
            {
                Code = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ActClass", "PCPR", "care provision", null)],
                Period = new Period { Start = Hl7Data.FhirTime(time?.Element(V3 + "low").Attr("value")), End = Hl7Data.FhirTime(time?.Element(V3 + "high").Attr("value")) },
            });
        }

        foreach (var participant in root.Elements(V3 + "participant"))
        {
            report.Unmapped(Hl7Data.Path(participant), $"header participant ({participant.Attr("typeCode")}, e.g. contact person or preferred HCP) has no IPS Composition element");
        }
    }

    private static Narrative? SectionNarrative(XElement section)
    {
        var text = Hl7Data.Normalise(section.Element(V3 + "text")?.Value);
        return text is null ? null : new Narrative { Status = Hl7.Fhir.Model.Narrative.NarrativeStatus.Additional, Div = Hl7Data.XhtmlParagraph(text) };
    }

    private IEnumerable<Resource> ReadEntry(PatientSummarySection row, XElement entry, XElement section, string patientUrl, Hl7Data data)
    {
        var act = entry.Elements().FirstOrDefault(e => e.Name.Namespace == V3 && e.Name.LocalName is not ("templateId" or "id"));
        if (act is null)
        {
            yield break;
        }

        if (act.Attr("nullFlavor") is not null)
        {
            data.Report.Info(Hl7Data.Path(act), $"a null-flavoured ({act.Attr("nullFlavor")}) {act.Name.LocalName}: nothing to map");
            yield break;
        }

        switch (row.Entries)
        {
            case "allergy" when act.Name.LocalName == "act":
                foreach (var observation in Subjects(act))
                {
                    yield return Allergy(act, observation, section, patientUrl, data);
                }

                break;
            case "problem" when act.Name.LocalName == "act":
                foreach (var observation in Subjects(act))
                {
                    yield return Problem(act, observation, section, patientUrl, data, row.Loinc == "11348-0");
                }

                break;
            case "medication" when act.Name.LocalName == "substanceAdministration":
                foreach (var resource in MedicationStatement(act, section, patientUrl, data))
                {
                    yield return resource;
                }

                break;
            case "procedure" when act.Name.LocalName == "procedure":
                data.Report.Mapped();
                yield return new Procedure
                {
                    Id = NewId(),
                    Status = EventStatus.Completed,
                    Code = data.Concept(act.Element(V3 + "code"), section) ?? new CodeableConcept { Text = Hl7Data.Text(act.Element(V3 + "text"), section) },
                    Subject = new ResourceReference(patientUrl),
                    Performed = Time(act.Element(V3 + "effectiveTime")) is { } when ? new FhirDateTime(when) : null,
                };
                break;
            case "immunization" when act.Name.LocalName == "substanceAdministration":
                var material = act.Element(V3 + "consumable")?.Element(V3 + "manufacturedProduct")?.Element(V3 + "manufacturedMaterial");
                var vaccine = data.Concept(material?.Element(V3 + "code"), section) ?? new CodeableConcept();
                vaccine.Text ??= Hl7Data.Normalise(material?.Element(V3 + "name")?.Value);
                data.Report.Mapped();
                yield return new Immunization
                {
                    Id = NewId(),
                    Status = Immunization.ImmunizationStatusCodes.Completed,
                    VaccineCode = vaccine,
                    Patient = new ResourceReference(patientUrl),
                    Occurrence = new FhirDateTime(Time(act.Element(V3 + "effectiveTime")) ?? "1900"),
                    DoseQuantity = Hl7Data.Quantity(act.Element(V3 + "doseQuantity")),
                };
                break;
            case "vital-sign" when act.Name.LocalName is "organizer" or "observation":
                foreach (var observation in act.Name.LocalName == "observation" ? [act] : act.Elements(V3 + "component").Select(c => c.Element(V3 + "observation")).OfType<XElement>())
                {
                    data.Report.Mapped();
                    yield return new Observation
                    {
                        Id = NewId(),
                        Status = ObservationStatus.Final,
                        Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs", null)],
                        Code = data.Concept(observation.Element(V3 + "code"), section) ?? new CodeableConcept { Text = "vital sign" },
                        Subject = new ResourceReference(patientUrl),
                        Effective = Time(observation.Element(V3 + "effectiveTime")) is { } measured ? new FhirDateTime(measured) : null,
                        Value = Hl7Data.Quantity(observation.Element(V3 + "value")),
                    };
                }

                break;
            default:
                data.Report.Unmapped(Hl7Data.Path(act), row.Entries == "none"
                    ? $"{row.Title} entries ({act.Name.LocalName}) are not mapped to FHIR resources; the section narrative is carried"
                    : $"a {act.Name.LocalName} entry where a {row.Entries} entry was expected");
                break;
        }
    }

    private static IEnumerable<XElement> Subjects(XElement act) =>
        act.Elements(V3 + "entryRelationship").Where(r => r.Attr("typeCode") == "SUBJ").Select(r => r.Element(V3 + "observation")).OfType<XElement>();

    private static string? Time(XElement? ivl) =>
        Hl7Data.FhirTime(ivl.Attr("value") ?? ivl?.Element(V3 + "low").Attr("value"));

    private AllergyIntolerance Allergy(XElement act, XElement observation, XElement section, string patientUrl, Hl7Data data)
    {
        var typeCode = observation.Element(V3 + "code").Attr("code");
        var type = typeCode is null ? null : maps.AllergyType(typeCode);
        if (typeCode is not null && type is null)
        {
            data.Report.Lossy(Hl7Data.Path(observation), $"allergy observation code {typeCode} is not in the allergy-type table; type and category left empty");
        }

        var agent = observation.Element(V3 + "participant")?.Element(V3 + "participantRole")?.Element(V3 + "playingEntity")?.Element(V3 + "code");
        var code = data.Concept(agent, section) ?? data.Concept(observation.Element(V3 + "value"), section)
            ?? new CodeableConcept { Text = Hl7Data.Text(observation.Element(V3 + "text"), section) ?? "Unknown substance" };
        var allergy = new AllergyIntolerance
        {
            Id = NewId(),
            ClinicalStatus = new CodeableConcept(FhirSystems.AllergyClinical, act.Element(V3 + "statusCode").Attr("code") == "active" ? "active" : "resolved"),
            Type = type?.Type is { } t ? Hl7.Fhir.Utility.EnumUtility.ParseLiteral<AllergyIntolerance.AllergyIntoleranceType>(t) : null,
            Category = type?.Category is { } c && Hl7.Fhir.Utility.EnumUtility.ParseLiteral<AllergyIntolerance.AllergyIntoleranceCategory>(c) is { } category ? [category] : [],
            Code = code,
            Patient = new ResourceReference(patientUrl),
            Onset = Time(observation.Element(V3 + "effectiveTime")) is { } onset ? new FhirDateTime(onset) : null,
        };
        foreach (var relation in observation.Elements(V3 + "entryRelationship"))
        {
            var inner = relation.Element(V3 + "observation");
            if (relation.Attr("typeCode") == "MFST" && inner is not null)
            {
                var manifestation = data.Concept(inner.Element(V3 + "value"), section) ?? new CodeableConcept { Text = Hl7Data.Text(inner.Element(V3 + "text"), section) };
                allergy.Reaction.Add(new AllergyIntolerance.ReactionComponent { Manifestation = [manifestation] });
            }
            else if (inner?.Element(V3 + "code").Attr("code") == "82606-5" && inner.Element(V3 + "value").Attr("code") is { } critical)
            {
                allergy.Criticality = critical switch
                {
                    "CRITL" => AllergyIntolerance.AllergyIntoleranceCriticality.Low,
                    "CRITH" => AllergyIntolerance.AllergyIntoleranceCriticality.High,
                    _ => AllergyIntolerance.AllergyIntoleranceCriticality.UnableToAssess,
                };
            }
            else
            {
                data.Report.Unmapped(Hl7Data.Path(relation), $"allergy entryRelationship {relation.Attr("typeCode")} (severity or status observation) is not mapped");
            }
        }

        data.Report.Mapped();
        return allergy;
    }

    private Condition Problem(XElement act, XElement observation, XElement section, string patientUrl, Hl7Data data, bool pastIllness)
    {
        var status = act.Element(V3 + "statusCode").Attr("code") ?? "active";
        var clinical = maps.Value("problemStatus", status) ?? "active";
        var time = observation.Element(V3 + "effectiveTime");
        var condition = new Condition
        {
            Id = NewId(),
            ClinicalStatus = new CodeableConcept(FhirSystems.ConditionClinical, pastIllness && clinical == "active" && time?.Element(V3 + "high").Attr("value") is not null ? "resolved" : clinical),
            Category = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item", "Problem List Item", null)],
            Code = data.Concept(observation.Element(V3 + "value"), section) ?? new CodeableConcept { Text = Hl7Data.Text(observation.Element(V3 + "text"), section) ?? "Unknown problem" },
            Subject = new ResourceReference(patientUrl),
            Onset = Hl7Data.FhirTime(time?.Element(V3 + "low").Attr("value") ?? time.Attr("value")) is { } onset ? new FhirDateTime(onset) : null,
            Abatement = Hl7Data.FhirTime(time?.Element(V3 + "high").Attr("value")) is { } end ? new FhirDateTime(end) : null,
        };
        ReportRelationships(observation, data);
        data.Report.Mapped();
        return condition;
    }

    private IEnumerable<Resource> MedicationStatement(XElement administration, XElement section, string patientUrl, Hl7Data data)
    {
        var statement = new MedicationStatement
        {
            Id = NewId(),
            Status = Hl7.Fhir.Utility.EnumUtility.ParseLiteral<MedicationStatement.MedicationStatusCodes>(maps.Value("medicationStatus", administration.Element(V3 + "statusCode").Attr("code") ?? "active") ?? "active"),
            Subject = new ResourceReference(patientUrl),
        };
        var medication = ReadProduct(administration.Element(V3 + "consumable")?.Element(V3 + "manufacturedProduct"), section, statement, data);
        var medicationResource = new Medication { Id = NewId() };
        if (medication is CodeableConcept concept)
        {
            medicationResource.Code = concept;
        }
        else if (medication is ResourceReference { Reference: { } local } && statement.Contained.OfType<Medication>().FirstOrDefault(m => "#" + m.Id == local) is { } contained)
        {
            statement.Contained.Remove(contained);
            medicationResource = contained;
            medicationResource.Id = NewId();
        }

        statement.Medication = new ResourceReference("urn:uuid:" + medicationResource.Id, medicationResource.Code?.Text);
        var interval = administration.Elements(V3 + "effectiveTime").FirstOrDefault(e => (e.Attribute(IheNames.Xsi + "type")?.Value ?? "IVL_TS").EndsWith("IVL_TS", StringComparison.Ordinal));
        if (interval is not null)
        {
            statement.Effective = new Period { Start = Hl7Data.FhirTime(interval.Element(V3 + "low").Attr("value") ?? interval.Attr("value")), End = Hl7Data.FhirTime(interval.Element(V3 + "high").Attr("value")) };
        }

        var dosage = new Dosage { Text = DosageText(administration, section) };
        ReadTiming(administration, dosage, data);
        statement.Dosage.Add(dosage);
        ReportRelationships(administration, data);
        data.Report.Mapped();
        yield return statement;
        yield return medicationResource;
    }

    private static string? DosageText(XElement administration, XElement section)
    {
        var instructions = administration.Elements(V3 + "entryRelationship").Select(r => r.Element(V3 + "act"))
            .FirstOrDefault(a => a?.Element(V3 + "code").Attr("code") == "PINSTRUCT");
        return Hl7Data.Text(instructions?.Element(V3 + "text"), section) ?? Hl7Data.Text(administration.Element(V3 + "text"), section);
    }

    private static void ReadTiming(XElement administration, Dosage dosage, Hl7Data data)
    {
        var rate = new Dosage.DoseAndRateComponent();
        var dose = administration.Element(V3 + "doseQuantity");
        if (Hl7Data.Quantity(dose) is { } single)
        {
            rate.Dose = single;
        }
        else if (dose?.Element(V3 + "low") is { } low)
        {
            rate.Dose = new Hl7.Fhir.Model.Range { Low = Hl7Data.Quantity(low), High = Hl7Data.Quantity(dose.Element(V3 + "high")) };
        }

        if (rate.Dose is not null)
        {
            dosage.DoseAndRate.Add(rate);
        }

        foreach (var time in administration.Elements(V3 + "effectiveTime"))
        {
            var type = time.Attribute(IheNames.Xsi + "type")?.Value ?? "IVL_TS";
            if (type.EndsWith("PIVL_TS", StringComparison.Ordinal) && Hl7Data.Quantity(time.Element(V3 + "period")) is { } period)
            {
                var unit = period.Code ?? period.Unit;
                dosage.Timing ??= new Timing();
                dosage.Timing.Repeat = new Timing.RepeatComponent { Frequency = 1, Period = period.Value, PeriodUnit = Hl7.Fhir.Utility.EnumUtility.ParseLiteral<Timing.UnitsOfTime>(unit ?? "d") };
            }
            else if (type.EndsWith("EIVL_TS", StringComparison.Ordinal) && time.Element(V3 + "event").Attr("code") is { } when)
            {
                dosage.Timing ??= new Timing();
                dosage.Timing.Repeat ??= new Timing.RepeatComponent();
                if (Hl7.Fhir.Utility.EnumUtility.ParseLiteral<Timing.EventTiming>(when) is { } timing)
                {
                    dosage.Timing.Repeat.When = [timing];
                }
                else
                {
                    data.Report.Lossy(Hl7Data.Path(time), $"timing event {when} is not a FHIR EventTiming");
                }
            }
            else if (!type.EndsWith("IVL_TS", StringComparison.Ordinal) && time.Attr("nullFlavor") is null)
            {
                data.Report.Unmapped(Hl7Data.Path(time), $"effectiveTime of type {type} is not mapped");
            }
        }
    }

    /// <summary>The product as a CodeableConcept, or a reference to a contained Medication when it has a form or strengths.</summary>
    private DataType ReadProduct(XElement? product, XElement section, DomainResource owner, Hl7Data data)
    {
        var material = Hl7Data.Any(product, "manufacturedMaterial");
        if (material is null)
        {
            data.Report.Lossy(section.Name.LocalName, "a medication entry without manufacturedMaterial");
            return new CodeableConcept { Text = "Unknown medication" };
        }

        var concept = data.Concept(Hl7Data.Any(material, "code"), section) ?? new CodeableConcept();
        var general = Hl7Data.Any(Hl7Data.Any(Hl7Data.Any(material, "asSpecializedKind"), "generalizedMaterialKind"), "code");
        foreach (var coded in new[] { general }.Concat(Hl7Data.AnyAll(material, "ingredient").Select(i => Hl7Data.Any(Hl7Data.Any(i, "ingredientSubstance") ?? Hl7Data.Any(i, "ingredient"), "code"))))
        {
            if (coded is not null && data.Coding(coded) is { } coding && coding.System == "http://www.whocc.no/atc" && !concept.Coding.Any(c => c.System == coding.System && c.Code == coding.Code))
            {
                concept.Coding.Add(coding);
            }
        }

        concept.Text = Hl7Data.Normalise(Hl7Data.Any(material, "name")?.Value) ?? concept.Text ?? concept.Coding.FirstOrDefault()?.Display;
        var form = Hl7Data.Any(material, "formCode");
        var ingredients = Hl7Data.AnyAll(material, "ingredient").ToList();
        if ((form is null || form.Attr("nullFlavor") is not null) && ingredients.Count == 0)
        {
            return concept;
        }

        var medication = new Medication { Id = "med" + owner.Contained.Count, Code = concept };
        if (form?.Attr("code") is { } formCode)
        {
            var display = maps.DoseForm(formCode);
            if (display is null)
            {
                data.Report.Lossy(Hl7Data.Path(form), $"dose form {formCode} is not in the EDQM table; carried without a checked display");
            }

            medication.Form = new CodeableConcept("http://standardterms.edqm.eu", formCode, display ?? form.Attr("displayName"), display ?? form.Attr("displayName"));
        }

        foreach (var ingredient in ingredients)
        {
            var substance = Hl7Data.Any(ingredient, "ingredientSubstance") ?? Hl7Data.Any(ingredient, "ingredient");
            var item = data.Concept(Hl7Data.Any(substance, "code"), section) ?? new CodeableConcept();
            item.Text ??= Hl7Data.Normalise(Hl7Data.Any(substance, "name")?.Value);
            var quantity = Hl7Data.Any(ingredient, "quantity");
            medication.Ingredient.Add(new Medication.IngredientComponent
            {
                Item = item,
                IsActive = ingredient.Attr("classCode") == "ACTI",
                Strength = quantity is null ? null : new Ratio { Numerator = Hl7Data.Quantity(Hl7Data.Any(quantity, "numerator")), Denominator = Hl7Data.Quantity(Hl7Data.Any(quantity, "denominator")) },
            });
        }

        if (Hl7Data.Any(material, "asContent") is { } content)
        {
            data.Report.Lossy(Hl7Data.Path(content), "the package (asContent: package size and type) is not carried");
        }

        owner.Contained.Add(medication);
        return new ResourceReference("#" + medication.Id, concept.Text);
    }

    private static void ReportRelationships(XElement act, Hl7Data data, params string[] handled)
    {
        foreach (var relation in act.Elements(V3 + "entryRelationship"))
        {
            var inner = relation.Elements().FirstOrDefault(e => e.Name.LocalName != "templateId");
            var code = inner?.Element(V3 + "code").Attr("code");
            if (handled.Contains(relation.Attr("typeCode")) && (inner?.Name.LocalName is "supply" or "substanceAdministration" || code is "PINSTRUCT"))
            {
                continue;
            }

            data.Report.Unmapped(Hl7Data.Path(relation), $"entryRelationship {relation.Attr("typeCode")} ({inner?.Name.LocalName} {code}) is not mapped");
        }
    }

    private static string Add(Bundle bundle, Resource resource)
    {
        resource.Id ??= NewId();
        var url = "urn:uuid:" + resource.Id;
        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = url, Resource = resource });
        return url;
    }

    private static string NewId() => Guid.NewGuid().ToString("D");
}
