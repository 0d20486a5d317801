using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml;
using Konfido.Core;
using Konfido.Eid.CrossBorder;
using Konfido.Eid.Saml;
using Konfido.Eid.Xml;

namespace Konfido.Eid.Tests;

public sealed class CrossBorderFixture
{
    public CrossBorderFixture()
    {
        EcKey = XmlSigningKey.Create(DemoCertificates.CreateEcdsaP256("NCP ES"));
        RsaKey = XmlSigningKey.Create(DemoCertificates.CreateRsa("NCP ES RSA"));
        ItKey = XmlSigningKey.Create(DemoCertificates.CreateEcdsaP256("NCP IT"));
        Signers = new StaticTrustedSigners(new Dictionary<CountryCode, IReadOnlyList<X509Certificate2>>
        {
            [Es] = [EcKey.Certificate, RsaKey.Certificate],
            [It] = [ItKey.Certificate],
        });
    }

    public static CountryCode Es { get; } = CountryCode.Parse("ES");

    public static CountryCode It { get; } = CountryCode.Parse("IT");

    public static CountryCode Dk { get; } = CountryCode.Parse("DK");

    public XmlSigningKey EcKey { get; }

    public XmlSigningKey RsaKey { get; }

    public XmlSigningKey ItKey { get; }

    public StaticTrustedSigners Signers { get; }

    public static DateTimeOffset Now { get; } = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    public static HcpIdentity Doctor { get; } = HcpIdentity.Create("ES/DK/12345678Z", "Dra. Lucía García", HcpRole.Doctor,
        "Hospital Clínic de Barcelona", "urn:oid:2.16.724.4.8.10.200.10", HealthcareFacilityType.Hospital, "Barcelona", PurposeOfUse.Treatment);

    public const string Patient = "DK/0101701234";
}

public sealed class CrossBorderAssertionTests(CrossBorderFixture fixture) : IClassFixture<CrossBorderFixture>
{
    private readonly CrossBorderAssertionVerifier _verifier = new(CrossBorderFixture.Dk, fixture.Signers);

    private (IssuedAssertion Hcp, IssuedAssertion Trc) Issue(XmlSigningKey? key = null, HcpIdentity? identity = null, string patient = CrossBorderFixture.Patient)
    {
        var issuer = new CrossBorderAssertionIssuer(CrossBorderFixture.Es, key ?? fixture.EcKey);
        var who = identity ?? CrossBorderFixture.Doctor;
        var hcp = issuer.IssueHcp(who, now: CrossBorderFixture.Now);
        var trc = issuer.IssueTrc(hcp, who, patient, PurposeOfUse.Treatment, now: CrossBorderFixture.Now);
        return (hcp, trc);
    }

    private static CrossBorderRequest Request(CrossBorderPermission permission = CrossBorderPermission.PatientSummary, string patient = CrossBorderFixture.Patient) =>
        new(CrossBorderFixture.Es, patient, permission);

    private static void AssertRefused(CrossBorderVerification result, string reasonFragment)
    {
        Assert.False(result.IsValid);
        Assert.Contains(result.Reasons, r => r.Contains(reasonFragment, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Valid_pair_verifies_with_ecdsa_and_rsa_pss(bool rsa)
    {
        var (hcp, trc) = Issue(rsa ? fixture.RsaKey : fixture.EcKey);

        var result = _verifier.Verify(hcp.Xml, trc.Xml, Request(), CrossBorderFixture.Now.AddMinutes(30));

        Assert.True(result.IsValid, string.Join("; ", result.Reasons));
        Assert.Equal(CrossBorderFixture.Doctor, result.Professional);
        Assert.Equal(PurposeOfUse.Treatment, result.PurposeOfUse);
        Assert.Equal(hcp.Id, result.HcpAssertionId);
    }

    [Fact]
    public void Header_form_round_trips()
    {
        var (hcp, trc) = Issue();
        var hcpHeader = hcp.ToHeaderValue();

        Assert.DoesNotContain('\n', hcpHeader);
        Assert.Equal(hcp.Xml, Encoding.UTF8.GetString(Convert.FromBase64String(hcpHeader)));
        Assert.True(_verifier.Verify(hcpHeader, trc.ToHeaderValue(), Request(), CrossBorderFixture.Now).IsValid);
    }

    [Fact]
    public void Every_role_holds_exactly_its_default_permissions()
    {
        foreach (var role in Enum.GetValues<HcpRole>())
        {
            var who = HcpIdentity.Create("ES/DK/1", "Someone", role, "Org", "org-1", HealthcareFacilityType.Other, "Madrid", PurposeOfUse.Emergency);
            var (hcp, trc) = Issue(identity: who);
            foreach (var permission in Enum.GetValues<CrossBorderPermission>())
            {
                var result = _verifier.Verify(hcp.Xml, trc.Xml, Request(permission), CrossBorderFixture.Now);
                Assert.Equal(role.DefaultPermissions().Contains(permission), result.IsValid);
                if (!result.IsValid)
                {
                    AssertRefused(result, $"lacks the permission {permission}");
                }
            }
        }
    }

    [Fact]
    public void A_pair_verified_once_is_still_checked_for_time_patient_and_permission_on_every_request()
    {
        var (hcp, trc) = Issue();
        Assert.True(_verifier.Verify(hcp.Xml, trc.Xml, Request(), CrossBorderFixture.Now).IsValid); // verified, and remembered

        AssertRefused(_verifier.Verify(hcp.Xml, trc.Xml, Request(), CrossBorderFixture.Now.AddHours(3)), "TRC");
        AssertRefused(_verifier.Verify(hcp.Xml, trc.Xml, Request(patient: "DK/9999999999"), CrossBorderFixture.Now), "another patient");
        Assert.False(_verifier.Verify(hcp.Xml, trc.Xml, Request(CrossBorderPermission.Dispensation), CrossBorderFixture.Now).IsValid);
        // One changed byte is new input: verified from scratch, and refused.
        var tampered = hcp.Xml.Replace("Dra. Lucía García", "Dra. Lucía Garcia", StringComparison.Ordinal);
        Assert.False(_verifier.Verify(tampered, trc.Xml, Request(), CrossBorderFixture.Now).IsValid);
    }

    [Fact]
    public void Trc_for_another_patient_is_refused()
    {
        var (hcp, trc) = Issue(patient: "DK/9999999999");
        AssertRefused(_verifier.Verify(hcp.Xml, trc.Xml, Request(), CrossBorderFixture.Now), "TRC: is for another patient");
    }

    [Fact]
    public void Trc_without_its_hcp_assertion_is_refused()
    {
        var (_, trc) = Issue();
        AssertRefused(_verifier.Verify(null, trc.Xml, Request(), CrossBorderFixture.Now), "HCP identity assertion is missing");
    }

    [Fact]
    public void Trc_referencing_another_hcp_assertion_is_refused()
    {
        var (_, trc) = Issue();
        var (otherHcp, _) = Issue();
        AssertRefused(_verifier.Verify(otherHcp.Xml, trc.Xml, Request(), CrossBorderFixture.Now), "TRC: does not reference the HCP assertion");
    }

    [Fact]
    public void Expired_trc_is_refused_after_two_hours_plus_skew()
    {
        var (hcp, trc) = Issue();
        AssertRefused(_verifier.Verify(hcp.Xml, trc.Xml, Request(), CrossBorderFixture.Now.AddHours(2).AddSeconds(61)), "TRC: assertion has expired");
        Assert.True(_verifier.Verify(hcp.Xml, trc.Xml, Request(), CrossBorderFixture.Now.AddHours(2).AddSeconds(59)).IsValid);
    }

    [Fact]
    public void Not_yet_valid_pair_is_refused()
    {
        var (hcp, trc) = Issue();
        AssertRefused(_verifier.Verify(hcp.Xml, trc.Xml, Request(), CrossBorderFixture.Now.AddSeconds(-61)), "HCP assertion: assertion is not yet valid");
    }

    [Fact]
    public void Signature_by_another_countrys_key_is_refused()
    {
        // Italy's key is trusted, but only for Italy: ES assertions signed with it are refused.
        var (hcp, trc) = Issue(fixture.ItKey);
        AssertRefused(_verifier.Verify(hcp.Xml, trc.Xml, Request(), CrossBorderFixture.Now), "signing certificate is not trusted");
    }

    [Fact]
    public void Untrusted_source_country_is_refused()
    {
        var (hcp, trc) = Issue();
        var request = Request() with { SourceCountry = CountryCode.Parse("FR") };
        AssertRefused(_verifier.Verify(hcp.Xml, trc.Xml, request, CrossBorderFixture.Now), "no signing certificate is trusted for FR");
    }

    [Fact]
    public void Altered_patient_in_a_signed_trc_is_refused()
    {
        var (hcp, trc) = Issue(patient: "DK/9999999999");
        var forged = trc.Xml.Replace("DK/9999999999", CrossBorderFixture.Patient, StringComparison.Ordinal);
        AssertRefused(_verifier.Verify(hcp.Xml, forged, Request(), CrossBorderFixture.Now), "TRC: digest of Assertion");
    }

    [Fact]
    public void Wrapped_hcp_assertion_is_refused()
    {
        var (hcp, trc) = Issue();
        var doc = new XmlDocument { PreserveWhitespace = true };
        doc.LoadXml(hcp.Xml);
        var original = doc.DocumentElement!;
        var evil = (XmlElement)original.CloneNode(true);
        evil.SetAttribute("ID", "_evil");
        evil.AppendChild(original.CloneNode(true));
        doc.ReplaceChild(evil, original);

        AssertRefused(_verifier.Verify(doc.OuterXml, trc.Xml, Request(), CrossBorderFixture.Now), "signature wrapping");
    }

    [Fact]
    public void Insufficient_level_of_assurance_is_refused()
    {
        var low = HcpIdentity.Create("ES/DK/1", "Someone", HcpRole.Doctor, "Org", "org-1", HealthcareFacilityType.Hospital, "Madrid", PurposeOfUse.Treatment, level: LevelOfAssurance.Low);
        var (hcp, trc) = Issue(identity: low);
        var request = Request() with { MinimumLevel = LevelOfAssurance.Substantial };
        AssertRefused(_verifier.Verify(hcp.Xml, trc.Xml, request, CrossBorderFixture.Now), "level of assurance low is below the required substantial");
    }

    [Fact]
    public void Issuer_refuses_lifetimes_beyond_the_limits()
    {
        var issuer = new CrossBorderAssertionIssuer(CrossBorderFixture.Es, fixture.EcKey);
        Assert.Throws<ArgumentOutOfRangeException>(() => issuer.IssueHcp(CrossBorderFixture.Doctor, TimeSpan.FromHours(4.01)));
        var hcp = issuer.IssueHcp(CrossBorderFixture.Doctor);
        Assert.Throws<ArgumentOutOfRangeException>(() => issuer.IssueTrc(hcp, CrossBorderFixture.Doctor, "p", PurposeOfUse.Treatment, TimeSpan.FromHours(2.01)));
    }

    [Fact]
    public async Task Refusal_is_published_as_an_identity_event()
    {
        var sink = new InMemorySecurityEventSink();
        var now = new FixedTime(CrossBorderFixture.Now);
        var verifier = new CrossBorderAssertionVerifier(CrossBorderFixture.Dk, fixture.Signers, sink, now);
        var (hcp, trc) = Issue(patient: "DK/9999999999");

        var result = await verifier.VerifyAsync(hcp.Xml, trc.Xml, Request());

        Assert.False(result.IsValid);
        var e = Assert.Single(sink.Events);
        Assert.Equal(EventCategories.Identity, e.Category);
        Assert.Equal("assertion-verify", e.Action);
        Assert.Equal(EventOutcome.Failure, e.Outcome);
        Assert.Contains("another patient", e.Reason, StringComparison.Ordinal);
        Assert.Equal("221", e.ActorRole);
    }
}

internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
