using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Hl7.Fhir.Model;

namespace Konfido.Exchange.Benchmarks;

/// <summary>The per-response costs of the exchange: ES256 detached JWS and FHIR JSON (de)serialisation.</summary>
[MemoryDiagnoser]
public class SigningBenchmarks
{
    private ECDsa _key = null!;
    private byte[] _payload = null!;
    private string _jws = null!;
    private Bundle _bundle = null!;

    /// <summary>The payload size in bytes (a typical IPS is 10-40 KB).</summary>
    [Params(2_000, 30_000)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _bundle = new Bundle { Type = Bundle.BundleType.Document, Timestamp = DateTimeOffset.UtcNow };
        while (FhirJson.Serialize(_bundle).Length < Bytes)
        {
            _bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"urn:uuid:{Guid.NewGuid()}",
                Resource = new Condition
                {
                    Code = new CodeableConcept("http://snomed.info/sct", "13645005", "Chronic obstructive lung disease"),
                    Subject = new ResourceReference("urn:uuid:" + Guid.NewGuid()),
                },
            });
        }

        _payload = FhirJson.Serialize(_bundle);
        _jws = DetachedJws.Sign(_payload, _key, "DK");
    }

    [Benchmark]
    public string Sign() => DetachedJws.Sign(_payload, _key, "DK");

    [Benchmark]
    public bool Verify() => DetachedJws.Verify(_jws, _payload, _key).IsValid;

    [Benchmark]
    public byte[] SerializeBundle() => FhirJson.Serialize(_bundle);

    [Benchmark]
    public Bundle ParseBundle() => FhirJson.Parse<Bundle>(_payload);

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();
}
