using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Konfido.Core;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Benchmarks;

/// <summary>An SP validating one eIDAS Response (signed assertion, optionally encrypted with AES-256-GCM + RSA-OAEP-3072).</summary>
[MemoryDiagnoser]
public class SamlResponseBenchmarks
{
    private string _response = null!;
    private SamlValidationParameters _parameters = null!;

    /// <summary>Whether the assertion is encrypted to the SP.</summary>
    [Params(false, true)]
    public bool Encrypted { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var idp = TestEidasIdentityProvider.CreateEphemeral(CountryCode.Parse("ES"));
        var sp = DemoCertificates.CreateRsa("SP");
        var now = DateTimeOffset.UtcNow;
        var person = new EidasPerson("ES/DK/12345678Z", "García", "Lucía", new DateOnly(1971, 3, 14));
        _response = TestEidasIdentityProvider.ToBase64(idp.IssueResponse(new TestResponseOptions(person, "urn:sp", "https://sp/acs")
        {
            IssueInstant = now,
            EncryptTo = Encrypted ? sp : null,
        }));
        _parameters = new SamlValidationParameters(new TrustedCertificates([idp.SigningCertificate]))
        {
            DecryptionKey = sp.GetRSAPrivateKey(),
            Now = now,
            Audience = "urn:sp",
            Recipient = "https://sp/acs",
        };
        if (!SamlResponseValidator.Validate(_response, _parameters).IsValid)
        {
            throw new InvalidOperationException("benchmark response does not validate");
        }
    }

    /// <summary>Validates the Response.</summary>
    [Benchmark]
    public bool Validate() => SamlResponseValidator.Validate(_response, _parameters).IsValid;
}
