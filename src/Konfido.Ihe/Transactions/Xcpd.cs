using System.Globalization;
using System.Xml.Linq;
using Konfido.Ihe.Soap;

namespace Konfido.Ihe.Transactions;

/// <summary>An XCPD query: a national identifier (OID root and extension) and/or demographics.</summary>
/// <param name="IdRoot">The identifier's assigning-authority OID, or null.</param>
/// <param name="IdExtension">The identifier value, or null.</param>
/// <param name="Family">The family name, or null.</param>
/// <param name="Given">The given name, or null.</param>
/// <param name="BirthDate">The birth date, or null.</param>
public sealed record XcpdQuery(string? IdRoot, string? IdExtension, string? Family = null, string? Given = null, DateOnly? BirthDate = null)
{
    /// <summary>True if the query names an identifier or a demographic criterion.</summary>
    public bool HasCriteria => !string.IsNullOrWhiteSpace(IdExtension) || !string.IsNullOrWhiteSpace(Family) || !string.IsNullOrWhiteSpace(Given) || BirthDate is not null;
}

/// <summary>A patient as an XCPD response describes it.</summary>
/// <param name="IdRoot">The identifier's OID.</param>
/// <param name="IdExtension">The identifier value.</param>
/// <param name="Family">The family name, or null.</param>
/// <param name="Given">The given names.</param>
/// <param name="Gender">The HL7 administrative gender code (M, F, UN), or null.</param>
/// <param name="BirthDate">The birth date, or null.</param>
/// <param name="Country">The address country, or null.</param>
public sealed record XcpdPatient(string IdRoot, string IdExtension, string? Family, IReadOnlyList<string> Given, string? Gender, DateOnly? BirthDate, string? Country);

/// <summary>The outcome of an XCPD query (HL7 V3 QueryResponse codes).</summary>
/// <param name="Code">OK (matches), NF (no match), AE (application error, e.g. access refused).</param>
/// <param name="Patients">The matches.</param>
/// <param name="Reason">The error detail for AE, or null.</param>
/// <param name="ErrorCode">The eHDSI/IHE error code for AE, or null.</param>
public sealed record XcpdResult(string Code, IReadOnlyList<XcpdPatient> Patients, string? Reason = null, string? ErrorCode = null);

/// <summary>
/// ITI-55 Cross-Gateway Patient Discovery messages: the HL7 V3 PRPA_IN201305UV02 query and the
/// PRPA_IN201306UV02 response (ITI TF-2b 3.55.4), with the parameters eHDSI uses (livingSubjectId,
/// livingSubjectName, livingSubjectBirthTime).
/// </summary>
public static class Xcpd
{
    private static readonly XNamespace V3 = IheNames.Hl7;

    /// <summary>Builds the request. Requires a query with criteria and the two gateways' home community OIDs.</summary>
    /// <param name="query">What to look for.</param>
    /// <param name="senderOid">The initiating gateway's home community OID.</param>
    /// <param name="receiverOid">The responding gateway's home community OID.</param>
    public static XElement CreateRequest(XcpdQuery query, string senderOid, string receiverOid)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!query.HasCriteria)
        {
            throw new ArgumentException("An XCPD query needs an identifier or demographics.", nameof(query));
        }

        // HL7 V3 PRPA_MT201306UV02.ParameterList order: ... livingSubjectBirthTime, ..., livingSubjectId, livingSubjectName, ...
        var parameters = new XElement(V3 + "parameterList");
        if (query.BirthDate is { } birth)
        {
            parameters.Add(new XElement(V3 + "livingSubjectBirthTime",
                new XElement(V3 + "value", new XAttribute("value", birth.ToString("yyyyMMdd", CultureInfo.InvariantCulture))),
                new XElement(V3 + "semanticsText", "LivingSubject.birthTime")));
        }

        if (!string.IsNullOrWhiteSpace(query.IdExtension))
        {
            parameters.Add(new XElement(V3 + "livingSubjectId", Id("value", query.IdRoot, query.IdExtension), new XElement(V3 + "semanticsText", "LivingSubject.id")));
        }

        if (!string.IsNullOrWhiteSpace(query.Family) || !string.IsNullOrWhiteSpace(query.Given))
        {
            var name = new XElement(V3 + "value");
            if (!string.IsNullOrWhiteSpace(query.Given))
            {
                name.Add(new XElement(V3 + "given", query.Given));
            }

            if (!string.IsNullOrWhiteSpace(query.Family))
            {
                name.Add(new XElement(V3 + "family", query.Family));
            }

            parameters.Add(new XElement(V3 + "livingSubjectName", name, new XElement(V3 + "semanticsText", "LivingSubject.name")));
        }

        return Message("PRPA_IN201305UV02", senderOid, receiverOid,
            new XElement(V3 + "controlActProcess", new XAttribute("classCode", "CACT"), new XAttribute("moodCode", "EVN"),
                new XElement(V3 + "code", new XAttribute("code", "PRPA_TE201305UV02"), new XAttribute("codeSystem", "2.16.840.1.113883.1.6")),
                new XElement(V3 + "queryByParameter",
                    Id("queryId", "1.3.6.1.4.1.12559.11.10.1.3.2.4", Guid.NewGuid().ToString("N")),
                    new XElement(V3 + "statusCode", new XAttribute("code", "new")),
                    new XElement(V3 + "responseModalityCode", new XAttribute("code", "R")),
                    new XElement(V3 + "responsePriorityCode", new XAttribute("code", "I")),
                    parameters)));
    }

    /// <summary>Reads a request payload. A malformed one throws a sender fault.</summary>
    /// <param name="payload">The body's PRPA_IN201305UV02 element.</param>
    /// <exception cref="SoapFaultException">Not a PRPA_IN201305UV02 or no usable criteria.</exception>
    public static XcpdQuery ReadRequest(XElement payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Name != V3 + "PRPA_IN201305UV02")
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", $"expected PRPA_IN201305UV02, got {payload.Name.LocalName}");
        }

        var list = payload.Element(V3 + "controlActProcess")?.Element(V3 + "queryByParameter")?.Element(V3 + "parameterList")
            ?? throw SoapFaultException.Sender("XDSRegistryMetadataError", "PRPA_IN201305UV02 has no controlActProcess/queryByParameter/parameterList");
        var id = list.Element(V3 + "livingSubjectId")?.Element(V3 + "value");
        var name = list.Element(V3 + "livingSubjectName")?.Element(V3 + "value");
        var birth = list.Element(V3 + "livingSubjectBirthTime")?.Element(V3 + "value").Attr("value");
        DateOnly? birthDate = null;
        if (birth is not null)
        {
            birthDate = DateOnly.TryParseExact(birth.Length >= 8 ? birth[..8] : birth, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
                ? parsed
                : throw SoapFaultException.Sender("XDSRegistryMetadataError", $"livingSubjectBirthTime '{birth}' is not an HL7 date");
        }

        var query = new XcpdQuery(id.Attr("root"), id.Attr("extension"), Text(name?.Element(V3 + "family")), Text(name?.Element(V3 + "given")), birthDate);
        return query.HasCriteria ? query : throw SoapFaultException.Sender("XDSRegistryMetadataError", "the XCPD query names no identifier and no demographics");
    }

    /// <summary>Builds the PRPA_IN201306UV02 response.</summary>
    /// <param name="result">The outcome.</param>
    /// <param name="senderOid">The responding gateway's home community OID.</param>
    /// <param name="receiverOid">The initiating gateway's home community OID.</param>
    /// <param name="query">The query answered (echoed in queryByParameter), or null.</param>
    public static XElement CreateResponse(XcpdResult result, string senderOid, string receiverOid, XcpdQuery? query = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var control = new XElement(V3 + "controlActProcess", new XAttribute("classCode", "CACT"), new XAttribute("moodCode", "EVN"),
            new XElement(V3 + "code", new XAttribute("code", "PRPA_TE201306UV02"), new XAttribute("codeSystem", "2.16.840.1.113883.1.6")));
        foreach (var patient in result.Patients)
        {
            var person = new XElement(V3 + "patientPerson", new XAttribute("classCode", "PSN"), new XAttribute("determinerCode", "INSTANCE"));
            var name = new XElement(V3 + "name");
            foreach (var given in patient.Given)
            {
                name.Add(new XElement(V3 + "given", given));
            }

            if (patient.Family is not null)
            {
                name.Add(new XElement(V3 + "family", patient.Family));
            }

            person.Add(name);
            if (patient.Gender is not null)
            {
                person.Add(new XElement(V3 + "administrativeGenderCode", new XAttribute("code", patient.Gender), new XAttribute("codeSystem", "2.16.840.1.113883.5.1")));
            }

            if (patient.BirthDate is { } birth)
            {
                person.Add(new XElement(V3 + "birthTime", new XAttribute("value", birth.ToString("yyyyMMdd", CultureInfo.InvariantCulture))));
            }

            if (patient.Country is not null)
            {
                person.Add(new XElement(V3 + "addr", new XElement(V3 + "country", patient.Country)));
            }

            control.Add(new XElement(V3 + "subject", new XAttribute("typeCode", "SUBJ"),
                new XElement(V3 + "registrationEvent", new XAttribute("classCode", "REG"), new XAttribute("moodCode", "EVN"),
                    new XElement(V3 + "statusCode", new XAttribute("code", "active")),
                    new XElement(V3 + "subject1", new XAttribute("typeCode", "SBJ"),
                        new XElement(V3 + "patient", new XAttribute("classCode", "PAT"),
                            Id("id", patient.IdRoot, patient.IdExtension),
                            new XElement(V3 + "statusCode", new XAttribute("code", "active")),
                            person)),
                    new XElement(V3 + "custodian", new XAttribute("typeCode", "CST"),
                        new XElement(V3 + "assignedEntity", new XAttribute("classCode", "ASSIGNED"), Id("id", senderOid, null))))));
        }

        // MFMI_MT700711UV02.ControlActProcess order: code, subject*, reasonOf*, queryAck, queryByParameter.
        if (result.Code == "AE" && result.Reason is not null)
        {
            control.Add(new XElement(V3 + "reasonOf", new XAttribute("typeCode", "RSON"),
                new XElement(V3 + "detectedIssueEvent", new XAttribute("classCode", "ALRT"), new XAttribute("moodCode", "EVN"),
                    new XElement(V3 + "code", new XAttribute("code", "ActAdministrativeDetectedIssueCode"), new XAttribute("codeSystem", "2.16.840.1.113883.5.4")),
                    new XElement(V3 + "triggerFor", new XAttribute("typeCode", "TRIG"),
                        new XElement(V3 + "actOrderRequired", new XAttribute("classCode", "ACT"), new XAttribute("moodCode", "RQO"),
                            new XElement(V3 + "code", new XAttribute("code", result.ErrorCode ?? "ERROR_GENERIC"), new XAttribute("displayName", result.Reason)))))));
        }

        var parameters = new XElement(V3 + "parameterList");
        if (query?.IdExtension is not null)
        {
            parameters.Add(new XElement(V3 + "livingSubjectId", Id("value", query.IdRoot, query.IdExtension), new XElement(V3 + "semanticsText", "LivingSubject.id")));
        }

        control.Add(new XElement(V3 + "queryAck",
            Id("queryId", "1.3.6.1.4.1.12559.11.10.1.3.2.4", Guid.NewGuid().ToString("N")),
            new XElement(V3 + "queryResponseCode", new XAttribute("code", result.Code)),
            new XElement(V3 + "resultTotalQuantity", new XAttribute("value", result.Patients.Count)),
            new XElement(V3 + "resultCurrentQuantity", new XAttribute("value", result.Patients.Count)),
            new XElement(V3 + "resultRemainingQuantity", new XAttribute("value", 0))));
        control.Add(new XElement(V3 + "queryByParameter",
            Id("queryId", "1.3.6.1.4.1.12559.11.10.1.3.2.4", Guid.NewGuid().ToString("N")),
            new XElement(V3 + "statusCode", new XAttribute("code", "new")),
            new XElement(V3 + "responseModalityCode", new XAttribute("code", "R")),
            new XElement(V3 + "responsePriorityCode", new XAttribute("code", "I")),
            parameters));
        var message = Message("PRPA_IN201306UV02", senderOid, receiverOid, control);
        // MCCI_MT000300UV01.Message order: ..., receiver, sender, acknowledgement*, controlActProcess.
        message.Element(V3 + "sender")!.AddAfterSelf(new XElement(V3 + "acknowledgement",
            new XElement(V3 + "typeCode", new XAttribute("code", result.Code == "AE" ? "AE" : "AA"))));
        return message;
    }

    /// <summary>Reads a response payload.</summary>
    /// <param name="payload">The PRPA_IN201306UV02 element.</param>
    /// <exception cref="SoapFaultException">Not a PRPA_IN201306UV02.</exception>
    public static XcpdResult ReadResponse(XElement payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Name != V3 + "PRPA_IN201306UV02")
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", $"expected PRPA_IN201306UV02, got {payload.Name.LocalName}");
        }

        var control = payload.Element(V3 + "controlActProcess");
        var code = control?.Element(V3 + "queryAck")?.Element(V3 + "queryResponseCode").Attr("code") ?? "AE";
        var issue = control?.Element(V3 + "reasonOf")?.Descendants(V3 + "actOrderRequired").FirstOrDefault()?.Element(V3 + "code");
        var patients = new List<XcpdPatient>();
        foreach (var patient in control?.Elements(V3 + "subject").Select(s => s.Element(V3 + "registrationEvent")?.Element(V3 + "subject1")?.Element(V3 + "patient")).OfType<XElement>() ?? [])
        {
            var id = patient.Element(V3 + "id");
            var person = patient.Element(V3 + "patientPerson");
            var name = person?.Element(V3 + "name");
            var birth = person?.Element(V3 + "birthTime").Attr("value");
            DateOnly? birthDate = birth is { Length: >= 8 } && DateOnly.TryParseExact(birth[..8], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var b) ? b : null;
            if (id.Attr("extension") is not { } extension || id.Attr("root") is not { } root)
            {
                continue;
            }

            patients.Add(new XcpdPatient(root, extension, Text(name?.Element(V3 + "family")),
                name?.Elements(V3 + "given").Select(g => g.Value.Trim()).Where(g => g.Length > 0).ToList() ?? [],
                person?.Element(V3 + "administrativeGenderCode").Attr("code"), birthDate, Text(person?.Element(V3 + "addr")?.Element(V3 + "country"))));
        }

        return new XcpdResult(code, patients, issue.Attr("displayName"), issue.Attr("code"));
    }

    private static XElement Message(string interaction, string senderOid, string receiverOid, XElement control) =>
        new(V3 + interaction, new XAttribute("xmlns", V3.NamespaceName), new XAttribute("ITSVersion", "XML_1.0"),
            Id("id", "1.3.6.1.4.1.12559.11.10.1.3.2.1", Guid.NewGuid().ToString("N")),
            new XElement(V3 + "creationTime", new XAttribute("value", DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture))),
            new XElement(V3 + "interactionId", new XAttribute("root", "2.16.840.1.113883.1.6"), new XAttribute("extension", interaction)),
            new XElement(V3 + "processingCode", new XAttribute("code", "P")),
            new XElement(V3 + "processingModeCode", new XAttribute("code", "T")),
            new XElement(V3 + "acceptAckCode", new XAttribute("code", interaction == "PRPA_IN201305UV02" ? "AL" : "NE")),
            Device("receiver", "RCV", receiverOid),
            Device("sender", "SND", senderOid),
            control);

    private static XElement Device(string name, string typeCode, string oid) =>
        new(V3 + name, new XAttribute("typeCode", typeCode),
            new XElement(V3 + "device", new XAttribute("classCode", "DEV"), new XAttribute("determinerCode", "INSTANCE"),
                Id("id", oid, null),
                new XElement(V3 + "asAgent", new XAttribute("classCode", "AGNT"),
                    new XElement(V3 + "representedOrganization", new XAttribute("classCode", "ORG"), new XAttribute("determinerCode", "INSTANCE"), Id("id", oid, null)))));

    private static XElement Id(string element, string? root, string? extension)
    {
        var id = new XElement(V3 + element);
        if (root is not null)
        {
            id.Add(new XAttribute("root", root));
        }

        if (extension is not null)
        {
            id.Add(new XAttribute("extension", extension));
        }

        return id;
    }

    private static string? Text(XElement? element) => element?.Value.Trim() is { Length: > 0 } value ? value : null;
}
