using System.Text;
using Konfido.Ihe.Soap;
using Konfido.Ihe.Transactions;

namespace Konfido.Ihe.Tests;

public sealed class TransactionTests
{
    [Fact]
    public void Xcpd_queries_read_back_what_was_asked()
    {
        var query = new XcpdQuery("1.2.208.176.1.2", "0101701234", "Hansen", "Jens", new DateOnly(1970, 1, 1));
        var read = Xcpd.ReadRequest(Xcpd.CreateRequest(query, "1.2.208.176", "2.16.724"));
        Assert.Equal(query, read);
    }

    [Fact]
    public void Xcpd_responses_read_back_every_patient()
    {
        XcpdPatient[] patients =
        [
            new("1.2.208.176.1.2", "0101701234", "Hansen", ["Jens", "Peter"], "M", new DateOnly(1970, 1, 1), "DK"),
            new("1.2.208.176.1.2", "0202802345", "Nielsen", ["Anna"], "F", null, null),
        ];
        var read = Xcpd.ReadResponse(Xcpd.CreateResponse(new XcpdResult("OK", patients), "1.2.208.176", "2.16.724"));
        Assert.Equal("OK", read.Code);
        Assert.Equal(patients.Length, read.Patients.Count);
        for (var i = 0; i < patients.Length; i++)
        {
            Assert.Equal(patients[i] with { Given = [] }, read.Patients[i] with { Given = [] });
            Assert.Equal(patients[i].Given, read.Patients[i].Given);
        }
    }

    [Fact]
    public void Xcpd_errors_carry_the_code_and_reason()
    {
        var read = Xcpd.ReadResponse(Xcpd.CreateResponse(new XcpdResult("AE", [], "no consent", "ERROR_SEC_GENERIC"), "1", "2"));
        Assert.Equal("AE", read.Code);
        Assert.Equal("no consent", read.Reason);
        Assert.Equal("ERROR_SEC_GENERIC", read.ErrorCode);
    }

    [Fact]
    public void An_xcpd_query_without_criteria_is_a_sender_fault()
    {
        var request = Xcpd.CreateRequest(new XcpdQuery("1.2", "x"), "1", "2");
        System.Xml.Linq.Extensions.Remove(request.Descendants(IheNames.Hl7 + "livingSubjectId"));
        Assert.Equal("XDSRegistryMetadataError", Assert.Throws<SoapFaultException>(() => Xcpd.ReadRequest(request)).Subcode);
    }

    [Fact]
    public void Xca_queries_read_back_patient_and_class()
    {
        var read = Xca.ReadQuery(Xca.CreateQuery("0101701234", "1.2.208.176.1.2", IheDocumentClass.EPrescription));
        Assert.Equal(new XcaQueryRequest("0101701234", "1.2.208.176.1.2", [IheDocumentClass.EPrescription]) with { Classes = read.Classes }, read);
        Assert.Equal([IheDocumentClass.EPrescription], read.Classes);
    }

    [Fact]
    public void Xca_query_responses_read_back_the_metadata()
    {
        var entry = new DocumentEntry("2.25.1234", "1.2.208.176.7", "urn:oid:1.2.208.176", RegistryObjects.PatientCx("0101701234", "1.2.208.176.1.2"),
            IheDocumentClass.PatientSummary, "Patient Summary", new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero), 10, "abcd");
        var (result, entries) = Xca.ReadQueryResponse(Xca.CreateQueryResponse(RegistryResult.Ok, [entry]));
        Assert.True(result.Success);
        Assert.Equal(entry, Assert.Single(entries));
    }

    [Fact]
    public void Xca_failures_read_back_their_errors()
    {
        var (result, entries) = Xca.ReadQueryResponse(Xca.CreateQueryResponse(RegistryResult.Fail("ERROR_SEC_GENERIC", "denied"), []));
        Assert.False(result.Success);
        Assert.Empty(entries);
        Assert.Equal(new RegistryError("ERROR_SEC_GENERIC", "denied"), Assert.Single(result.Errors));
    }

    [Theory]
    [InlineData("$XDSDocumentEntryPatientId", "'broken'", "XDSStoredQueryParamNumber")]
    [InlineData("$XDSDocumentEntryClassCode", "('11111-1^^2.16.840.1.113883.6.1')", "XDSRegistryMetadataError")]
    public void Malformed_xca_queries_are_sender_faults(string slot, string value, string subcode)
    {
        var request = Xca.CreateQuery("0101701234", "1.2.208.176.1.2", IheDocumentClass.PatientSummary);
        var element = request.Descendants(IheNames.Rim + "Slot").Single(s => s.Attribute("name")!.Value == slot).Descendants(IheNames.Rim + "Value").Single();
        element.Value = value;
        Assert.Equal(subcode, Assert.Throws<SoapFaultException>(() => Xca.ReadQuery(request)).Subcode);
    }

    [Fact]
    public void Retrieve_requests_read_back()
    {
        DocumentRequest[] requests = [new("urn:oid:1.2", "1.2.3", "1.2.3.4"), new(null, "1.2.3", "1.2.3.5")];
        Assert.Equal(requests, Xca.ReadRetrieve(Xca.CreateRetrieve(requests)));
    }

    [Fact]
    public void Xdr_submissions_read_back_metadata_and_document()
    {
        var content = Encoding.UTF8.GetBytes("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>");
        var entry = new DocumentEntry("2.25.99", "1.2.3", "urn:oid:2.16.724", RegistryObjects.PatientCx("0101701234", "1.2.208.176.1.2"),
            IheDocumentClass.EDispensation, "eDispensation", new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        var (payload, attachments) = Xdr.CreateRequest(entry, content, "2.16.724");
        var (body, type) = Mtom.Write(SoapEnvelope.Create(IheNames.XdrAction, payload), attachments, IheNames.XdrAction);
        var package = Mtom.Read(body, type);
        var (readEntry, readContent) = Xdr.ReadRequest(SoapEnvelope.Read(package.Envelope).Payload, package);
        Assert.Equal(content, readContent);
        Assert.Equal(entry.Describing(content), readEntry);
    }

    [Fact]
    public void An_xdr_document_that_does_not_match_its_hash_is_refused()
    {
        var entry = new DocumentEntry("2.25.99", "1.2.3", "urn:oid:2.16.724", RegistryObjects.PatientCx("1", "1.2"), IheDocumentClass.EDispensation, "eD", DateTimeOffset.UnixEpoch);
        var (payload, attachments) = Xdr.CreateRequest(entry, [1, 2, 3], "2.16.724");
        var (body, type) = Mtom.Write(SoapEnvelope.Create(IheNames.XdrAction, payload), [attachments[0] with { Content = [1, 2, 4] }], IheNames.XdrAction);
        var package = Mtom.Read(body, type);
        Assert.Equal("XDSRepositoryMetadataError", Assert.Throws<SoapFaultException>(() => Xdr.ReadRequest(SoapEnvelope.Read(package.Envelope).Payload, package)).Subcode);
    }

    [Theory]
    [InlineData("0101701234^^^&1.2.208.176.1.2&ISO", "0101701234", "1.2.208.176.1.2")]
    [InlineData("'0410009234^^^&1.2.208.176.1.2&ISO'", "0410009234", "1.2.208.176.1.2")]
    public void Patient_cx_values_parse(string cx, string value, string oid) =>
        Assert.Equal((value, oid), RegistryObjects.ParsePatientCx(cx));

    [Theory]
    [InlineData("")]
    [InlineData("0101701234")]
    [InlineData("^^^&1.2&ISO")]
    [InlineData("1^^^1.2")]
    public void Malformed_patient_cx_values_do_not_parse(string cx) => Assert.Null(RegistryObjects.ParsePatientCx(cx));
}
