using System.Xml.Linq;
using Konfido.Ihe.Soap;

namespace Konfido.Ihe.Transactions;

/// <summary>An XCA query as the responding gateway reads it.</summary>
/// <param name="PatientValue">The patient identifier value.</param>
/// <param name="PatientOid">The identifier's assigning authority OID.</param>
/// <param name="Classes">The document classes asked for.</param>
public sealed record XcaQueryRequest(string PatientValue, string PatientOid, IReadOnlyList<IheDocumentClass> Classes);

/// <summary>One requested document of an ITI-39 retrieve.</summary>
/// <param name="HomeCommunityId">The home community, or null.</param>
/// <param name="RepositoryUniqueId">The repository OID.</param>
/// <param name="DocumentUniqueId">The document's unique id.</param>
public sealed record DocumentRequest(string? HomeCommunityId, string RepositoryUniqueId, string DocumentUniqueId);

/// <summary>One retrieved document.</summary>
/// <param name="Request">What it answers.</param>
/// <param name="MimeType">Its media type.</param>
/// <param name="Content">Its bytes.</param>
public sealed record RetrievedDocument(DocumentRequest Request, string MimeType, byte[] Content);

/// <summary>
/// ITI-38 Cross-Gateway Query (FindDocuments stored query, ITI TF-2b 3.38) and ITI-39 Cross-Gateway
/// Retrieve (ITI TF-2b 3.39, documents as MTOM/XOP attachments) messages.
/// </summary>
public static class Xca
{
    private static readonly XNamespace Query = IheNames.Query, Rim = IheNames.Rim, Xdsb = IheNames.Xdsb;

    /// <summary>Builds the FindDocuments AdhocQueryRequest for a patient and document class.</summary>
    /// <param name="patientValue">The identifier value.</param>
    /// <param name="patientOid">Its assigning authority OID.</param>
    /// <param name="documentClass">The class asked for.</param>
    public static XElement CreateQuery(string patientValue, string patientOid, IheDocumentClass documentClass)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(patientValue);
        ArgumentException.ThrowIfNullOrWhiteSpace(patientOid);
        return new XElement(Query + "AdhocQueryRequest",
            new XAttribute(XNamespace.Xmlns + "query", Query.NamespaceName), new XAttribute(XNamespace.Xmlns + "rim", Rim.NamespaceName),
            new XElement(Query + "ResponseOption", new XAttribute("returnComposedObjects", "true"), new XAttribute("returnType", "LeafClass")),
            new XElement(Rim + "AdhocQuery", new XAttribute("id", IheNames.FindDocumentsQuery),
                RegistryObjects.Slot("$XDSDocumentEntryPatientId", $"'{RegistryObjects.PatientCx(patientValue, patientOid)}'"),
                RegistryObjects.Slot("$XDSDocumentEntryStatus", "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"),
                RegistryObjects.Slot("$XDSDocumentEntryClassCode", $"('{documentClass.Code()}^^{IheNames.LoincOid}')")));
    }

    /// <summary>Reads an AdhocQueryRequest. A malformed one throws a sender fault.</summary>
    /// <param name="payload">The request element.</param>
    /// <exception cref="SoapFaultException">Not FindDocuments, no patient, or no class Konfido serves.</exception>
    public static XcaQueryRequest ReadQuery(XElement payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Name != Query + "AdhocQueryRequest")
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", $"expected AdhocQueryRequest, got {payload.Name.LocalName}");
        }

        var adhoc = payload.Element(Rim + "AdhocQuery") ?? throw SoapFaultException.Sender("XDSRegistryMetadataError", "the request has no AdhocQuery");
        if (adhoc.Attr("id") != IheNames.FindDocumentsQuery)
        {
            throw SoapFaultException.Sender("XDSUnknownStoredQuery", $"stored query '{adhoc.Attr("id")}' is not supported (only FindDocuments)");
        }

        var patient = RegistryObjects.ParsePatientCx(RegistryObjects.SlotValues(adhoc, "$XDSDocumentEntryPatientId").FirstOrDefault())
            ?? throw SoapFaultException.Sender("XDSStoredQueryParamNumber", "$XDSDocumentEntryPatientId is missing or not a CX (value^^^&oid&ISO)");
        var classes = new List<IheDocumentClass>();
        foreach (var value in RegistryObjects.SlotValues(adhoc, "$XDSDocumentEntryClassCode"))
        {
            foreach (var item in value.Trim('(', ')').Split(','))
            {
                var code = item.Trim().Trim('\'').Split('^')[0];
                if (IheDocumentClasses.FromCode(code) is { } documentClass and not IheDocumentClass.EDispensation)
                {
                    classes.Add(documentClass);
                }
                else
                {
                    throw SoapFaultException.Sender("XDSRegistryMetadataError", $"classCode '{code}' cannot be queried here (60591-5 or 57833-6)");
                }
            }
        }

        return classes.Count == 0
            ? throw SoapFaultException.Sender("XDSStoredQueryParamNumber", "$XDSDocumentEntryClassCode is required (60591-5 or 57833-6)")
            : new XcaQueryRequest(patient.Value, patient.Oid, classes.Distinct().ToList());
    }

    /// <summary>The AdhocQueryResponse listing <paramref name="entries"/>, or a failure.</summary>
    /// <param name="result">Success or the errors.</param>
    /// <param name="entries">The documents found.</param>
    public static XElement CreateQueryResponse(RegistryResult result, IReadOnlyList<DocumentEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(entries);
        var response = new XElement(Query + "AdhocQueryResponse",
            new XAttribute(XNamespace.Xmlns + "query", Query.NamespaceName), new XAttribute(XNamespace.Xmlns + "rim", Rim.NamespaceName),
            new XAttribute(XNamespace.Xmlns + "rs", IheNames.Rs.NamespaceName),
            new XAttribute("status", result.Success ? IheNames.StatusSuccess : IheNames.StatusFailure));
        if (result.Errors.Count > 0)
        {
            response.Add(RegistryObjects.ErrorList(result.Errors));
        }

        response.Add(new XElement(Rim + "RegistryObjectList", entries.Select(e => RegistryObjects.ExtrinsicObject(e, RegistryObjects.NewId()))));
        return response;
    }

    /// <summary>Reads an AdhocQueryResponse.</summary>
    /// <param name="payload">The response element.</param>
    /// <exception cref="SoapFaultException">Not an AdhocQueryResponse or bad metadata.</exception>
    public static (RegistryResult Result, IReadOnlyList<DocumentEntry> Entries) ReadQueryResponse(XElement payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Name != Query + "AdhocQueryResponse")
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", $"expected AdhocQueryResponse, got {payload.Name.LocalName}");
        }

        var entries = payload.Element(Rim + "RegistryObjectList")?.Elements(Rim + "ExtrinsicObject").Select(RegistryObjects.ReadExtrinsicObject).ToList() ?? [];
        return (RegistryObjects.ReadResult(payload), entries);
    }

    /// <summary>Builds a RetrieveDocumentSetRequest.</summary>
    /// <param name="requests">The documents wanted (at least one).</param>
    public static XElement CreateRetrieve(IReadOnlyList<DocumentRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentOutOfRangeException.ThrowIfZero(requests.Count);
        return new XElement(Xdsb + "RetrieveDocumentSetRequest", new XAttribute(XNamespace.Xmlns + "xdsb", Xdsb.NamespaceName),
            requests.Select(r => new XElement(Xdsb + "DocumentRequest",
                r.HomeCommunityId is null ? null : new XElement(Xdsb + "HomeCommunityId", r.HomeCommunityId),
                new XElement(Xdsb + "RepositoryUniqueId", r.RepositoryUniqueId),
                new XElement(Xdsb + "DocumentUniqueId", r.DocumentUniqueId))));
    }

    /// <summary>Reads a RetrieveDocumentSetRequest.</summary>
    /// <param name="payload">The request element.</param>
    /// <exception cref="SoapFaultException">Not a retrieve request, or a request without ids.</exception>
    public static IReadOnlyList<DocumentRequest> ReadRetrieve(XElement payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Name != Xdsb + "RetrieveDocumentSetRequest")
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", $"expected RetrieveDocumentSetRequest, got {payload.Name.LocalName}");
        }

        var requests = payload.Elements(Xdsb + "DocumentRequest").Select(r => new DocumentRequest(
            r.Element(Xdsb + "HomeCommunityId")?.Value.Trim(),
            r.Element(Xdsb + "RepositoryUniqueId")?.Value.Trim() ?? throw SoapFaultException.Sender("XDSRegistryMetadataError", "a DocumentRequest has no RepositoryUniqueId"),
            r.Element(Xdsb + "DocumentUniqueId")?.Value.Trim() ?? throw SoapFaultException.Sender("XDSRegistryMetadataError", "a DocumentRequest has no DocumentUniqueId"))).ToList();
        return requests.Count is 0 or > 16
            ? throw SoapFaultException.Sender("XDSRegistryMetadataError", "a retrieve names between 1 and 16 documents")
            : requests;
    }

    /// <summary>The RetrieveDocumentSetResponse with documents as XOP references, and the attachments to send with it (MTOM).</summary>
    /// <param name="result">Success, or the errors (then partial or no documents).</param>
    /// <param name="documents">The documents.</param>
    public static (XElement Payload, IReadOnlyList<MtomAttachment> Attachments) CreateRetrieveResponse(RegistryResult result, IReadOnlyList<RetrievedDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(documents);
        var attachments = new List<MtomAttachment>();
        var response = new XElement(Xdsb + "RetrieveDocumentSetResponse", new XAttribute(XNamespace.Xmlns + "xdsb", Xdsb.NamespaceName), RegistryObjects.RegistryResponse(result));
        foreach (var document in documents)
        {
            var cid = $"{attachments.Count + 1}.{Guid.NewGuid():N}@konfido";
            attachments.Add(new MtomAttachment(cid, document.MimeType, document.Content));
            response.Add(new XElement(Xdsb + "DocumentResponse",
                document.Request.HomeCommunityId is null ? null : new XElement(Xdsb + "HomeCommunityId", document.Request.HomeCommunityId),
                new XElement(Xdsb + "RepositoryUniqueId", document.Request.RepositoryUniqueId),
                new XElement(Xdsb + "DocumentUniqueId", document.Request.DocumentUniqueId),
                new XElement(Xdsb + "mimeType", document.MimeType),
                new XElement(Xdsb + "Document", Mtom.Include(cid))));
        }

        return (response, attachments);
    }

    /// <summary>Reads a RetrieveDocumentSetResponse, resolving XOP references in <paramref name="package"/>.</summary>
    /// <param name="payload">The response element.</param>
    /// <param name="package">The message it came in (for attachments).</param>
    /// <exception cref="SoapFaultException">Not a retrieve response, or a missing attachment.</exception>
    public static (RegistryResult Result, IReadOnlyList<RetrievedDocument> Documents) ReadRetrieveResponse(XElement payload, SoapPackage package)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(package);
        if (payload.Name != Xdsb + "RetrieveDocumentSetResponse")
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", $"expected RetrieveDocumentSetResponse, got {payload.Name.LocalName}");
        }

        var status = payload.Element(IheNames.Rs + "RegistryResponse") ?? throw SoapFaultException.Sender("XDSRegistryMetadataError", "the response has no RegistryResponse");
        var documents = payload.Elements(Xdsb + "DocumentResponse").Select(d => new RetrievedDocument(
            new DocumentRequest(d.Element(Xdsb + "HomeCommunityId")?.Value.Trim(), d.Element(Xdsb + "RepositoryUniqueId")?.Value.Trim() ?? string.Empty,
                d.Element(Xdsb + "DocumentUniqueId")?.Value.Trim() ?? string.Empty),
            d.Element(Xdsb + "mimeType")?.Value.Trim() ?? "text/xml",
            package.ContentOf(d.Element(Xdsb + "Document") ?? throw SoapFaultException.Sender("XDSMissingDocument", "a DocumentResponse has no Document")))).ToList();
        return (RegistryObjects.ReadResult(status), documents);
    }
}
