using System.Net;
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Konfido.Core;
using Konfido.Custody;
using Konfido.Custody.Attestation;

namespace Konfido.Exchange.Benchmarks;

/// <summary>
/// The cost of end-to-end sealing per clinical answer: the home node seals (sign, then encrypt), the requesting node's
/// custody boundary opens, checks and re-seals for the doctor's key, or reveals to the response.
/// </summary>
[MemoryDiagnoser]
public class SealingBenchmarks
{
    private static readonly CustodyKeyId PayloadKey = CustodyKeyId.Parse("konfido.node/payload");
    private string _directory = null!;
    private KeyCustody _custody = null!;
    private ECDsa _home = null!;
    private ECDiffieHellman _doctor = null!;
    private byte[] _doctorKey = null!;
    private byte[] _payload = null!;
    private string _signature = null!;
    private FederationMember _es = null!;
    private PeerResponse _sealed = null!;
    private PayloadGateway _gateway = null!;
    private readonly PublicKeyPool<ECDiffieHellman> _recipients = PublicKeyPool<ECDiffieHellman>.ForEnvelopeRecipients();

    /// <summary>The answer size in bytes (a typical IPS is 10-40 KB).</summary>
    [Params(2_000, 30_000)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("konfido-sealing-bench").FullName;
        _custody = KeyCustody.OpenSoftware(new SoftwareCustodyOptions { Directory = _directory, Measurement = NodeMeasurement.FromDigest(SHA256.HashData("bench"u8)) });
        var key = _custody.CreateKey(PayloadKey, CustodyKeyKind.EcdhP256KeyAgreement);
        _home = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _doctor = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        _doctorKey = _doctor.ExportSubjectPublicKeyInfo();
        var text = new StringBuilder("{\"resourceType\":\"Bundle\",\"type\":\"document\",\"entry\":[");
        while (text.Length < Bytes)
        {
            text.Append("{\"resource\":{\"resourceType\":\"Condition\",\"code\":{\"text\":\"Chronic obstructive lung disease\"}}},");
        }

        _payload = Encoding.UTF8.GetBytes(text.ToString().TrimEnd(',') + "]}");
        _signature = DetachedJws.Sign(_payload, _home, "DK");
        var dk = new FederationMember("DK", "Denmark", new Uri("https://127.0.0.1:1/"), new string('a', 64), Convert.ToBase64String(_home.ExportSubjectPublicKeyInfo()));
        _es = new FederationMember("ES", "Spain", new Uri("https://127.0.0.1:2/"), new string('b', 64), "AAAA") { PayloadKey = Convert.ToBase64String(key.PublicKey.Span) };
        var trustList = new TrustList("bench", 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1), [dk, _es]);
        _sealed = new PeerResponse(HttpStatusCode.OK, SealedPayloads.Seal(_payload, _signature, _es), "DK", string.Empty) { IsSealed = true };
        _gateway = new PayloadGateway("ES", new TrustedTransform(_custody), PayloadKey, () => trustList, new InMemorySecurityEventSink());
    }

    /// <summary>Home side: attach the signature and seal for the caller's payload key.</summary>
    [Benchmark]
    public byte[] HomeSeal() => SealedPayloads.Seal(_payload, _signature, _es);

    /// <summary>The home node's seal as it runs: the caller's payload key taken from the node's pool, not imported each time.</summary>
    [Benchmark]
    public byte[] HomeSealPooledKey() => SealedPayloads.Seal(_payload, _signature, _es, _recipients);

    /// <summary>Requesting side: open in custody, check signature and FHIR shape, re-seal for the doctor.</summary>
    [Benchmark]
    public Task<string> GatewayReseal() => _gateway.ResealAsync(_sealed, _doctorKey);

    /// <summary>Requesting side for a client without a key: open, check, reveal.</summary>
    [Benchmark]
    public Task GatewayReveal() => _gateway.RevealAsync(_sealed, static (_, _, _) => ValueTask.CompletedTask);

    [GlobalCleanup]
    public void Cleanup()
    {
        _custody.Dispose();
        _gateway.Dispose();
        _recipients.Dispose();
        _home.Dispose();
        _doctor.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
