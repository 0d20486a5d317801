using System.Globalization;
using System.Xml.Linq;
using Konfido.Ihe.Soap;

namespace Konfido.Ihe.Transactions;

/// <summary>
/// ITI-41 Provide and Register Document Set-b, as XDR uses it for the eHDSI eDispensation (ITI TF-2b
/// 3.41): one submission set holding one DocumentEntry, the document as an MTOM attachment, and a
/// RegistryResponse back.
/// </summary>
public static class Xdr
{
    private static readonly XNamespace Rim = IheNames.Rim, Xdsb = IheNames.Xdsb, Lcm = IheNames.Lcm;

    /// <summary>The request and its attachment. Requires the metadata and the document bytes.</summary>
    /// <param name="entry">The document's metadata.</param>
    /// <param name="content">The document.</param>
    /// <param name="sourceOid">The submitting gateway's OID (SubmissionSet.sourceId).</param>
    public static (XElement Payload, IReadOnlyList<MtomAttachment> Attachments) CreateRequest(DocumentEntry entry, byte[] content, string sourceOid)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceOid);
        var documentId = RegistryObjects.NewId();
        var setId = RegistryObjects.NewId();
        var cid = $"document.{Guid.NewGuid():N}@konfido";
        var package = new XElement(Rim + "RegistryPackage", new XAttribute("id", setId),
            new XAttribute("objectType", "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage"),
            RegistryObjects.Slot("submissionTime", DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)),
            RegistryObjects.ExternalIdentifier(RegistryObjects.SubmissionSetUniqueIdScheme, setId, "2.25." + new System.Numerics.BigInteger(Guid.NewGuid().ToByteArray(), isUnsigned: true), "XDSSubmissionSet.uniqueId"),
            RegistryObjects.ExternalIdentifier(RegistryObjects.SubmissionSetSourceIdScheme, setId, sourceOid, "XDSSubmissionSet.sourceId"),
            RegistryObjects.ExternalIdentifier(RegistryObjects.SubmissionSetPatientIdScheme, setId, entry.PatientId, "XDSSubmissionSet.patientId"));
        var payload = new XElement(Xdsb + "ProvideAndRegisterDocumentSetRequest",
            new XAttribute(XNamespace.Xmlns + "xdsb", Xdsb.NamespaceName), new XAttribute(XNamespace.Xmlns + "lcm", Lcm.NamespaceName),
            new XAttribute(XNamespace.Xmlns + "rim", Rim.NamespaceName),
            new XElement(Lcm + "SubmitObjectsRequest",
                new XElement(Rim + "RegistryObjectList",
                    RegistryObjects.ExtrinsicObject(entry.Describing(content), documentId),
                    package,
                    new XElement(Rim + "Classification", new XAttribute("id", RegistryObjects.NewId()), new XAttribute("classifiedObject", setId),
                        new XAttribute("classificationNode", RegistryObjects.SubmissionSetNode)),
                    new XElement(Rim + "Association", new XAttribute("id", RegistryObjects.NewId()),
                        new XAttribute("associationType", "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"),
                        new XAttribute("sourceObject", setId), new XAttribute("targetObject", documentId),
                        RegistryObjects.Slot("SubmissionSetStatus", "Original")))),
            new XElement(Xdsb + "Document", new XAttribute("id", documentId), Mtom.Include(cid)));
        return (payload, [new MtomAttachment(cid, entry.MimeType, content)]);
    }

    /// <summary>Reads a request: the single DocumentEntry and its document.</summary>
    /// <param name="payload">The ProvideAndRegisterDocumentSetRequest.</param>
    /// <param name="package">The message (for attachments).</param>
    /// <exception cref="SoapFaultException">Malformed metadata, not exactly one document, or a document without metadata.</exception>
    public static (DocumentEntry Entry, byte[] Content) ReadRequest(XElement payload, SoapPackage package)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(package);
        if (payload.Name != Xdsb + "ProvideAndRegisterDocumentSetRequest")
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", $"expected ProvideAndRegisterDocumentSetRequest, got {payload.Name.LocalName}");
        }

        var objects = payload.Element(Lcm + "SubmitObjectsRequest")?.Element(Rim + "RegistryObjectList")
            ?? throw SoapFaultException.Sender("XDSRegistryMetadataError", "the request has no SubmitObjectsRequest/RegistryObjectList");
        var extrinsic = objects.Elements(Rim + "ExtrinsicObject").ToList();
        var documents = payload.Elements(Xdsb + "Document").ToList();
        if (extrinsic.Count != 1 || documents.Count != 1)
        {
            throw SoapFaultException.Sender("XDSRegistryMetadataError", $"an eDispensation submission holds exactly one DocumentEntry and one Document (got {extrinsic.Count} and {documents.Count})");
        }

        if (documents[0].Attr("id") != extrinsic[0].Attr("id"))
        {
            throw SoapFaultException.Sender("XDSMissingDocumentMetadata", "the Document's id does not match the DocumentEntry's id");
        }

        var entry = RegistryObjects.ReadExtrinsicObject(extrinsic[0]);
        var content = package.ContentOf(documents[0]);
        if (entry.Size is { } size && size != content.Length)
        {
            throw SoapFaultException.Sender("XDSRepositoryMetadataError", $"the DocumentEntry size ({size}) does not match the document ({content.Length} bytes)");
        }

        if (entry.Hash is { } hash && !string.Equals(entry.Describing(content).Hash, hash, StringComparison.OrdinalIgnoreCase))
        {
            throw SoapFaultException.Sender("XDSRepositoryMetadataError", "the DocumentEntry hash does not match the document");
        }

        return (entry, content);
    }
}
