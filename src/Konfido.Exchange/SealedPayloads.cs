using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Konfido.Core;
using Konfido.Custody;

namespace Konfido.Exchange;

/// <summary>
/// End-to-end encryption of clinical answers (sign, then encrypt). The home country signs its answer as
/// before and seals the compact JWS in a <see cref="PayloadEnvelope"/> for the calling node's payload key
/// (<see cref="FederationMember.PayloadKey"/>); only that node's custody boundary opens it
/// (<see cref="PayloadGateway"/>), checks the home country's signature and the FHIR payload, and re-seals it for
/// the local client's own key (<see cref="RecipientKeyHeader"/>), so the clinical data crosses the requesting
/// node as ciphertext. On the wire the sealed answer is a <c>application/jose</c> body whose transport
/// signature (<see cref="FederationProtocol.SignatureHeader"/>) covers the envelope.
/// </summary>
public static class SealedPayloads
{
    /// <summary>The local API's request header with the client's own P-256 public key (base64url SubjectPublicKeyInfo DER):
    /// the node then answers with an envelope only that key opens.</summary>
    public const string RecipientKeyHeader = "X-Konfido-Recipient-Key";

    /// <summary>The <c>kid</c> of envelopes sealed for a local client's key.</summary>
    public const string ClientKeyId = "client";

    /// <summary>Seals a signed answer for <paramref name="recipient"/>'s payload key; the clear compact JWS is zeroised.
    /// Requires a member with a <see cref="FederationMember.PayloadKey"/>.</summary>
    /// <param name="body">The signed body.</param>
    /// <param name="detachedSignature">The home country's detached JWS over <paramref name="body"/>.</param>
    /// <param name="recipient">The calling member.</param>
    /// <returns>The envelope as ASCII bytes (the HTTP body).</returns>
    public static byte[] Seal(ReadOnlySpan<byte> body, string detachedSignature, FederationMember recipient)
    {
        using var key = PayloadEnvelope.ImportRecipient(Convert.FromBase64String(PayloadKeyOf(recipient)));
        return Encoding.ASCII.GetBytes(SealSigned(body, detachedSignature, key, recipient.Country));
    }

    /// <summary>As <see cref="Seal(ReadOnlySpan{byte}, string, FederationMember)"/>, with the recipient's key from <paramref name="keys"/>
    /// (imported once, not for every answer).</summary>
    /// <param name="body">The signed body.</param>
    /// <param name="detachedSignature">The home country's detached JWS over <paramref name="body"/>.</param>
    /// <param name="recipient">The calling member.</param>
    /// <param name="keys">The pool of recipients' keys.</param>
    /// <returns>The envelope as ASCII bytes (the HTTP body).</returns>
    public static byte[] Seal(ReadOnlySpan<byte> body, string detachedSignature, FederationMember recipient, PublicKeyPool<ECDiffieHellman> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        using var lease = keys.Rent(PayloadKeyOf(recipient));
        return Encoding.ASCII.GetBytes(SealSigned(body, detachedSignature, lease.Key, recipient.Country));
    }

    /// <summary>Seals a signed answer (its compact JWS) for a local client's own key (<see cref="RecipientKeyHeader"/>); the clear
    /// compact JWS is zeroised. <see cref="OpenForClient"/> opens it. Requires a P-256 SubjectPublicKeyInfo.</summary>
    /// <param name="body">The signed body.</param>
    /// <param name="detachedSignature">The signer's detached JWS over <paramref name="body"/>.</param>
    /// <param name="clientKey">The client's public key (from <see cref="ReadClientKey"/>).</param>
    /// <returns>The envelope.</returns>
    public static string SealForClient(ReadOnlySpan<byte> body, string detachedSignature, byte[] clientKey)
    {
        using var key = PayloadEnvelope.ImportRecipient(clientKey);
        return SealSigned(body, detachedSignature, key, ClientKeyId);
    }

    /// <summary>The member's payload key (base64 SubjectPublicKeyInfo); an <see cref="ArgumentException"/> if it lists none.</summary>
    private static string PayloadKeyOf(FederationMember recipient)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        return recipient.PayloadKey ?? throw new ArgumentException($"{recipient.Country} has no payload key.", nameof(recipient));
    }

    private static string SealSigned(ReadOnlySpan<byte> body, string detachedSignature, ECDiffieHellman recipientKey, string keyId)
    {
        var compact = DetachedJws.Attach(detachedSignature, body);
        try
        {
            return PayloadEnvelope.Seal(compact, recipientKey, keyId, PayloadEnvelope.NestedJwsContentType);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(compact);
        }
    }

    /// <summary>Seals a clinical request body (e.g. an eDispensation) for <paramref name="recipient"/>'s payload key: the request
    /// is authenticated by mutual TLS and the professional's assertions, so the envelope holds the FHIR JSON itself.
    /// Requires a member with a <see cref="FederationMember.PayloadKey"/>.</summary>
    /// <param name="fhirJson">The request body.</param>
    /// <param name="recipient">The home country's member.</param>
    /// <returns>The envelope as ASCII bytes (the HTTP body).</returns>
    public static byte[] SealRequest(ReadOnlySpan<byte> fhirJson, FederationMember recipient)
    {
        return Encoding.ASCII.GetBytes(PayloadEnvelope.Seal(fhirJson, Convert.FromBase64String(PayloadKeyOf(recipient)), recipient.Country));
    }

    /// <summary>
    /// A client opens an answer sealed for its own key and checks the home country's signature inside
    /// (end to end). A failure is an <see cref="ExchangeException"/> with status 502.
    /// </summary>
    /// <param name="envelope">The envelope (the local API's <c>application/jose</c> body).</param>
    /// <param name="clientKey">The client's P-256 private key.</param>
    /// <param name="home">The home country's member (its signing key).</param>
    /// <returns>The FHIR payload and the home country's detached signature over it.</returns>
    public static (byte[] Payload, string Signature) OpenForClient(string envelope, ECDiffieHellman clientKey, FederationMember home)
    {
        ArgumentNullException.ThrowIfNull(home);
        var opened = PayloadEnvelope.Open(envelope, clientKey);
        if (!opened.Succeeded)
        {
            throw new ExchangeException(HttpStatusCode.BadGateway, "security", $"the sealed answer does not open with this key ({opened.Failure})");
        }

        try
        {
            using var signer = home.ImportSigningKey();
            var check = DetachedJws.VerifyCompact(opened.Value, signer, out var detached, out var payload);
            if (!check.IsValid || !string.Equals(DetachedJws.ReadKeyId(detached), home.Country, StringComparison.OrdinalIgnoreCase))
            {
                throw new ExchangeException(HttpStatusCode.BadGateway, "security", $"the sealed answer is not signed by {home.Country}: {check.Reason ?? "another key id"}");
            }

            var decoded = new byte[System.Buffers.Text.Base64Url.GetMaxDecodedLength(payload.GetOffsetAndLength(opened.Value.Length).Length)];
            if (System.Buffers.Text.Base64Url.DecodeFromUtf8(opened.Value.AsSpan(payload), decoded, out _, out var length) != System.Buffers.OperationStatus.Done)
            {
                throw new ExchangeException(HttpStatusCode.BadGateway, "security", "the sealed answer's payload is not base64url");
            }

            return (decoded[..length], detached);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(opened.Value);
        }
    }

    /// <summary>Reads a client's public key from <see cref="RecipientKeyHeader"/>: null if absent; an
    /// <see cref="ExchangeException"/> (400) if it is not a P-256 SubjectPublicKeyInfo.</summary>
    /// <param name="header">The header value.</param>
    public static byte[]? ReadClientKey(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        try
        {
            var spki = System.Buffers.Text.Base64Url.DecodeFromChars(header.Trim());
            using var key = ECDiffieHellman.Create();
            key.ImportSubjectPublicKeyInfo(spki, out var read);
            if (read == spki.Length && key.KeySize == 256 && key.ExportParameters(false).Curve.Oid?.Value == ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                return spki;
            }
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
        }

        throw new ExchangeException(HttpStatusCode.BadRequest, "value", $"the {RecipientKeyHeader} header is not a base64url P-256 public key (SubjectPublicKeyInfo DER)");
    }

    /// <summary>Encodes a client's public key for <see cref="RecipientKeyHeader"/>.</summary>
    /// <param name="clientKey">The client's key.</param>
    public static string ClientKeyHeaderValue(ECDiffieHellman clientKey)
    {
        ArgumentNullException.ThrowIfNull(clientKey);
        return System.Buffers.Text.Base64Url.EncodeToString(clientKey.ExportSubjectPublicKeyInfo());
    }
}

/// <summary>
/// The requesting gateway's transformation step for sealed answers, run through the custody boundary
/// (<see cref="TrustedTransform"/>): open the envelope with the node's payload key inside custody → check the
/// home country's signature and that the payload is one well-formed FHIR resource → re-seal it for the local
/// client's key, or, for a client that brought none, hand it straight to the response. The clear data lives
/// only in the boundary's zeroised buffers; what the node keeps, logs or audits is the envelope and metadata.
/// A failure is a security event and an <see cref="ExchangeException"/> (502).
/// </summary>
public sealed class PayloadGateway : IDisposable
{
    private readonly PublicKeyPool<ECDsa> _signingKeys = PublicKeyPool<ECDsa>.ForECDsa();
    private readonly PublicKeyPool<ECDiffieHellman> _clientKeys = PublicKeyPool<ECDiffieHellman>.ForEnvelopeRecipients();
    private readonly TrustedTransform _boundary;
    private readonly CustodyKeyId _payloadKey;
    private readonly Func<TrustList> _trustList;
    private readonly ISecurityEventSink _events;
    private readonly string _country;

    /// <summary>Creates the step. Requires every argument.</summary>
    /// <param name="country">This node's country.</param>
    /// <param name="boundary">The custody boundary.</param>
    /// <param name="payloadKey">The custody key whose public part is this node's <see cref="FederationMember.PayloadKey"/>.</param>
    /// <param name="trustList">The trust list (the home countries' signing keys).</param>
    /// <param name="events">Where failures are reported.</param>
    public PayloadGateway(string country, TrustedTransform boundary, CustodyKeyId payloadKey, Func<TrustList> trustList, ISecurityEventSink events)
    {
        ArgumentException.ThrowIfNullOrEmpty(country);
        ArgumentNullException.ThrowIfNull(boundary);
        ArgumentNullException.ThrowIfNull(trustList);
        ArgumentNullException.ThrowIfNull(events);
        _country = country.ToUpperInvariant();
        _boundary = boundary;
        _payloadKey = payloadKey;
        _trustList = trustList;
        _events = events;
    }

    /// <summary>Disposes the imported public keys it keeps.</summary>
    public void Dispose()
    {
        _signingKeys.Dispose();
        _clientKeys.Dispose();
    }

    /// <summary>Re-seals a sealed answer for a local client's key (<see cref="SealedPayloads.OpenForClient"/> opens it).
    /// Requires <paramref name="response"/> to be sealed.</summary>
    /// <param name="response">The home country's verified, sealed answer.</param>
    /// <param name="clientKey">The client's P-256 public key (SubjectPublicKeyInfo DER).</param>
    /// <param name="cancellationToken">Cancels reporting a failure.</param>
    /// <returns>The envelope for the client.</returns>
    public async Task<string> ResealAsync(PeerResponse response, byte[] clientKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clientKey);
        var (envelope, check) = Prepare(response, reveal: false);
        using var disposeCheck = check;
        using var target = _clientKeys.Rent(clientKey);
        var result = _boundary.Reseal(_payloadKey, envelope, target.Key, SealedPayloads.ClientKeyId, PayloadEnvelope.NestedJwsContentType,
            Math.Max(0, PayloadEnvelope.PlaintextLength(envelope)), check, NestedJwsCheck.Run);
        await ThrowIfFailedAsync(response, result, check, cancellationToken).ConfigureAwait(false);
        return result.Envelope!;
    }

    /// <summary>Opens a sealed answer for a local client that brought no key: <paramref name="deliver"/> gets the payload
    /// and the home country's detached signature over it, and must write it straight out (never keep it).
    /// Requires <paramref name="response"/> to be sealed.</summary>
    /// <param name="response">The home country's verified, sealed answer.</param>
    /// <param name="deliver">Writes the payload to the client.</param>
    /// <param name="cancellationToken">Cancels the delivery.</param>
    public async Task RevealAsync(PeerResponse response, Func<ReadOnlyMemory<byte>, string, CancellationToken, ValueTask> deliver, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deliver);
        var (envelope, check) = Prepare(response, reveal: true);
        using var disposeCheck = check;
        var result = await _boundary.RevealAsync(_payloadKey, envelope, Math.Max(0, PayloadEnvelope.PlaintextLength(envelope)), check, NestedJwsCheck.Run,
            (clear, ct) => deliver(clear, check.Detached!, ct), cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, result, check, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The home side: opens a clinical request a peer sealed for this node (<see cref="SealedPayloads.SealRequest"/>) inside
    /// the custody boundary, checks that it is one well-formed FHIR resource and hands it to <paramref name="use"/> (the
    /// home country's service), zeroising the clear buffers afterwards. A request that does not open or is not FHIR is a
    /// security event and an <see cref="ExchangeException"/> (400).
    /// </summary>
    /// <typeparam name="T">What <paramref name="use"/> returns.</typeparam>
    /// <param name="caller">The calling country.</param>
    /// <param name="envelope">The request body.</param>
    /// <param name="use">Serves the clear request; it must not keep the memory it gets.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<T> OpenRequestAsync<T>(string caller, byte[] envelope, Func<ReadOnlyMemory<byte>, CancellationToken, Task<T>> use, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(caller);
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(use);
        var text = Encoding.ASCII.GetString(envelope);
        T result = default!;
        var outcome = await _boundary.RevealAsync(_payloadKey, text, Math.Max(0, PayloadEnvelope.PlaintextLength(text)), 0,
            static (input, output, _) =>
            {
                if (!NestedJwsCheck.IsFhirResource(input))
                {
                    return -1;
                }

                input.CopyTo(output);
                return input.Length;
            },
            async (clear, ct) => result = await use(clear, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        if (outcome.Succeeded)
        {
            return result;
        }

        var reason = outcome.Failure == TransformFailure.DecryptFailed
            ? $"the {caller} node's sealed request does not open with this node's payload key ({outcome.DecryptFailure})"
            : $"the {caller} node's sealed request is not one well-formed FHIR JSON resource";
        throw await RefuseAsync("sealed-request-refused", caller, reason, HttpStatusCode.BadRequest, cancellationToken).ConfigureAwait(false);
    }

    private (string Envelope, NestedJwsCheck Check) Prepare(PeerResponse response, bool reveal)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!response.IsSealed)
        {
            throw new ArgumentException("The answer is not sealed.", nameof(response));
        }

        var home = _trustList().Find(response.Signer)
            ?? throw new ExchangeException(HttpStatusCode.BadGateway, "security", $"{response.Signer} is no longer in the trust list");
        return (Encoding.ASCII.GetString(response.Body), new NestedJwsCheck(home, reveal, _signingKeys.Rent(home.SigningKey)));
    }

    private async ValueTask ThrowIfFailedAsync(PeerResponse response, EnvelopeTransformResult result, NestedJwsCheck check, CancellationToken cancellationToken)
    {
        if (result.Succeeded)
        {
            return;
        }

        var reason = result.Failure == TransformFailure.DecryptFailed
            ? $"the {response.Signer} node's sealed answer does not open with this node's payload key ({result.DecryptFailure})"
            : $"the {response.Signer} node's sealed answer was refused: {check.Problem}";
        throw await RefuseAsync("sealed-answer-refused", response.Signer, reason, HttpStatusCode.BadGateway, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reports a refused sealed payload from <paramref name="source"/> as a security event and returns the exception to throw.</summary>
    private async Task<ExchangeException> RefuseAsync(string action, string source, string reason, HttpStatusCode status, CancellationToken cancellationToken)
    {
        await _events.PublishAsync(new SecurityEvent
        {
            Node = _country,
            Category = EventCategories.Exchange,
            Action = action,
            Outcome = EventOutcome.Failure,
            SourceCountry = source,
            TargetCountry = _country,
            Reason = reason,
        }, cancellationToken).ConfigureAwait(false);
        return new ExchangeException(status, "security", reason);
    }

    /// <summary>The transformation run inside the boundary: the home country's signature and a well-formed FHIR resource.</summary>
    private sealed class NestedJwsCheck(FederationMember home, bool reveal, PublicKeyPool<ECDsa>.Lease signer) : IDisposable
    {
        private readonly ECDsa _signer = signer.Key;
        private readonly string _home = home.Country;

        public string? Detached { get; private set; }

        public string? Problem { get; private set; }

        public static int Run(ReadOnlySpan<byte> input, Span<byte> output, NestedJwsCheck check)
        {
            var signature = DetachedJws.VerifyCompact(input, check._signer, out var detached, out var encodedPayload);
            if (!signature.IsValid || !string.Equals(DetachedJws.ReadKeyId(detached), check._home, StringComparison.OrdinalIgnoreCase))
            {
                check.Problem = $"the payload is not signed by {check._home}: {signature.Reason ?? "another key id"}";
                return -1;
            }

            // Decode into the output buffer (zeroised by the boundary) and check the FHIR shape without making strings of it.
            if (System.Buffers.Text.Base64Url.DecodeFromUtf8(input[encodedPayload], output, out _, out var length) != System.Buffers.OperationStatus.Done
                || !IsFhirResource(output[..length]))
            {
                check.Problem = "the payload is not one well-formed FHIR JSON resource";
                return -1;
            }

            check.Detached = detached;
            if (check.IsReveal)
            {
                return length;
            }

            input.CopyTo(output); // re-sealed as it came: the client checks the home country's signature itself
            return input.Length;
        }

        private bool IsReveal => reveal;

        public static bool IsFhirResource(ReadOnlySpan<byte> json)
        {
            try
            {
                var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    return false;
                }

                var typed = false;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("resourceType"u8))
                    {
                        reader.Read();
                        typed = reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length is > 0 and < 64;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }

                return typed && reader.TokenType == JsonTokenType.EndObject && !reader.Read();
            }
            catch (JsonException)
            {
                return false;
            }
        }

        public void Dispose() => signer.Dispose();
    }
}
