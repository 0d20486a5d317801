using System.Net;
using System.Security.Cryptography;
using System.Text;
using Konfido.Core;
using Konfido.Custody;
using Konfido.Custody.Attestation;
using Konfido.Testing;

namespace Konfido.Exchange.Tests;

/// <summary>The requesting gateway's step through the custody boundary: what it accepts, re-seals, reveals and refuses.</summary>
public sealed class PayloadGatewayTests : IDisposable
{
    private static readonly CustodyKeyId PayloadKey = CustodyKeyId.Parse("konfido.node/payload");
    private static readonly byte[] Ips = Encoding.UTF8.GetBytes("{\"resourceType\":\"Bundle\",\"type\":\"document\",\"entry\":[{\"resource\":{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Jensen\"}]}}]}");
    private readonly TemporaryDirectory _directory = new("konfido-payload-gateway");
    private readonly KeyCustody _custody;
    private readonly ECDsa _dkSigning = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly FederationMember _dk;
    private readonly FederationMember _es;
    private readonly InMemorySecurityEventSink _events = new();
    private readonly PayloadGateway _gateway;

    public PayloadGatewayTests()
    {
        _custody = KeyCustody.OpenSoftware(new SoftwareCustodyOptions { Directory = _directory.Path, Measurement = NodeMeasurement.FromDigest(SHA256.HashData("payload gateway tests"u8)) });
        var payloadKey = _custody.CreateKey(PayloadKey, CustodyKeyKind.EcdhP256KeyAgreement);
        _dk = new FederationMember("DK", "Denmark", new Uri("https://127.0.0.1:1/"), new string('a', 64), Convert.ToBase64String(_dkSigning.ExportSubjectPublicKeyInfo()));
        _es = new FederationMember("ES", "Spain", new Uri("https://127.0.0.1:2/"), new string('b', 64), "AAAA") { PayloadKey = Convert.ToBase64String(payloadKey.PublicKey.Span) };
        var trustList = new TrustList("test", 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1), [_dk, _es]);
        _gateway = new PayloadGateway("ES", new TrustedTransform(_custody), PayloadKey, () => trustList, _events);
    }

    [Fact]
    public async Task A_sealed_answer_is_resealed_for_the_client_and_revealed_with_the_home_signature()
    {
        using var client = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var answer = Sealed(Ips, _dkSigning, "DK", _es);

        var forClient = await _gateway.ResealAsync(answer, client.ExportSubjectPublicKeyInfo());
        var (payload, signature) = SealedPayloads.OpenForClient(forClient, client, _dk);
        byte[]? revealed = null;
        string? revealedSignature = null;
        await _gateway.RevealAsync(answer, (clear, jws, _) =>
        {
            revealed = clear.ToArray();
            revealedSignature = jws;
            return ValueTask.CompletedTask;
        });

        Assert.Equal(Ips, payload);
        Assert.Equal(Ips, revealed);
        Assert.Equal(signature, revealedSignature);
        Assert.True(DetachedJws.Verify(signature, Ips, _dkSigning).IsValid);
        Assert.Empty(_events.Events);
    }

    [Fact]
    public async Task An_answer_signed_by_another_key_or_not_fhir_or_sealed_for_another_node_is_refused_as_a_security_event()
    {
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherNode = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var itPayloadKey = _es with { Country = "IT", PayloadKey = Convert.ToBase64String(otherNode.ExportSubjectPublicKeyInfo()) };
        var refused = new[]
        {
            (Sealed(Ips, forger, "DK", _es), "not signed by DK"),
            (Sealed(Ips, _dkSigning, "IT", _es), "not signed by DK"),
            (Sealed("{\"resourceType\":\"Bundle\""u8.ToArray(), _dkSigning, "DK", _es), "not one well-formed FHIR JSON resource"),
            (Sealed("[1,2,3]"u8.ToArray(), _dkSigning, "DK", _es), "not one well-formed FHIR JSON resource"),
            (Sealed("{\"resourceType\":\"Bundle\"} {}"u8.ToArray(), _dkSigning, "DK", _es), "not one well-formed FHIR JSON resource"),
            (Sealed(Ips, _dkSigning, "DK", itPayloadKey), "does not open with this node's payload key (Tampered)"),
        };

        foreach (var (answer, reason) in refused)
        {
            var error = await Assert.ThrowsAsync<ExchangeException>(() => _gateway.RevealAsync(answer, (_, _, _) => throw new InvalidOperationException("must not be delivered")));
            Assert.Equal(HttpStatusCode.BadGateway, error.Status);
            Assert.Contains(reason, error.Message, StringComparison.Ordinal);
            using var client = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            await Assert.ThrowsAsync<ExchangeException>(() => _gateway.ResealAsync(answer, client.ExportSubjectPublicKeyInfo()));
        }

        Assert.Equal(2 * refused.Length, _events.Events.Count(e => e.Action == "sealed-answer-refused" && e.Outcome == EventOutcome.Failure && e.SourceCountry == "DK"));
        Assert.DoesNotContain(_events.Events, e => (e.Reason ?? string.Empty).Contains("Jensen", StringComparison.Ordinal));
    }

    private static PeerResponse Sealed(byte[] body, ECDsa signer, string kid, FederationMember recipient)
    {
        var signature = DetachedJws.Sign(body, signer, kid);
        return new PeerResponse(HttpStatusCode.OK, SealedPayloads.Seal(body, signature, recipient), "DK", "transport signature checked by the client") { IsSealed = true };
    }

    public void Dispose()
    {
        _custody.Dispose();
        _dkSigning.Dispose();
        _directory.Dispose();
    }
}
