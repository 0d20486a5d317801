using System.Globalization;
using System.Security.Cryptography;
using System.Xml.Linq;
using Konfido.Ihe.Soap;

namespace Konfido.Ihe.Transactions;

/// <summary>
/// The XDS metadata of one document (ITI TF-3 4.2.3.2 DocumentEntry) that XCA and XDR carry.
/// </summary>
/// <param name="UniqueId">XDSDocumentEntry.uniqueId (an OID, optionally ^extension).</param>
/// <param name="RepositoryUniqueId">The repository's OID.</param>
/// <param name="HomeCommunityId">The home community (<c>urn:oid:...</c>).</param>
/// <param name="PatientId">The patient as an HL7 CX: <c>value^^^&amp;oid&amp;ISO</c>.</param>
/// <param name="DocumentClass">The eHDSI document class (classCode).</param>
/// <param name="Title">A display title.</param>
/// <param name="CreationTime">When the document was created (UTC).</param>
/// <param name="Size">The byte size, or null.</param>
/// <param name="Hash">The lower-case hex SHA-1 (as XDS defines it), or null.</param>
public sealed record DocumentEntry(string UniqueId, string RepositoryUniqueId, string HomeCommunityId, string PatientId, IheDocumentClass DocumentClass,
    string Title, DateTimeOffset CreationTime, long? Size = null, string? Hash = null)
{
    /// <summary>The media type (eHDSI level-3 CDA documents are XML).</summary>
    public string MimeType => "text/xml";

    /// <summary>The eHDSI format code of the level-3 (pivot) document.</summary>
    public string FormatCode => DocumentClass switch
    {
        IheDocumentClass.PatientSummary => "urn:epSOS:ps:ps:2010",
        IheDocumentClass.EPrescription => "urn:epSOS:ep:pre:2010",
        _ => "urn:epSOS:ep:dis:2010",
    };

    /// <summary>A copy with <see cref="Size"/> and <see cref="Hash"/> of <paramref name="content"/>.</summary>
    /// <param name="content">The document bytes.</param>
    public DocumentEntry Describing(byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
#pragma warning disable CA5350 // XDS defines the document hash as SHA-1 (ITI TF-3 Table 4.2.3.2-1); it is metadata, not a security control.
        return this with { Size = content.Length, Hash = Convert.ToHexStringLower(SHA1.HashData(content)) };
#pragma warning restore CA5350
    }
}

/// <summary>An ebXML registry error (ITI TF-3 4.2.4).</summary>
/// <param name="ErrorCode">The IHE or eHDSI code (e.g. XDSRegistryError, ERROR_SEC_GENERIC).</param>
/// <param name="CodeContext">The detail, for people.</param>
/// <param name="Location">Where it arose, or null.</param>
public sealed record RegistryError(string ErrorCode, string CodeContext, string? Location = null);

/// <summary>A registry response: success, or failure with errors.</summary>
/// <param name="Success">True for ResponseStatusType:Success.</param>
/// <param name="Errors">The errors (empty on success).</param>
public sealed record RegistryResult(bool Success, IReadOnlyList<RegistryError> Errors)
{
    /// <summary>A success.</summary>
    public static RegistryResult Ok { get; } = new(true, []);

    /// <summary>A failure with one error.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="context">The detail.</param>
    public static RegistryResult Fail(string code, string context) => new(false, [new RegistryError(code, context)]);
}

/// <summary>ebRIM 3.0 writing and reading of DocumentEntry metadata, slots and registry responses.</summary>
public static class RegistryObjects
{
    internal const string DocumentEntryType = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1";
    internal const string ClassCodeScheme = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a";
    internal const string FormatCodeScheme = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d";
    internal const string PatientIdScheme = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427";
    internal const string UniqueIdScheme = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";
    internal const string SubmissionSetNode = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";
    internal const string SubmissionSetUniqueIdScheme = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8";
    internal const string SubmissionSetSourceIdScheme = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832";
    internal const string SubmissionSetPatientIdScheme = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446";
    private static readonly XNamespace Rim = IheNames.Rim;

    /// <summary>Formats an HL7 CX patient identifier.</summary>
    /// <param name="value">The identifier value.</param>
    /// <param name="oid">The assigning authority OID.</param>
    public static string PatientCx(string value, string oid) => $"{value}^^^&{oid}&ISO";

    /// <summary>Splits an HL7 CX (<c>value^^^&amp;oid&amp;ISO</c>, optionally quoted) into value and OID; null when malformed.</summary>
    /// <param name="cx">The CX text.</param>
    public static (string Value, string Oid)? ParsePatientCx(string? cx)
    {
        var text = cx?.Trim().Trim('\'');
        var parts = text?.Split('^');
        if (parts is not { Length: >= 4 } || parts[0].Length == 0)
        {
            return null;
        }

        var authority = parts[3].Split('&');
        return authority.Length >= 2 && authority[1].Length > 0 ? (parts[0], authority[1]) : null;
    }

    /// <summary>An <c>rim:ExtrinsicObject</c> for <paramref name="entry"/>.</summary>
    /// <param name="entry">The metadata.</param>
    /// <param name="id">The object's registry id (urn:uuid).</param>
    public static XElement ExtrinsicObject(DocumentEntry entry, string id)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var element = new XElement(Rim + "ExtrinsicObject",
            new XAttribute("id", id), new XAttribute("mimeType", entry.MimeType), new XAttribute("objectType", DocumentEntryType),
            new XAttribute("status", "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"), new XAttribute("home", entry.HomeCommunityId),
            Slot("creationTime", entry.CreationTime.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)),
            Slot("repositoryUniqueId", entry.RepositoryUniqueId),
            Slot("sourcePatientId", entry.PatientId),
            Slot("languageCode", "en-GB"));
        if (entry.Size is { } size)
        {
            element.Add(Slot("size", size.ToString(CultureInfo.InvariantCulture)));
        }

        if (entry.Hash is { } hash)
        {
            element.Add(Slot("hash", hash));
        }

        element.Add(
            Name(entry.Title),
            Classification(ClassCodeScheme, id, entry.DocumentClass.Code(), IheNames.LoincOid, entry.Title),
            Classification(FormatCodeScheme, id, entry.FormatCode, "eHDSI formatCodes", entry.FormatCode),
            ExternalIdentifier(PatientIdScheme, id, entry.PatientId, "XDSDocumentEntry.patientId"),
            ExternalIdentifier(UniqueIdScheme, id, entry.UniqueId, "XDSDocumentEntry.uniqueId"));
        return element;
    }

    /// <summary>Reads a DocumentEntry from an <c>rim:ExtrinsicObject</c>.</summary>
    /// <param name="element">The element.</param>
    /// <exception cref="SoapFaultException">Required metadata is missing.</exception>
    public static DocumentEntry ReadExtrinsicObject(XElement element)
    {
        ArgumentNullException.ThrowIfNull(element);
        string Required(string? value, string what) =>
            value ?? throw SoapFaultException.Sender("XDSRegistryMetadataError", $"the DocumentEntry has no {what}");
        var uniqueId = Required(External(element, UniqueIdScheme), "uniqueId");
        var patient = Required(External(element, PatientIdScheme) ?? SlotValue(element, "sourcePatientId"), "patientId");
        var classCode = Required(element.Elements(Rim + "Classification").FirstOrDefault(c => c.Attr("classificationScheme") == ClassCodeScheme).Attr("nodeRepresentation"), "classCode");
        var documentClass = IheDocumentClasses.FromCode(classCode)
            ?? throw SoapFaultException.Sender("XDSRegistryMetadataError", $"classCode '{classCode}' is not an eHDSI document class Konfido exchanges");
        var created = SlotValue(element, "creationTime");
        var creation = created is { Length: >= 8 } && DateTime.TryParseExact(created.PadRight(14, '0')[..14], "yyyyMMddHHmmss", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) ? new DateTimeOffset(t, TimeSpan.Zero) : DateTimeOffset.UnixEpoch;
        long? size = long.TryParse(SlotValue(element, "size"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
        return new DocumentEntry(uniqueId, SlotValue(element, "repositoryUniqueId") ?? string.Empty, element.Attr("home") ?? string.Empty, patient, documentClass,
            element.Element(Rim + "Name")?.Element(Rim + "LocalizedString").Attr("value") ?? classCode, creation, size, SlotValue(element, "hash"));
    }

    /// <summary>A <c>rim:Slot</c> with values.</summary>
    /// <param name="name">The slot name.</param>
    /// <param name="values">Its values.</param>
    public static XElement Slot(string name, params string[] values) =>
        new(Rim + "Slot", new XAttribute("name", name), new XElement(Rim + "ValueList", values.Select(v => new XElement(Rim + "Value", v))));

    /// <summary>The values of slot <paramref name="name"/> under <paramref name="parent"/>.</summary>
    /// <param name="parent">The owner.</param>
    /// <param name="name">The slot name.</param>
    public static IReadOnlyList<string> SlotValues(XElement parent, string name) =>
        parent.Elements(Rim + "Slot").Where(s => s.Attr("name") == name)
            .SelectMany(s => s.Element(Rim + "ValueList")?.Elements(Rim + "Value") ?? []).Select(v => v.Value.Trim()).ToList();

    /// <summary>A RegistryResponse (<c>rs:RegistryResponse</c>) for <paramref name="result"/>.</summary>
    /// <param name="result">The outcome.</param>
    public static XElement RegistryResponse(RegistryResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var response = new XElement(IheNames.Rs + "RegistryResponse", new XAttribute(XNamespace.Xmlns + "rs", IheNames.Rs.NamespaceName),
            new XAttribute("status", result.Success ? IheNames.StatusSuccess : IheNames.StatusFailure));
        if (result.Errors.Count > 0)
        {
            response.Add(ErrorList(result.Errors));
        }

        return response;
    }

    /// <summary>An <c>rs:RegistryErrorList</c>.</summary>
    /// <param name="errors">The errors.</param>
    public static XElement ErrorList(IEnumerable<RegistryError> errors) =>
        new(IheNames.Rs + "RegistryErrorList", errors.Select(e =>
        {
            var error = new XElement(IheNames.Rs + "RegistryError", new XAttribute("errorCode", e.ErrorCode), new XAttribute("codeContext", e.CodeContext),
                new XAttribute("severity", IheNames.SeverityError));
            if (e.Location is not null)
            {
                error.Add(new XAttribute("location", e.Location));
            }

            return error;
        }));

    /// <summary>Reads the status and errors of an element holding <c>status</c> and an optional RegistryErrorList.</summary>
    /// <param name="response">A RegistryResponse or AdhocQueryResponse.</param>
    public static RegistryResult ReadResult(XElement response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var errors = response.Element(IheNames.Rs + "RegistryErrorList")?.Elements(IheNames.Rs + "RegistryError")
            .Select(e => new RegistryError(e.Attr("errorCode") ?? "Unknown", e.Attr("codeContext") ?? e.Value.Trim(), e.Attr("location"))).ToList() ?? [];
        return new RegistryResult(response.Attr("status") == IheNames.StatusSuccess, errors);
    }

    private static XElement Name(string text) => new(Rim + "Name", new XElement(Rim + "LocalizedString", new XAttribute("value", text)));

    internal static XElement Classification(string scheme, string classified, string code, string codingScheme, string display) =>
        new(Rim + "Classification", new XAttribute("id", NewId()), new XAttribute("classificationScheme", scheme), new XAttribute("classifiedObject", classified),
            new XAttribute("nodeRepresentation", code), new XAttribute("objectType", "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification"),
            Slot("codingScheme", codingScheme), Name(display));

    internal static XElement ExternalIdentifier(string scheme, string registryObject, string value, string name) =>
        new(Rim + "ExternalIdentifier", new XAttribute("id", NewId()), new XAttribute("identificationScheme", scheme), new XAttribute("registryObject", registryObject),
            new XAttribute("value", value), new XAttribute("objectType", "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier"), Name(name));

    internal static string NewId() => "urn:uuid:" + Guid.NewGuid().ToString("D");

    private static string? External(XElement element, string scheme) =>
        element.Elements(Rim + "ExternalIdentifier").FirstOrDefault(e => e.Attr("identificationScheme") == scheme).Attr("value");

    private static string? SlotValue(XElement element, string name) => SlotValues(element, name).FirstOrDefault();
}
