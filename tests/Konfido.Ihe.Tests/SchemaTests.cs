using System.Xml.Linq;
using Konfido.Ihe.Soap;
using Konfido.Ihe.Transactions;

namespace Konfido.Ihe.Tests;

/// <summary>Everything Konfido sends validates against the (minimal) schemas; broken messages do not.</summary>
public sealed class SchemaTests
{
    private static readonly DocumentEntry Entry = new("2.25.99", "1.2.3", "urn:oid:2.16.724", RegistryObjects.PatientCx("0101701234", "1.2.208.176.1.2"),
        IheDocumentClass.EDispensation, "eDispensation", new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));

    public static TheoryData<string> Messages => new()
    {
        "xcpd-request", "xcpd-response", "xcpd-error", "xca-query", "xca-query-response", "xca-query-failure", "xca-retrieve", "xca-retrieve-response", "xdr-request", "xdr-response", "fault",
    };

    private static XElement Build(string name) => name switch
    {
        "xcpd-request" => Xcpd.CreateRequest(new XcpdQuery("1.2.208.176.1.2", "0101701234", "Hansen", "Jens", new DateOnly(1950, 3, 14)), "2.25.1", "2.25.2"),
        "xcpd-response" => Xcpd.CreateResponse(new XcpdResult("OK", [new XcpdPatient("1.2.208.176.1.2", "0101701234", "Hansen", ["Jens"], "M", new DateOnly(1950, 3, 14), "DK")]), "2.25.1", "2.25.2",
            new XcpdQuery("1.2.208.176.1.2", "0101701234")),
        "xcpd-error" => Xcpd.CreateResponse(new XcpdResult("AE", [], "denied", "InsufficientRights"), "2.25.1", "2.25.2"),
        "xca-query" => Xca.CreateQuery("0101701234", "1.2.208.176.1.2", IheDocumentClass.PatientSummary),
        "xca-query-response" => Xca.CreateQueryResponse(RegistryResult.Ok, [Entry with { DocumentClass = IheDocumentClass.PatientSummary, Size = 10, Hash = "ab" }]),
        "xca-query-failure" => Xca.CreateQueryResponse(RegistryResult.Fail("InsufficientRights", "denied"), []),
        "xca-retrieve" => Xca.CreateRetrieve([new DocumentRequest("urn:oid:2.25.1", "2.25.2", "2.25.3")]),
        "xca-retrieve-response" => Xca.CreateRetrieveResponse(RegistryResult.Ok, [new RetrievedDocument(new DocumentRequest("urn:oid:2.25.1", "2.25.2", "2.25.3"), "text/xml", [1, 2, 3])]).Payload,
        "xdr-request" => Xdr.CreateRequest(Entry, [1, 2, 3], "2.25.1").Payload,
        "xdr-response" => RegistryObjects.RegistryResponse(RegistryResult.Fail("XDSRegistryError", "x")),
        "fault" => SoapFaultException.Sender("XDSRegistryMetadataError", "bad").ToEnvelope().Root!,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void What_konfido_sends_is_schema_valid(string name)
    {
        var payload = Build(name);
        Assert.Empty(IheSchemas.Validate(payload));
        Assert.Empty(IheSchemas.Validate(SoapEnvelope.Create("urn:test", payload).Root!));
    }

    [Fact]
    public void Parameters_out_of_hl7_order_are_rejected()
    {
        var request = Build("xcpd-request");
        var list = request.Descendants(IheNames.Hl7 + "parameterList").Single();
        var birth = list.Element(IheNames.Hl7 + "livingSubjectBirthTime")!;
        birth.Remove();
        list.Add(birth);
        Assert.NotEmpty(IheSchemas.Validate(request));
    }

    [Fact]
    public void A_retrieve_without_a_document_id_is_rejected()
    {
        var request = Build("xca-retrieve");
        request.Descendants(IheNames.Xdsb + "DocumentUniqueId").Single().Remove();
        Assert.NotEmpty(IheSchemas.Validate(request));
    }

    [Fact]
    public void An_unknown_registry_status_is_rejected()
    {
        var response = Build("xdr-response");
        response.SetAttributeValue("status", "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Maybe");
        Assert.NotEmpty(IheSchemas.Validate(response));
    }

    [Fact]
    public void Metadata_in_the_wrong_rim_order_is_rejected()
    {
        var response = Build("xca-query-response");
        var extrinsic = response.Descendants(IheNames.Rim + "ExtrinsicObject").Single();
        var name = extrinsic.Element(IheNames.Rim + "Name")!;
        name.Remove();
        extrinsic.Add(name);
        Assert.NotEmpty(IheSchemas.Validate(response));
    }
}
