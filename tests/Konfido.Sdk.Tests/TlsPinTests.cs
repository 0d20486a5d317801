using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Konfido.Exchange;

namespace Konfido.Sdk.Tests;

/// <summary>Devices pin the node's custody-held TLS issuer; the node's own TLS certificates are short-lived and renewed.</summary>
[Collection(FederationCollection.Name)]
public sealed class TlsPinTests(SdkFederation federation)
{
    [Fact]
    public async Task A_client_pinning_the_issuer_reaches_the_node_and_one_pinning_another_issuer_does_not()
    {
        using var pinned = federation.Client();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Konfido NCP DK TLS issuer", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        using var impostor = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        using var misled = KonfidoClient.Create(new KonfidoClientOptions
        {
            NodeUri = federation.Denmark.LocalUri,
            PinnedCertificateSha256 = CertificateFingerprint.Sha256(impostor),
            PinnedTlsIssuer = Convert.ToBase64String(impostor.RawData),
        });

        await pinned.LoginWithTestEidasAsync(SdkFederation.PatientPerson(7));

        await Assert.ThrowsAsync<HttpRequestException>(() => misled.LoginWithTestEidasAsync(SdkFederation.PatientPerson(7)));
    }

    [Fact]
    public void An_issuer_that_is_not_the_pinned_certificate_is_refused_when_the_client_is_created()
    {
        var error = Assert.Throws<ArgumentException>(() => KonfidoClient.Create(new KonfidoClientOptions
        {
            NodeUri = federation.Denmark.LocalUri,
            PinnedCertificateSha256 = new string('0', 64),
            PinnedTlsIssuer = federation.TlsIssuer,
        }));

        Assert.Contains("PinnedTlsIssuer needs PinnedCertificateSha256", error.Message, StringComparison.Ordinal);
        Assert.Contains("base64 DER", Assert.Throws<ArgumentException>(() => KonfidoClient.Create(new KonfidoClientOptions
        {
            NodeUri = federation.Denmark.LocalUri,
            PinnedCertificateSha256 = federation.Pin,
            PinnedTlsIssuer = "not base64!",
        })).Message, StringComparison.Ordinal);
    }
}
