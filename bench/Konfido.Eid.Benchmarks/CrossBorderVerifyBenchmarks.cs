using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Konfido.Core;
using Konfido.Eid;
using Konfido.Eid.CrossBorder;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Benchmarks;

/// <summary>
/// Country A verifying one HCP identity assertion + TRC pair, single-threaded, as on every
/// cross-border transaction (parse, two signatures, all checks). Target: 2,000 pairs/s on one core.
/// </summary>
[MemoryDiagnoser]
public class CrossBorderVerifyBenchmarks
{
    private CrossBorderAssertionVerifier _verifier = null!;
    private CrossBorderRequest _request = null!;
    private string _hcp = null!;
    private string _trc = null!;
    private DateTimeOffset _now;

    /// <summary>The signature algorithm of the issuing country.</summary>
    [Params("ECDSA-P256", "RSA-PSS-3072")]
    public string Algorithm { get; set; } = "ECDSA-P256";

    [GlobalSetup]
    public void Setup()
    {
        var es = CountryCode.Parse("ES");
        var cert = Algorithm == "ECDSA-P256" ? DemoCertificates.CreateEcdsaP256("NCP ES") : DemoCertificates.CreateRsa("NCP ES");
        var issuer = new CrossBorderAssertionIssuer(es, XmlSigningKey.Create(cert));
        var identity = HcpIdentity.Create("ES/DK/12345678Z", "Dra. Lucía García", HcpRole.Doctor, "Hospital Clínic de Barcelona",
            "urn:oid:2.16.724.4.8.10.200.10", HealthcareFacilityType.Hospital, "Barcelona", PurposeOfUse.Treatment);
        _now = DateTimeOffset.UtcNow;
        var hcp = issuer.IssueHcp(identity, now: _now);
        var trc = issuer.IssueTrc(hcp, identity, "DK/0101701234", PurposeOfUse.Treatment, now: _now);
        _hcp = hcp.ToHeaderValue();
        _trc = trc.ToHeaderValue();
        using var publicOnly = X509CertificateLoader.LoadCertificate(cert.RawData);
        _verifier = new CrossBorderAssertionVerifier(CountryCode.Parse("DK"),
            new StaticTrustedSigners(new Dictionary<CountryCode, IReadOnlyList<X509Certificate2>> { [es] = [X509CertificateLoader.LoadCertificate(cert.RawData)] }));
        _request = new CrossBorderRequest(es, "DK/0101701234", CrossBorderPermission.PatientSummary) { MinimumLevel = LevelOfAssurance.Substantial };
        if (!_verifier.Verify(_hcp, _trc, _request, _now).IsValid)
        {
            throw new InvalidOperationException("benchmark pair does not verify");
        }
    }

    /// <summary>Verifies one pair from its HTTP-header form.</summary>
    [Benchmark]
    public bool VerifyPair() => _verifier.Verify(_hcp, _trc, _request, _now).IsValid;
}
