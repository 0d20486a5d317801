using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Konfido.Custody.Tests;

/// <summary>End-to-end payload envelopes (JWE, ECDH-ES over P-256, A256GCM) and the boundary that re-seals them.</summary>
public sealed class PayloadEnvelopeTests
{
    private static readonly CustodyKeyId Gateway = CustodyKeyId.Parse("konfido.node/payload");

    [Fact]
    public void The_concat_kdf_reproduces_the_rfc_7518_appendix_c_vector()
    {
        // RFC 7518 Appendix C: Z of Alice's ephemeral and Bob's static P-256 keys, apu "Alice", apv "Bob",
        // enc A128GCM (128-bit key); expected derived key VqqN6vgjbSBcIijNcacQGg.
        var alice = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            D = Base64Url.DecodeFromChars("0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo"),
            Q = new ECPoint
            {
                X = Base64Url.DecodeFromChars("gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0"),
                Y = Base64Url.DecodeFromChars("SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"),
            },
        });
        using var bob = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = Base64Url.DecodeFromChars("weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ"),
                Y = Base64Url.DecodeFromChars("e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck"),
            },
        });
        var z = alice.DeriveRawSecretAgreement(bob.PublicKey);
        alice.Dispose();
        var key = new byte[16];

        PayloadEnvelope.ConcatKdf(z, "A128GCM", 128, key, "Alice"u8, "Bob"u8);

        Assert.Equal("VqqN6vgjbSBcIijNcacQGg", Base64Url.EncodeToString(key));
    }

    [Fact]
    public void A_client_key_opens_what_was_sealed_for_it_and_no_other_key_does()
    {
        using var client = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var payload = Encoding.UTF8.GetBytes("{\"resourceType\":\"Bundle\",\"id\":\"ips-1\"}");

        var envelope = PayloadEnvelope.Seal(payload, client.ExportSubjectPublicKeyInfo(), "doctor", PayloadEnvelope.NestedJwsContentType);

        Assert.Equal(payload, PayloadEnvelope.Open(envelope, client).Value);
        Assert.Equal(CustodyFailure.Tampered, PayloadEnvelope.Open(envelope, other).Failure);
        Assert.Equal("doctor", PayloadEnvelope.ReadKeyId(envelope));
        Assert.DoesNotContain("ips-1", Encoding.UTF8.GetString(Base64UrlParts(envelope).SelectMany(p => p).ToArray()), StringComparison.Ordinal);
        var header = JsonDocument.Parse(Base64Url.DecodeFromChars(envelope.Split('.')[0])).RootElement;
        Assert.Equal("ECDH-ES", header.GetProperty("alg").GetString());
        Assert.Equal("A256GCM", header.GetProperty("enc").GetString());
        Assert.Equal("JOSE", header.GetProperty("cty").GetString());
        Assert.Equal("P-256", header.GetProperty("epk").GetProperty("crv").GetString());
        Assert.NotEqual(envelope, PayloadEnvelope.Seal(payload, client.ExportSubjectPublicKeyInfo(), "doctor")); // a fresh ephemeral key each time
    }

    [Fact]
    public void Every_altered_part_of_an_envelope_is_refused()
    {
        using var client = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var envelope = PayloadEnvelope.Seal("summary"u8, client.ExportSubjectPublicKeyInfo(), "ES");
        var parts = envelope.Split('.');
        var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement;
        string WithHeader(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json)) + "." + string.Join('.', parts[1..]);
        var epk = header.GetProperty("epk");
        var x = epk.GetProperty("x").GetString();
        var y = epk.GetProperty("y").GetString();

        var altered = new List<string>
        {
            WithHeader($"{{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\",\"kid\":\"IT\",\"epk\":{{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"{x}\",\"y\":\"{y}\"}}}}"), // kid changed: AAD
            WithHeader($"{{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\",\"kid\":\"ES\",\"epk\":{{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"{x}\",\"y\":\"{y}\"}}}}"),
            WithHeader($"{{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"kid\":\"ES\",\"epk\":{{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"{x}\",\"y\":\"{y}\"}}}}"),
            WithHeader($"{{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\",\"kid\":\"ES\",\"epk\":{{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"{x}\",\"y\":\"{x}\"}}}}"), // point off the curve
            WithHeader($"{{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\",\"kid\":\"ES\",\"zip\":\"DEF\",\"epk\":{{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"{x}\",\"y\":\"{y}\"}}}}"),
            string.Join('.', parts[0], "AAAA", parts[2], parts[3], parts[4]), // an encrypted key in direct mode
            string.Join('.', parts[0], parts[1], Flip(parts[2]), parts[3], parts[4]),
            string.Join('.', parts[0], parts[1], parts[2], Flip(parts[3]), parts[4]),
            string.Join('.', parts[0], parts[1], parts[2], parts[3], Flip(parts[4])),
            string.Join('.', parts[0], parts[1], parts[2], parts[3]),
            envelope + ".",
            "not an envelope",
            string.Empty,
            // Found by the fuzzer: characters outside base64url made the platform decoder throw, and a header whose strings
            // are not UTF-8 made the JSON reader throw, instead of a refusal.
            string.Join('.', parts[0], parts[1], parts[2], "llw*E9k" + parts[3], parts[4]),
            "ll" + envelope,
            Base64Url.EncodeToString([.. "{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\",\"kid\":\""u8, 0xBA, .. "\"}"u8]) + "." + string.Join('.', parts[1..]),
        };

        foreach (var candidate in altered)
        {
            Assert.Equal(CustodyFailure.Tampered, PayloadEnvelope.Open(candidate, client).Failure);
        }
    }

    [Theory]
    [MemberData(nameof(CustodyFactory.Backends), MemberType = typeof(CustodyFactory))]
    public void Custody_opens_an_envelope_for_its_key_agreement_key_without_exporting_the_key(string backend)
    {
        using var scope = new CustodyScope(backend);
        var custody = scope.Custody;
        var key = custody.CreateKey(Gateway, CustodyKeyKind.EcdhP256KeyAgreement);
        var envelope = PayloadEnvelope.Seal("patient summary"u8, key.PublicKey.Span, "ES");
        var plaintext = new byte[PayloadEnvelope.PlaintextLength(envelope)];

        var opened = custody.OpenEnvelope(Gateway, envelope, plaintext);

        Assert.Equal("patient summary", Encoding.ASCII.GetString(plaintext, 0, opened.Value));
        Assert.Throws<InvalidOperationException>(() => custody.Sign(Gateway, "x"u8)); // agreement keys do not sign
        Assert.Throws<InvalidOperationException>(() => custody.OpenEnvelope(CreateAes(custody), envelope, plaintext));
        custody.DestroyKey(Gateway);
        Assert.Equal(CustodyFailure.KeyDestroyed, custody.OpenEnvelope(Gateway, envelope, plaintext).Failure);
        Assert.Equal(CustodyFailure.KeyNotFound, custody.OpenEnvelope(CustodyKeyId.Parse("konfido.node/none"), envelope, plaintext).Failure);
    }

    [Fact]
    public void The_boundary_reseals_for_the_next_recipient_and_zeroises_every_clear_buffer()
    {
        using var scope = new CustodyScope("software");
        var custody = scope.Custody;
        var key = custody.CreateKey(Gateway, CustodyKeyKind.EcdhP256KeyAgreement);
        using var doctor = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var inbound = PayloadEnvelope.Seal("dk-0101801234 copd"u8, key.PublicKey.Span, "ES");
        var released = new List<byte[]>();
        var boundary = new TrustedTransform(custody) { BufferReleased = released.Add };

        var result = boundary.Reseal(Gateway, inbound, doctor.ExportSubjectPublicKeyInfo(), "doctor", null, 64, 0, (input, output, _) =>
        {
            for (var i = 0; i < input.Length; i++)
            {
                output[i] = (byte)char.ToUpperInvariant((char)input[i]);
            }

            return input.Length;
        });

        Assert.True(result.Succeeded);
        Assert.Equal("DK-0101801234 COPD", Encoding.ASCII.GetString(PayloadEnvelope.Open(result.Envelope!, doctor).Value));
        Assert.Equal(2, released.Count);
        Assert.All(released, buffer => Assert.All(buffer, b => Assert.Equal(0, b)));
        Assert.DoesNotContain("COPD", result.Envelope, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_boundary_reveals_to_a_delivery_only_while_it_runs_and_refuses_what_the_transform_refuses()
    {
        using var scope = new CustodyScope("software");
        var custody = scope.Custody;
        var key = custody.CreateKey(Gateway, CustodyKeyKind.EcdhP256KeyAgreement);
        var released = new List<byte[]>();
        var boundary = new TrustedTransform(custody) { BufferReleased = released.Add };
        var delivered = new MemoryStream();

        var result = await boundary.RevealAsync(Gateway, PayloadEnvelope.Seal("ips"u8, key.PublicKey.Span, "ES"), 16, 0, Copy,
            async (clear, ct) => await delivered.WriteAsync(clear, ct));
        var refused = await boundary.RevealAsync(Gateway, PayloadEnvelope.Seal("not fhir"u8, key.PublicKey.Span, "ES"), 16, 0, (_, _, _) => -1,
            (_, _) => throw new InvalidOperationException("a refused payload must not be delivered"));
        var forged = await boundary.RevealAsync(Gateway, PayloadEnvelope.Seal("ips"u8, ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfo(), "ES"),
            16, 0, Copy, (_, _) => throw new InvalidOperationException("an envelope for another key must not be delivered"));

        Assert.True(result.Succeeded);
        Assert.Equal("ips", Encoding.ASCII.GetString(delivered.ToArray()));
        Assert.Equal(TransformFailure.Refused, refused.Failure);
        Assert.Equal((TransformFailure.DecryptFailed, CustodyFailure.Tampered), (forged.Failure, forged.DecryptFailure));
        Assert.All(released, buffer => Assert.All(buffer, b => Assert.Equal(0, b)));
        Assert.Equal(5, released.Count); // input and output of the first two runs, the input of the forged one
    }

    private static int Copy(ReadOnlySpan<byte> input, Span<byte> output, int unused)
    {
        input.CopyTo(output);
        return input.Length;
    }

    private static CustodyKeyId CreateAes(IKeyCustody custody)
    {
        var id = CustodyKeyId.Parse("konfido.node/records");
        custody.CreateKey(id, CustodyKeyKind.Aes256Gcm);
        return id;
    }

    private static IEnumerable<byte[]> Base64UrlParts(string envelope) =>
        envelope.Split('.').Where(p => p.Length > 0).Select(p => Base64Url.DecodeFromChars(p));

    private static string Flip(string part)
    {
        var bytes = Base64Url.DecodeFromChars(part);
        bytes[0] ^= 1;
        return Base64Url.EncodeToString(bytes);
    }
}
