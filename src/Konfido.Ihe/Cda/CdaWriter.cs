using System.Globalization;
using System.Xml.Linq;
using Hl7.Fhir.Model;
using Konfido.Fhir;

namespace Konfido.Ihe.Cda;

/// <summary>
/// FHIR R4 to eHDSI pivot CDA (level 3): an IPS Bundle to a Patient Summary, MedicationRequests to an
/// ePrescription, a MedicationDispense to an eDispensation. Template ids as in the eHDSI pivot
/// (1.3.6.1.4.1.12559.11.10.1.3.1.1.1 ePrescription, .1.1.2 eDispensation, .1.1.3 Patient Summary).
/// Every FHIR element that has no place in the CDA goes to the report.
/// </summary>
internal sealed class CdaWriter(CodeMaps maps)
{
    private static readonly XNamespace V3 = IheNames.Hl7, Pharm = IheNames.Pharm, Xsi = IheNames.Xsi;

    public TransformationResult<XDocument> PatientSummary(Bundle bundle)
    {
        var report = new TransformationReport();
        var data = new Hl7Data(maps, report);
        var composition = bundle.Entry.Select(e => e.Resource).OfType<Composition>().FirstOrDefault()
            ?? throw new CdaFormatException("the Bundle has no Composition");
        var resources = new Dictionary<string, Resource>(StringComparer.Ordinal);
        foreach (var entry in bundle.Entry.Where(e => e.Resource is not null))
        {
            resources[entry.FullUrl ?? $"{entry.Resource!.TypeName}/{entry.Resource.Id}"] = entry.Resource!;
        }

        Resource? Resolve(ResourceReference? reference) =>
            reference?.Reference is { } r ? resources.GetValueOrDefault(r) ?? bundle.Entry.Select(e => e.Resource).FirstOrDefault(x => x is not null && $"{x.TypeName}/{x.Id}" == r) : null;
        var patient = Resolve(composition.Subject) as Patient ?? bundle.Entry.Select(e => e.Resource).OfType<Patient>().FirstOrDefault()
            ?? throw new CdaFormatException("the Bundle has no Patient");
        var documentId = bundle.Identifier?.Value is { } value && value.StartsWith("urn:uuid:", StringComparison.Ordinal) ? value[9..] : bundle.Id ?? Guid.NewGuid().ToString("D");
        var root = Header(IheDocumentClass.PatientSummary, "1.3.6.1.4.1.12559.11.10.1.3.1.1.3", documentId, composition.Title ?? "Patient Summary", composition.Date, data);
        root.Add(RecordTarget(patient, data));
        var author = composition.Author.Select(Resolve).FirstOrDefault();
        var custodian = Resolve(composition.Custodian) as Organization;
        root.Add(Author(composition.Date, author as Practitioner, custodian ?? author as Organization, null, data));
        root.Add(Custodian(custodian ?? author as Organization));
        if (composition.Attester.FirstOrDefault(a => a.Mode == Composition.CompositionAttestationMode.Legal) is { } legal)
        {
            root.Add(new XElement(V3 + "legalAuthenticator", new XElement(V3 + "time", new XAttribute("value", Hl7Data.Hl7Time(legal.Time) ?? "")),
                new XElement(V3 + "signatureCode", new XAttribute("code", "S")),
                new XElement(V3 + "assignedEntity", new XElement(V3 + "id", new XAttribute("nullFlavor", "NI")),
                    new XElement(V3 + "assignedPerson", new XElement(V3 + "name", legal.Party?.Display ?? string.Empty)))));
        }

        foreach (var relates in composition.RelatesTo)
        {
            report.Unmapped($"Composition.relatesTo", "relatesTo is not written (the pivot is produced from the current IPS)");
        }

        var body = new XElement(V3 + "structuredBody");
        foreach (var section in composition.Section)
        {
            var code = section.Code?.Coding.FirstOrDefault(c => c.System == FhirSystems.Loinc)?.Code;
            var row = code is null ? null : maps.Section(code);
            var element = new XElement(V3 + "section");
            if (row is not null)
            {
                element.Add(new XElement(V3 + "templateId", new XAttribute("root", row.Template)));
            }
            else
            {
                report.Lossy($"Composition.section[{code}]", $"section {code ?? "(no LOINC code)"} is not in the section table; written without an eHDSI template");
            }

            element.Add(new XElement(V3 + "code", new XAttribute("code", code ?? "UNK"), new XAttribute("codeSystem", IheNames.LoincOid), new XAttribute("codeSystemName", "LOINC"),
                new XAttribute("displayName", section.Code?.Coding.FirstOrDefault()?.Display ?? row?.Title ?? section.Title ?? string.Empty)));
            element.Add(new XElement(V3 + "title", section.Title ?? row?.Title ?? "Section"));
            element.Add(CdaNarrative.FromXhtml(section.Text?.Div, report, $"Composition.section[{code}].text"));
            foreach (var reference in section.Entry)
            {
                var resource = Resolve(reference);
                var entry = resource is null ? null : Entry(row?.Entries, resource, Resolve, data, $"Composition.section[{code}]");
                if (entry is not null)
                {
                    element.Add(new XElement(V3 + "entry", new XAttribute("typeCode", "DRIV"), entry));
                    report.Mapped();
                }
                else
                {
                    report.Unmapped($"Composition.section[{code}].entry", $"{resource?.TypeName ?? "unresolvable reference " + reference.Reference} has no CDA entry mapping in this section");
                }
            }

            body.Add(new XElement(V3 + "component", element));
        }

        root.Add(new XElement(V3 + "component", body));
        foreach (var extra in bundle.Entry.Select(e => e.Resource).Where(r => r is not null && r is not (Composition or Patient or Practitioner or Organization or Medication)
            && !composition.Section.SelectMany(s => s.Entry).Any(x => Resolve(x) == r)))
        {
            report.Unmapped($"Bundle.entry[{extra!.TypeName}/{extra.Id}]", "a resource no section references is not written");
        }

        return new TransformationResult<XDocument>(new XDocument(root), report);
    }

    public TransformationResult<XDocument> Prescription(IReadOnlyList<MedicationRequest> requests, string country)
    {
        var report = new TransformationReport();
        var data = new Hl7Data(maps, report);
        var first = requests[0];
        var root = Header(IheDocumentClass.EPrescription, "1.3.6.1.4.1.12559.11.10.1.3.1.1.1", Guid.NewGuid().ToString("D"), "ePrescription", first.AuthoredOn, data);
        root.Add(RecordTarget(first.Subject, data));
        root.Add(Author(first.AuthoredOn, null, null, first.Requester?.Display, data, country));
        root.Add(Custodian(null, country));
        var section = new XElement(V3 + "section",
            new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.12559.11.10.1.3.1.2.1")),
            new XElement(V3 + "code", new XAttribute("code", "57828-6"), new XAttribute("codeSystem", IheNames.LoincOid), new XAttribute("codeSystemName", "LOINC"), new XAttribute("displayName", "Prescriptions")),
            new XElement(V3 + "title", "Prescriptions"));
        var narrative = new XElement(V3 + "text", new XElement(V3 + "list"));
        section.Add(narrative);
        foreach (var (rx, index) in requests.Select((r, i) => (r, i)))
        {
            var textId = "rx." + (index + 1).ToString(CultureInfo.InvariantCulture);
            var dosageText = rx.DosageInstruction.FirstOrDefault()?.Text;
            narrative.Element(V3 + "list")!.Add(new XElement(V3 + "item", new XAttribute("ID", textId), $"{MedicationText(rx.Medication)}: {dosageText}"));
            var identifier = rx.Identifier.FirstOrDefault();
            var administration = new XElement(V3 + "substanceAdministration", new XAttribute("classCode", "SBADM"), new XAttribute("moodCode", "INT"),
                new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.12559.11.10.1.3.1.3.2")),
                data.Ii(V3 + "id", identifier?.System, rx.Id ?? identifier?.Value ?? Guid.NewGuid().ToString("D")),
                new XElement(V3 + "text", new XElement(V3 + "reference", new XAttribute("value", "#" + textId))),
                new XElement(V3 + "statusCode", new XAttribute("code", rx.Status == MedicationRequest.MedicationrequestStatus.Completed ? "completed" : "active")),
                new XElement(V3 + "effectiveTime", new XAttribute(Xsi + "type", "IVL_TS"), new XAttribute(XNamespace.Xmlns + "xsi", Xsi.NamespaceName),
                    new XElement(V3 + "low", new XAttribute("value", Hl7Data.Hl7Time(rx.AuthoredOn) ?? "")), new XElement(V3 + "high", new XAttribute("nullFlavor", "UNK"))));
            WriteDose(administration, rx.DosageInstruction.FirstOrDefault(), data, "MedicationRequest.dosageInstruction");
            administration.Add(new XElement(V3 + "consumable", Product(rx.Medication, rx.Contained, data, "MedicationRequest.medication")));
            if (rx.DispenseRequest?.Quantity is { } quantity)
            {
                administration.Add(new XElement(V3 + "entryRelationship", new XAttribute("typeCode", "COMP"),
                    new XElement(V3 + "supply", new XAttribute("classCode", "SPLY"), new XAttribute("moodCode", "RQO"), new XElement(V3 + "independentInd", new XAttribute("value", "false")), Hl7Data.Pq(V3 + "quantity", quantity))));
            }

            if (dosageText is not null)
            {
                var instructionId = textId + ".instructions";
                narrative.Add(new XElement(V3 + "paragraph", new XElement(V3 + "content", new XAttribute("ID", instructionId), dosageText)));
                administration.Add(new XElement(V3 + "entryRelationship", new XAttribute("typeCode", "SUBJ"), new XAttribute("inversionInd", "true"),
                    new XElement(V3 + "act", new XAttribute("classCode", "ACT"), new XAttribute("moodCode", "INT"),
                        new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.12559.11.10.1.3.1.3.12")),
                        new XElement(V3 + "code", new XAttribute("code", "PINSTRUCT"), new XAttribute("codeSystem", "1.3.6.1.4.1.19376.1.5.3.2"), new XAttribute("codeSystemName", "IHEActCode")),
                        new XElement(V3 + "text", new XElement(V3 + "reference", new XAttribute("value", "#" + instructionId))),
                        new XElement(V3 + "statusCode", new XAttribute("code", "completed")))));
            }

            foreach (var note in rx.Note)
            {
                report.Unmapped("MedicationRequest.note", "prescription notes are not written");
            }

            section.Add(new XElement(V3 + "entry", new XAttribute("typeCode", "COMP"), administration));
            report.Mapped();
        }

        root.Add(new XElement(V3 + "component", new XElement(V3 + "structuredBody", new XElement(V3 + "component", section))));
        return new TransformationResult<XDocument>(new XDocument(root), report);
    }

    public TransformationResult<XDocument> Dispensation(MedicationDispense dispense, string country)
    {
        var report = new TransformationReport();
        var data = new Hl7Data(maps, report);
        var prescription = dispense.AuthorizingPrescription.Select(r => r.Reference).FirstOrDefault(r => r is not null)?.Split('/').LastOrDefault()
            ?? throw new CdaFormatException("the MedicationDispense has no authorizingPrescription");
        var location = dispense.Location?.Reference is { Length: > 1 } l && l[0] == '#' ? dispense.Contained.OfType<Location>().FirstOrDefault(x => x.Id == l[1..]) : null;
        var dispensingCountry = location?.Address?.Country ?? country;
        var root = Header(IheDocumentClass.EDispensation, "1.3.6.1.4.1.12559.11.10.1.3.1.1.2", Guid.NewGuid().ToString("D"), "eDispensation", dispense.WhenHandedOver, data);
        root.Add(RecordTarget(dispense.Subject, data));
        var performer = dispense.Performer.FirstOrDefault()?.Actor?.Display ?? location?.Name;
        root.Add(Author(dispense.WhenHandedOver, null, null, performer, data, dispensingCountry, location?.Name));
        root.Add(Custodian(null, dispensingCountry));
        root.Add(new XElement(V3 + "inFulfillmentOf", new XElement(V3 + "order", new XAttribute("moodCode", "RQO"), new XElement(V3 + "id", new XAttribute("nullFlavor", "NI"), new XAttribute("extension", prescription)))));
        var supply = new XElement(V3 + "supply", new XAttribute("classCode", "SPLY"), new XAttribute("moodCode", "EVN"),
            new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.12559.11.10.1.3.1.3.3")),
            new XElement(V3 + "id", new XAttribute("root", dispense.Id is { } id && Guid.TryParse(id, out _) ? id.ToUpperInvariant() : Guid.NewGuid().ToString("D").ToUpperInvariant())),
            Hl7Data.Pq(V3 + "quantity", dispense.Quantity),
            new XElement(V3 + "product", Product(dispense.Medication, dispense.Contained, data, "MedicationDispense.medication")),
            new XElement(V3 + "performer", new XAttribute("typeCode", "PRF"), new XElement(V3 + "time", new XAttribute("value", Hl7Data.Hl7Time(dispense.WhenHandedOver) ?? "")),
                new XElement(V3 + "assignedEntity", new XElement(V3 + "id", new XAttribute("nullFlavor", "NI")),
                    new XElement(V3 + "representedOrganization", new XElement(V3 + "name", performer ?? "unknown"), new XElement(V3 + "addr", new XElement(V3 + "country", dispensingCountry))))),
            new XElement(V3 + "entryRelationship", new XAttribute("typeCode", "REFR"),
                new XElement(V3 + "substanceAdministration", new XAttribute("classCode", "SBADM"), new XAttribute("moodCode", "INT"),
                    new XElement(V3 + "id", new XAttribute("nullFlavor", "NI"), new XAttribute("extension", prescription)),
                    new XElement(V3 + "consumable", new XElement(V3 + "manufacturedProduct", new XElement(V3 + "manufacturedMaterial", new XAttribute("nullFlavor", "NA")))))));
        var section = new XElement(V3 + "section",
            new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.12559.11.10.1.3.1.2.2")),
            new XElement(V3 + "code", new XAttribute("code", "60590-7"), new XAttribute("codeSystem", IheNames.LoincOid), new XAttribute("codeSystemName", "LOINC"), new XAttribute("displayName", "Medication dispensed")),
            new XElement(V3 + "title", "Dispensation of " + prescription),
            new XElement(V3 + "text", new XElement(V3 + "paragraph", string.Join("; ", new[] { MedicationText(dispense.Medication) }.Concat(dispense.Note.Select(n => n.Text)).Where(s => !string.IsNullOrEmpty(s))))),
            new XElement(V3 + "entry", new XAttribute("typeCode", "COMP"), supply));
        root.Add(new XElement(V3 + "component", new XElement(V3 + "structuredBody", new XElement(V3 + "component", section))));
        if (dispense.DosageInstruction.Count > 0)
        {
            report.Unmapped("MedicationDispense.dosageInstruction", "dosage instructions of the dispense are not written (the prescription's apply)");
        }

        report.Mapped();
        return new TransformationResult<XDocument>(new XDocument(root), report);
    }

    private static XElement Header(IheDocumentClass documentClass, string template, string documentId, string title, string? when, Hl7Data data) =>
        new(V3 + "ClinicalDocument", new XAttribute("xmlns", V3.NamespaceName), new XAttribute(XNamespace.Xmlns + "pharm", Pharm.NamespaceName), new XAttribute(XNamespace.Xmlns + "xsi", Xsi.NamespaceName),
            new XElement(V3 + "typeId", new XAttribute("root", "2.16.840.1.113883.1.3"), new XAttribute("extension", "POCD_HD000040")),
            new XElement(V3 + "templateId", new XAttribute("root", template)),
            new XElement(V3 + "id", new XAttribute("root", Guid.TryParse(documentId, out var uuid) ? uuid.ToString("D").ToUpperInvariant() : Hl7Data.DerivedOid(documentId))),
            new XElement(V3 + "code", new XAttribute("code", documentClass.Code()), new XAttribute("codeSystem", IheNames.LoincOid), new XAttribute("codeSystemName", "LOINC"),
                new XAttribute("displayName", documentClass switch { IheDocumentClass.PatientSummary => "Patient Summary", IheDocumentClass.EPrescription => "ePrescription", _ => "eDispensation" })),
            new XElement(V3 + "title", title),
            new XElement(V3 + "effectiveTime", new XAttribute("value", Hl7Data.Hl7Time(when) ?? Hl7Data.Hl7Time(DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture))!)),
            new XElement(V3 + "confidentialityCode", new XAttribute("code", "N"), new XAttribute("codeSystem", "2.16.840.1.113883.5.25")),
            new XElement(V3 + "languageCode", new XAttribute("code", "en-GB")));

    private static XElement RecordTarget(Patient patient, Hl7Data data)
    {
        var role = new XElement(V3 + "patientRole", patient.Identifier.Select(i => data.Ii(V3 + "id", i.System, i.Value ?? string.Empty)));
        foreach (var address in patient.Address)
        {
            role.Add(new XElement(V3 + "addr", address.Line.Select(l => new XElement(V3 + "streetAddressLine", l)),
                address.City is null ? null : new XElement(V3 + "city", address.City), address.PostalCode is null ? null : new XElement(V3 + "postalCode", address.PostalCode),
                address.Country is null ? null : new XElement(V3 + "country", address.Country)));
        }

        foreach (var telecom in patient.Telecom)
        {
            role.Add(new XElement(V3 + "telecom", new XAttribute("value", (telecom.System == ContactPoint.ContactPointSystem.Email ? "mailto:" : "tel:") + telecom.Value)));
        }

        var person = new XElement(V3 + "patient", Hl7Data.Pn(patient.Name.FirstOrDefault()));
        if (patient.Gender is { } gender)
        {
            person.Add(new XElement(V3 + "administrativeGenderCode", new XAttribute("code", data.Maps.Key("gender", Hl7.Fhir.Utility.EnumUtility.GetLiteral(gender)) ?? "UN"),
                new XAttribute("codeSystem", "2.16.840.1.113883.5.1")));
        }

        person.Add(new XElement(V3 + "birthTime", patient.BirthDate is { } birth ? new XAttribute("value", Hl7Data.Hl7Time(birth)!) : new XAttribute("nullFlavor", "UNK")));
        role.Add(person);
        if (patient.Contact.Count > 0 || patient.Communication.Count > 0)
        {
            data.Report.Unmapped("Patient.contact/communication", "patient contacts and languages are not written");
        }

        return new XElement(V3 + "recordTarget", role);
    }

    private static XElement RecordTarget(ResourceReference? subject, Hl7Data data)
    {
        var identifier = subject?.Identifier ?? throw new CdaFormatException("the resource's subject has no identifier");
        var name = subject.Display is { Length: > 0 } display ? new HumanName { Text = display } : null;
        return RecordTarget(new Patient { Identifier = [identifier], Name = name is null ? [] : [name] }, data);
    }

    private static XElement Author(string? time, Practitioner? practitioner, Organization? organisation, string? personText, Hl7Data data, string? country = null, string? organisationName = null)
    {
        var assigned = new XElement(V3 + "assignedAuthor",
            practitioner?.Identifier.FirstOrDefault() is { } id ? data.Ii(V3 + "id", id.System, id.Value ?? string.Empty) : new XElement(V3 + "id", new XAttribute("nullFlavor", "NI")));
        if (practitioner?.Name.FirstOrDefault() is { } name)
        {
            assigned.Add(new XElement(V3 + "assignedPerson", Hl7Data.Pn(name)));
        }
        else if (personText is not null)
        {
            assigned.Add(new XElement(V3 + "assignedPerson", new XElement(V3 + "name", personText)));
        }

        var orgName = organisation?.Name ?? organisationName ?? personText;
        var orgCountry = organisation?.Address.FirstOrDefault()?.Country ?? country;
        assigned.Add(new XElement(V3 + "representedOrganization",
            organisation?.Identifier.FirstOrDefault() is { } orgId ? data.Ii(V3 + "id", orgId.System, orgId.Value ?? string.Empty) : null,
            new XElement(V3 + "name", orgName ?? "unknown"),
            orgCountry is null ? null : new XElement(V3 + "addr", new XElement(V3 + "country", orgCountry))));
        return new XElement(V3 + "author", new XElement(V3 + "time", Hl7Data.Hl7Time(time) is { } ts ? new XAttribute("value", ts) : new XAttribute("nullFlavor", "UNK")), assigned);
    }

    private static XElement Custodian(Organization? organisation, string? country = null) =>
        new(V3 + "custodian", new XElement(V3 + "assignedCustodian", new XElement(V3 + "representedCustodianOrganization",
            new XElement(V3 + "id", new XAttribute("nullFlavor", "NI")),
            new XElement(V3 + "name", organisation?.Name ?? (country is null ? "National contact point" : $"National contact point {country}")),
            new XElement(V3 + "addr", new XElement(V3 + "country", organisation?.Address.FirstOrDefault()?.Country ?? country ?? "")))));

    private XElement? Entry(string? kind, Resource resource, Func<ResourceReference?, Resource?> resolve, Hl7Data data, string location)
    {
        switch (resource)
        {
            case AllergyIntolerance allergy when kind is null or "allergy":
                var typeCode = allergy.Type == AllergyIntolerance.AllergyIntoleranceType.Intolerance
                    ? (allergy.Category.FirstOrDefault() == AllergyIntolerance.AllergyIntoleranceCategory.Food ? "235719002" : "59037007")
                    : allergy.Category.FirstOrDefault() switch
                    {
                        AllergyIntolerance.AllergyIntoleranceCategory.Medication => "416098002",
                        AllergyIntolerance.AllergyIntoleranceCategory.Food => "414285001",
                        AllergyIntolerance.AllergyIntoleranceCategory.Environment => "426232007",
                        _ => allergy.Type == AllergyIntolerance.AllergyIntoleranceType.Allergy ? "419199007" : "420134006",
                    };
                var observation = new XElement(V3 + "observation", new XAttribute("classCode", "OBS"), new XAttribute("moodCode", "EVN"),
                    new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.19376.1.5.3.1.4.6")),
                    new XElement(V3 + "code", new XAttribute("code", typeCode), new XAttribute("codeSystem", "2.16.840.1.113883.6.96"), new XAttribute("codeSystemName", "SNOMED CT"),
                        new XAttribute("displayName", maps.AllergyType(typeCode)?.Display ?? typeCode)),
                    new XElement(V3 + "statusCode", new XAttribute("code", "completed")),
                    Interval(allergy.Onset?.ToString()),
                    new XElement(V3 + "value", new XAttribute(Xsi + "type", "CD"), new XAttribute("nullFlavor", "NA")),
                    new XElement(V3 + "participant", new XAttribute("typeCode", "CSM"), new XElement(V3 + "participantRole", new XAttribute("classCode", "MANU"),
                        new XElement(V3 + "playingEntity", new XAttribute("classCode", "MMAT"), data.Cd(V3 + "code", allergy.Code, location + ".AllergyIntolerance.code")))));
                foreach (var reaction in allergy.Reaction)
                {
                    foreach (var manifestation in reaction.Manifestation)
                    {
                        observation.Add(new XElement(V3 + "entryRelationship", new XAttribute("typeCode", "MFST"), new XAttribute("inversionInd", "true"),
                            new XElement(V3 + "observation", new XAttribute("classCode", "OBS"), new XAttribute("moodCode", "EVN"),
                                new XElement(V3 + "code", new XAttribute("code", "404684003"), new XAttribute("codeSystem", "2.16.840.1.113883.6.96"), new XAttribute("displayName", "Clinical finding")),
                                new XElement(V3 + "statusCode", new XAttribute("code", "completed")),
                                XsiType(data.Cd(V3 + "value", manifestation, location + ".AllergyIntolerance.reaction"), "CD"))));
                    }
                }

                if (allergy.Criticality is { } criticality)
                {
                    // IPS CDA criticality observation: LOINC 82606-5, value from HL7 ObservationValue (CRITL, CRITH, CRITU).
                    var critical = criticality switch
                    {
                        AllergyIntolerance.AllergyIntoleranceCriticality.Low => "CRITL",
                        AllergyIntolerance.AllergyIntoleranceCriticality.High => "CRITH",
                        _ => "CRITU",
                    };
                    observation.Add(new XElement(V3 + "entryRelationship", new XAttribute("typeCode", "SUBJ"), new XAttribute("inversionInd", "true"),
                        new XElement(V3 + "observation", new XAttribute("classCode", "OBS"), new XAttribute("moodCode", "EVN"),
                            new XElement(V3 + "code", new XAttribute("code", "82606-5"), new XAttribute("codeSystem", IheNames.LoincOid), new XAttribute("displayName", "Criticality")),
                            new XElement(V3 + "statusCode", new XAttribute("code", "completed")),
                            new XElement(V3 + "value", new XAttribute(Xsi + "type", "CD"), new XAttribute("code", critical), new XAttribute("codeSystem", "2.16.840.1.113883.5.1063")))));
                }

                return Concern(allergy.ClinicalStatus?.Coding.FirstOrDefault()?.Code == "active" ? "active" : "completed", allergy.Onset?.ToString(), observation, "1.3.6.1.4.1.19376.1.5.3.1.4.5.3");
            case Condition condition when kind is null or "problem":
                var status = condition.ClinicalStatus?.Coding.FirstOrDefault()?.Code ?? "active";
                var problem = new XElement(V3 + "observation", new XAttribute("classCode", "OBS"), new XAttribute("moodCode", "EVN"),
                    new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.19376.1.5.3.1.4.5")),
                    new XElement(V3 + "code", new XAttribute("code", "55607006"), new XAttribute("codeSystem", "2.16.840.1.113883.6.96"), new XAttribute("displayName", "Problem")),
                    new XElement(V3 + "statusCode", new XAttribute("code", "completed")),
                    Interval(condition.Onset?.ToString(), condition.Abatement?.ToString()),
                    XsiType(data.Cd(V3 + "value", condition.Code, location + ".Condition.code"), "CD"));
                return Concern(maps.Key("problemStatus", status) ?? "active", condition.Onset?.ToString(), problem, "1.3.6.1.4.1.19376.1.5.3.1.4.5.2");
            case MedicationStatement statement when kind is null or "medication":
                var administration = new XElement(V3 + "substanceAdministration", new XAttribute("classCode", "SBADM"), new XAttribute("moodCode", "INT"),
                    new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.12559.11.10.1.3.1.3.4")),
                    new XElement(V3 + "id", new XAttribute("root", Guid.TryParse(statement.Id, out var sid) ? sid.ToString("D").ToUpperInvariant() : Guid.NewGuid().ToString("D").ToUpperInvariant())));
                if (statement.Dosage.FirstOrDefault()?.Text is { } text)
                {
                    administration.Add(new XElement(V3 + "text", text));
                }

                administration.Add(new XElement(V3 + "statusCode", new XAttribute("code", maps.Key("medicationStatus", Hl7.Fhir.Utility.EnumUtility.GetLiteral(statement.Status) ?? "active") ?? "active")));
                var period = statement.Effective as Period;
                administration.Add(Interval(period?.Start ?? (statement.Effective as FhirDateTime)?.Value, period?.End, "IVL_TS"));
                WriteDose(administration, statement.Dosage.FirstOrDefault(), data, location + ".MedicationStatement.dosage");
                var medication = statement.Medication is ResourceReference reference && resolve(reference) is Medication resolved ? resolved : null;
                administration.Add(new XElement(V3 + "consumable",
                    medication is not null ? Product(medication, data, location + ".Medication") : Product(statement.Medication, statement.Contained, data, location + ".MedicationStatement.medication")));
                return administration;
            case Procedure procedure when kind is null or "procedure":
                return new XElement(V3 + "procedure", new XAttribute("classCode", "PROC"), new XAttribute("moodCode", "EVN"),
                    new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.19376.1.5.3.1.4.19")),
                    data.Cd(V3 + "code", procedure.Code, location + ".Procedure.code"),
                    new XElement(V3 + "statusCode", new XAttribute("code", "completed")),
                    new XElement(V3 + "effectiveTime", Hl7Data.Hl7Time(procedure.Performed?.ToString()) is { } performed ? new XAttribute("value", performed) : new XAttribute("nullFlavor", "UNK")));
            case Immunization immunization when kind is null or "immunization":
                return new XElement(V3 + "substanceAdministration", new XAttribute("classCode", "SBADM"), new XAttribute("moodCode", "EVN"),
                    new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.19376.1.5.3.1.4.12")),
                    new XElement(V3 + "code", new XAttribute("code", "IMMUNIZ"), new XAttribute("codeSystem", "2.16.840.1.113883.5.4")),
                    new XElement(V3 + "statusCode", new XAttribute("code", "completed")),
                    new XElement(V3 + "effectiveTime", Hl7Data.Hl7Time(immunization.Occurrence?.ToString()) is { } given ? new XAttribute("value", given) : new XAttribute("nullFlavor", "UNK")),
                    immunization.DoseQuantity is { } doseQuantity ? Hl7Data.Pq(V3 + "doseQuantity", doseQuantity) : null,
                    new XElement(V3 + "consumable", new XElement(V3 + "manufacturedProduct", new XElement(V3 + "manufacturedMaterial",
                        data.Cd(V3 + "code", immunization.VaccineCode, location + ".Immunization.vaccineCode"),
                        immunization.VaccineCode?.Text is { } vaccineName ? new XElement(V3 + "name", vaccineName) : null))));
            case Observation observationResource when kind is null or "vital-sign":
                if (observationResource.Value is not null and not Quantity)
                {
                    data.Report.Lossy(location + ".Observation.value", $"a {observationResource.Value.TypeName} value is not written (only quantities)");
                }

                return new XElement(V3 + "observation", new XAttribute("classCode", "OBS"), new XAttribute("moodCode", "EVN"),
                    new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.19376.1.5.3.1.4.13.2")),
                    data.Cd(V3 + "code", observationResource.Code, location + ".Observation.code"),
                    new XElement(V3 + "statusCode", new XAttribute("code", "completed")),
                    new XElement(V3 + "effectiveTime", Hl7Data.Hl7Time(observationResource.Effective?.ToString()) is { } measured ? new XAttribute("value", measured) : new XAttribute("nullFlavor", "UNK")),
                    XsiType(Hl7Data.Pq(V3 + "value", observationResource.Value as Quantity), "PQ"));
            default:
                return null;
        }
    }

    private static XElement XsiType(XElement element, string type)
    {
        element.Add(new XAttribute(Xsi + "type", type));
        return element;
    }

    private static XElement Interval(string? low, string? high = null, string? type = null)
    {
        var element = new XElement(V3 + "effectiveTime");
        if (type is not null)
        {
            element.Add(new XAttribute(Xsi + "type", type));
        }

        element.Add(new XElement(V3 + "low", Hl7Data.Hl7Time(low) is { } l ? new XAttribute("value", l) : new XAttribute("nullFlavor", "UNK")));
        if (high is not null)
        {
            element.Add(new XElement(V3 + "high", new XAttribute("value", Hl7Data.Hl7Time(high)!)));
        }

        return element;
    }

    private static XElement Concern(string status, string? onset, XElement observation, string template) =>
        new(V3 + "act", new XAttribute("classCode", "ACT"), new XAttribute("moodCode", "EVN"),
            new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.19376.1.5.3.1.4.5.1")),
            new XElement(V3 + "templateId", new XAttribute("root", template)),
            new XElement(V3 + "id", new XAttribute("root", Guid.NewGuid().ToString("D").ToUpperInvariant())),
            new XElement(V3 + "code", new XAttribute("nullFlavor", "NA")),
            new XElement(V3 + "statusCode", new XAttribute("code", status)),
            Interval(onset),
            new XElement(V3 + "entryRelationship", new XAttribute("typeCode", "SUBJ"), new XAttribute("inversionInd", "false"), observation));

    private static void WriteDose(XElement administration, Dosage? dosage, Hl7Data data, string location)
    {
        if (dosage is null)
        {
            return;
        }

        if (dosage.Timing?.Repeat is { } repeat)
        {
            if (repeat.Period is { } period && repeat.PeriodUnit is { } unit)
            {
                administration.Add(new XElement(V3 + "effectiveTime", new XAttribute(Xsi + "type", "PIVL_TS"), new XAttribute("institutionSpecified", "true"),
                    new XElement(V3 + "period", new XAttribute("value", (period / (repeat.Frequency ?? 1)).ToString(CultureInfo.InvariantCulture)), new XAttribute("unit", Hl7.Fhir.Utility.EnumUtility.GetLiteral(unit)))));
            }

            foreach (var when in repeat.When)
            {
                administration.Add(new XElement(V3 + "effectiveTime", new XAttribute(Xsi + "type", "EIVL_TS"), new XAttribute("operator", "A"),
                    new XElement(V3 + "event", new XAttribute("code", Hl7.Fhir.Utility.EnumUtility.GetLiteral(when) ?? "C"), new XAttribute("codeSystem", "2.16.840.1.113883.5.139"))));
            }
        }

        switch (dosage.DoseAndRate.FirstOrDefault()?.Dose)
        {
            case Quantity quantity:
                administration.Add(Hl7Data.Pq(V3 + "doseQuantity", quantity));
                break;
            case Hl7.Fhir.Model.Range range:
                administration.Add(new XElement(V3 + "doseQuantity", Hl7Data.Pq(V3 + "low", range.Low), Hl7Data.Pq(V3 + "high", range.High)));
                break;
        }

        if (dosage.Route is not null || dosage.AdditionalInstruction.Count > 0)
        {
            data.Report.Unmapped(location, "dosage route and additional instructions are not written");
        }
    }

    private static string? MedicationText(DataType? medication) => medication switch
    {
        CodeableConcept concept => concept.Text ?? concept.Coding.FirstOrDefault()?.Display ?? concept.Coding.FirstOrDefault()?.Code,
        ResourceReference reference => reference.Display,
        _ => null,
    };

    private XElement Product(DataType? medication, IList<Resource> contained, Hl7Data data, string location)
    {
        if (medication is ResourceReference { Reference: { Length: > 1 } local } && local[0] == '#' && contained.OfType<Medication>().FirstOrDefault(m => m.Id == local[1..]) is { } inline)
        {
            return Product(inline, data, location);
        }

        return Product(new Medication { Code = medication as CodeableConcept ?? new CodeableConcept { Text = (medication as ResourceReference)?.Display } }, data, location);
    }

    private XElement Product(Medication medication, Hl7Data data, string location)
    {
        var concept = medication.Code ?? new CodeableConcept();
        var atc = concept.Coding.FirstOrDefault(c => c.System == "http://www.whocc.no/atc");
        var others = new CodeableConcept { Text = concept.Text, Coding = concept.Coding.Where(c => c != atc).ToList() };
        var material = new XElement(V3 + "manufacturedMaterial", new XAttribute("classCode", "MMAT"), new XAttribute("determinerCode", "KIND"),
            new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.12559.11.10.1.3.1.3.30")),
            data.Cd(V3 + "code", others, location + ".code", reportMissing: false),
            new XElement(V3 + "name", concept.Text ?? atc?.Display ?? "unnamed medicinal product"));
        if (medication.Form?.Coding.FirstOrDefault() is { Code: { } formCode })
        {
            if (maps.DoseForm(formCode) is null)
            {
                data.Report.Lossy(location + ".form", $"dose form {formCode} is not in the EDQM table; written as given");
            }

            material.Add(new XElement(Pharm + "formCode", new XAttribute("code", formCode), new XAttribute("codeSystem", "0.4.0.127.0.16.1.1.2.1"), new XAttribute("codeSystemName", "EDQM"),
                new XAttribute("displayName", maps.DoseForm(formCode) ?? medication.Form.Coding[0].Display ?? formCode)));
        }

        if (atc is not null)
        {
            material.Add(new XElement(Pharm + "asSpecializedKind", new XAttribute("classCode", "GRIC"),
                new XElement(Pharm + "generalizedMaterialKind", new XAttribute("classCode", "MMAT"), new XAttribute("determinerCode", "KIND"),
                    new XElement(Pharm + "code", new XAttribute("code", atc.Code ?? string.Empty), new XAttribute("codeSystem", "2.16.840.1.113883.6.73"), new XAttribute("codeSystemName", "Anatomical Therapeutic Chemical"),
                        atc.Display is null ? null : new XAttribute("displayName", atc.Display)))));
        }

        foreach (var ingredient in medication.Ingredient)
        {
            var item = ingredient.Item as CodeableConcept ?? new CodeableConcept { Text = (ingredient.Item as ResourceReference)?.Display };
            var strength = ingredient.Strength;
            material.Add(new XElement(Pharm + "ingredient", new XAttribute("classCode", ingredient.IsActive == false ? "INGR" : "ACTI"),
                strength is null ? null : new XElement(Pharm + "quantity", XsiType(Hl7Data.Pq(V3 + "numerator", strength.Numerator), "PQ"), XsiType(Hl7Data.Pq(V3 + "denominator", strength.Denominator), "PQ")),
                new XElement(Pharm + "ingredientSubstance", new XAttribute("classCode", "MMAT"), new XAttribute("determinerCode", "KIND"),
                    data.Cd(Pharm + "code", item, location + ".ingredient"), item.Text is null ? null : new XElement(Pharm + "name", item.Text))));
        }

        return new XElement(V3 + "manufacturedProduct", new XAttribute("classCode", "MANU"),
            new XElement(V3 + "templateId", new XAttribute("root", "1.3.6.1.4.1.12559.11.10.1.3.1.3.29")), material);
    }
}

/// <summary>FHIR XHTML narrative to the CDA narrative block (CDA R2 section 4.3.5).</summary>
internal static class CdaNarrative
{
    private static readonly XNamespace V3 = IheNames.Hl7;
    private static readonly XNamespace Xhtml = "http://www.w3.org/1999/xhtml";

    public static XElement FromXhtml(string? div, TransformationReport report, string location)
    {
        var text = new XElement(V3 + "text");
        if (string.IsNullOrWhiteSpace(div))
        {
            return text;
        }

        var parsed = Soap.SafeXml.TryLoad(div, out _, 1024 * 1024);
        if (parsed is null)
        {
            report.Lossy(location, "the narrative is not well-formed XHTML; written as plain text");
            text.Add(new XElement(V3 + "paragraph", div));
            return text;
        }

        text.Add(Convert(parsed.Root!, report, location).Nodes());
        return text;
    }

    private static XElement Convert(XElement source, TransformationReport report, string location)
    {
        var name = source.Name.LocalName switch
        {
            "div" => "div",
            "p" => "paragraph",
            "table" or "thead" or "tbody" or "tfoot" or "tr" or "th" or "td" or "caption" or "br" or "sub" or "sup" => source.Name.LocalName,
            "ul" or "ol" => "list",
            "li" => "item",
            "b" or "strong" or "i" or "em" or "span" or "a" => "content",
            _ => "content",
        };
        if (source.Name.Namespace != Xhtml && source.Parent is null)
        {
            report.Lossy(location, "the narrative is not in the XHTML namespace");
        }

        var target = new XElement(V3 + name);
        if (source.Name.LocalName == "ol")
        {
            target.Add(new XAttribute("listType", "ordered"));
        }

        foreach (var node in source.Nodes())
        {
            switch (node)
            {
                case XText textNode:
                    target.Add(new XText(textNode.Value));
                    break;
                case XElement child when name == "div":
                    target.Add(child.Name.LocalName == "div" ? Convert(child, report, location).Nodes() : [Convert(child, report, location)]);
                    break;
                case XElement child:
                    var converted = Convert(child, report, location);
                    target.Add(converted.Name.LocalName == "div" ? converted.Nodes() : [converted]);
                    break;
            }
        }

        return target;
    }
}
