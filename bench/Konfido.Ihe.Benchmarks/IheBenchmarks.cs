using System.Xml.Linq;
using BenchmarkDotNet.Attributes;
using Hl7.Fhir.Model;
using Konfido.Fhir;
using Konfido.Ihe;
using Konfido.Ihe.Cda;
using Konfido.Ihe.Soap;
using Konfido.Ihe.Transactions;

namespace Konfido.Ihe.Benchmarks;

/// <summary>
/// CDA ↔ FHIR transformation of a Patient Summary (the public epSOS "Paolo" pivot sample, 7 sections /
/// 9 entries; a Konfido IPS with 2 problems, 1 allergy, 2 medications), and an in-memory XCA retrieve
/// response round trip (envelope + MTOM package written and read back, document resolved).
/// </summary>
[MemoryDiagnoser]
public class IheBenchmarks
{
    private XDocument _paolo = null!;
    private Bundle _ips = null!;
    private byte[] _mtom = null!;
    private string _contentType = null!;
    private byte[] _cdaBytes = null!;

    [GlobalSetup]
    public void Setup()
    {
        _paolo = SafeXml.TryLoad(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "epSOS_RTD_PS_EU_Pivot_CDA_Paolo.xml")), out _)!;
        _ips = PatientSummaryBuilder.Build(new PatientSummaryInput(
            new PatientRecord("0101701234", "urn:oid:1.2.208.176.1.2", "Hansen", ["Jens"], new DateOnly(1950, 3, 14), "male", "DK"),
            [new ConditionRecord("COPD", "13645005", "J44.9"), new ConditionRecord("Hypertension", "38341003", "I10")],
            [new AllergyRecord("Penicillin allergy", "91936005", "medication", "high", "Urticaria")],
            [new MedicationRecord("R03AC12", "Salmeterol", "2 inhalations twice daily"), new MedicationRecord("C09AA05", "Ramipril", "5 mg once daily")],
            new AuthorRecord("Aarhus Universitetshospital", "DK")), DateTimeOffset.UtcNow);
        _cdaBytes = SafeXml.ToUtf8(CdaTransformer.Default.PatientSummaryToCda(_ips).Value);
        (_mtom, _contentType) = Package();
    }

    [Benchmark]
    public Bundle CdaToFhir_Paolo() => CdaTransformer.Default.PatientSummaryToFhir(_paolo).Value;

    [Benchmark]
    public XDocument FhirToCda_KonfidoIps() => CdaTransformer.Default.PatientSummaryToCda(_ips).Value;

    [Benchmark]
    public int XcaRetrieveResponse_WriteAndRead()
    {
        var (body, type) = Package();
        var package = Mtom.Read(body, type);
        var (_, documents) = Xca.ReadRetrieveResponse(SoapEnvelope.Read(package.Envelope).Payload, package);
        return documents[0].Content.Length;
    }

    [Benchmark]
    public int XcaRetrieveResponse_Read()
    {
        var package = Mtom.Read(_mtom, _contentType);
        var (_, documents) = Xca.ReadRetrieveResponse(SoapEnvelope.Read(package.Envelope).Payload, package);
        return documents[0].Content.Length;
    }

    private (byte[], string) Package()
    {
        var (payload, attachments) = Xca.CreateRetrieveResponse(RegistryResult.Ok, [new RetrievedDocument(new DocumentRequest("urn:oid:2.25.1", "2.25.2", "2.25.3"), "text/xml", _cdaBytes)]);
        return Mtom.Write(SoapEnvelope.Create(IheNames.XcaRetrieveResponseAction, payload), attachments, IheNames.XcaRetrieveResponseAction);
    }
}
