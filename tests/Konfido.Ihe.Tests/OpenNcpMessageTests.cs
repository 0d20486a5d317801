using Konfido.Ihe.Soap;
using Konfido.Ihe.Transactions;

namespace Konfido.Ihe.Tests;

/// <summary>Requests as a real NCP sends them to OpenNCP (Samples/openncp, see the README) parse in Konfido's responding gateway.</summary>
public sealed class OpenNcpMessageTests
{
    private static SoapMessage Read(string name)
    {
        var document = SafeXml.TryLoad(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "openncp", name)), out var error);
        Assert.Null(error);
        return SoapEnvelope.Read(document!);
    }

    [Fact]
    public void The_danish_xcpd_request_reads()
    {
        var message = Read("xcpd-request.xml");
        Assert.Equal(IheNames.XcpdAction, message.Action);
        Assert.Equal(SecurityTokens.None, message.Security);
        var query = Xcpd.ReadRequest(message.Payload);
        Assert.Equal(new XcpdQuery("2.16.17.710.802.1000.990.1.500", "0201909309"), query);
    }

    [Fact]
    public void The_danish_xca_query_reads()
    {
        var message = Read("xca-query-ps.xml");
        Assert.Equal(IheNames.XcaQueryAction, message.Action);
        var query = Xca.ReadQuery(message.Payload);
        Assert.Equal("0410009234", query.PatientValue);
        Assert.Equal("1.2.208.176.1.2", query.PatientOid);
        Assert.Equal([IheDocumentClass.PatientSummary], query.Classes);
        Assert.Empty(IheSchemas.Validate(message.Payload));
    }

    [Fact]
    public void The_danish_xca_retrieve_reads()
    {
        var message = Read("xca-retrieve-ps.xml");
        var request = Assert.Single(Xca.ReadRetrieve(message.Payload));
        Assert.Equal(new DocumentRequest(null, "1.2.208.176.7.2.987654321", "1.2.208.176.7.2.987654321^478299832581102L3"), request);
        Assert.Empty(IheSchemas.Validate(message.Payload));
    }
}
