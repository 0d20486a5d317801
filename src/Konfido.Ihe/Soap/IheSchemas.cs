using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;

namespace Konfido.Ihe.Soap;

/// <summary>
/// Schema validation of the IHE messages Konfido sends, against the minimal schemas embedded under
/// <c>Schemas/</c> (see its README: written for Konfido from the normative HL7 V3, ebXML RegRep 3.0,
/// IHE XDS.b and SOAP 1.2 schemas, which were not available offline). XOP includes are validated in
/// their reconstituted form (base64).
/// </summary>
public static class IheSchemas
{
    private static readonly Lazy<XmlSchemaSet> Set = new(Load);

    /// <summary>The validation errors of <paramref name="payload"/> (an envelope or a body payload); empty when valid.</summary>
    /// <param name="payload">The element.</param>
    public static IReadOnlyList<string> Validate(XElement payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var copy = new XElement(payload);
        foreach (var include in copy.Descendants(IheNames.Xop + "Include").ToList())
        {
            // XOP reconstitution: the infoset holds the base64 of the attachment; any valid base64 stands in for it here.
            include.Parent!.Value = "AAAA";
        }

        var errors = new List<string>();
        new XDocument(copy).Validate(Set.Value, (_, e) => errors.Add($"{e.Severity}: {e.Message}"), addSchemaInfo: false);
        return errors;
    }

    private static XmlSchemaSet Load()
    {
        var set = new XmlSchemaSet { XmlResolver = null };
        using (var xml = XmlReader.Create(new StringReader(
            "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"http://www.w3.org/XML/1998/namespace\"><xs:attribute name=\"lang\" type=\"xs:language\"/></xs:schema>")))
        {
            set.Add(null, xml);
        }

        foreach (var name in new[] { "soap12.xsd", "hl7v3-xcpd.xsd", "ebrim-3.0.xsd", "ebrs-3.0.xsd", "ebquery-3.0.xsd", "eblcm-3.0.xsd", "xdsb.xsd" })
        {
            using var stream = typeof(IheSchemas).Assembly.GetManifestResourceStream("Konfido.Ihe.Schemas." + name)
                ?? throw new InvalidOperationException($"The schema {name} is not embedded.");
            using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            set.Add(null, reader);
        }

        set.Compile();
        return set;
    }
}
