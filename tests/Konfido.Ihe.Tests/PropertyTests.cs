using System.Globalization;
using System.Text;
using Konfido.Ihe.Cda;
using Konfido.Ihe.Soap;
using Konfido.Ihe.Transactions;

namespace Konfido.Ihe.Tests;

/// <summary>Properties against naive references: time conversions round trip; corrupted messages only ever give SOAP faults.</summary>
public sealed class PropertyTests
{
    [Fact]
    public void Fhir_times_survive_the_hl7_ts_round_trip()
    {
        var random = new Random(12);
        for (var i = 0; i < 500; i++)
        {
            var instant = new DateTimeOffset(1900 + random.Next(200), 1 + random.Next(12), 1 + random.Next(28), random.Next(24), random.Next(60), random.Next(60), TimeSpan.FromMinutes(15 * random.Next(-48, 57)));
            string[] forms =
            [
                instant.ToString("yyyy", CultureInfo.InvariantCulture),
                instant.ToString("yyyy-MM", CultureInfo.InvariantCulture),
                instant.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                instant.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
            ];
            foreach (var form in forms)
            {
                Assert.Equal(form, Hl7Data.FhirTime(Hl7Data.Hl7Time(form)));
            }
        }
    }

    [Fact]
    public void Corrupted_mtom_messages_only_ever_give_sender_faults()
    {
        var (payload, attachments) = Xdr.CreateRequest(
            new DocumentEntry("2.25.1", "2.25.2", "urn:oid:2.25.3", RegistryObjects.PatientCx("1", "1.2"), IheDocumentClass.EDispensation, "eD", DateTimeOffset.UnixEpoch),
            Encoding.UTF8.GetBytes("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>"), "2.25.9");
        var (body, type) = Mtom.Write(SoapEnvelope.Create(IheNames.XdrAction, payload), attachments, IheNames.XdrAction);
        var random = new Random(34);
        var faults = 0;
        for (var i = 0; i < 2000; i++)
        {
            var corrupted = (byte[])body.Clone();
            for (var flips = random.Next(1, 8); flips > 0; flips--)
            {
                corrupted[random.Next(corrupted.Length)] = (byte)random.Next(256);
            }

            if (random.Next(4) == 0)
            {
                corrupted = corrupted[..random.Next(corrupted.Length)];
            }

            try
            {
                var package = Mtom.Read(corrupted, type);
                Xdr.ReadRequest(SoapEnvelope.Read(package.Envelope).Payload, package);
            }
            catch (SoapFaultException fault)
            {
                Assert.Equal(SoapFaultCode.Sender, fault.Code);
                faults++;
            }
        }

        Assert.True(faults > 0);
    }
}
