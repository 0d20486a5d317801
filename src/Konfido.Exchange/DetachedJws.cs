using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Konfido.Exchange;

/// <summary>
/// JSON Web Signatures with ES256 (ECDSA P-256, SHA-256) in the detached-content form of
/// RFC 7515 Appendix F: <c>BASE64URL(header) ".." BASE64URL(signature)</c>, the payload travelling
/// separately (here: the HTTP body). The signing input is the standard
/// <c>BASE64URL(header) "." BASE64URL(payload)</c> (RFC 7515 §5.1), so any JOSE library verifies it.
/// </summary>
/// <remarks>References: RFC 7515 (JWS) §3.1, §5, Appendix F; RFC 7518 §3.4 (ES256: R || S, 64 bytes).</remarks>
public static class DetachedJws
{
    /// <summary>The only algorithm accepted: ES256.</summary>
    public const string Algorithm = "ES256";

    /// <summary>
    /// Signs <paramref name="payload"/> with a P-256 key. Requires a P-256 private key and a non-empty key id.
    /// </summary>
    /// <param name="payload">The bytes to sign (sent separately).</param>
    /// <param name="key">The signer's P-256 private key.</param>
    /// <param name="keyId">The <c>kid</c> header (the signer's country code in Konfido).</param>
    /// <returns>The compact detached JWS.</returns>
    public static string Sign(ReadOnlySpan<byte> payload, ECDsa key, string keyId)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        if (key.KeySize != 256)
        {
            throw new ArgumentException("ES256 requires a P-256 key.", nameof(key));
        }

        var header = JsonSerializer.SerializeToUtf8Bytes(new JwsHeader(Algorithm, keyId), JwsJsonContext.Default.JwsHeader);
        var encodedHeader = Base64Url.EncodeToString(header);
        var signingInput = SigningInput(encodedHeader, payload);
        var signature = key.SignData(signingInput, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return encodedHeader + ".." + Base64Url.EncodeToString(signature);
    }

    /// <summary>Reads the <c>kid</c> of a detached JWS without verifying it; null if malformed.</summary>
    public static string? ReadKeyId(string? jws) => TryParse(jws, out var header, out _, out _) ? header.Kid : null;

    /// <summary>
    /// Verifies a detached JWS over <paramref name="payload"/> with a P-256 public key.
    /// A malformed JWS, another algorithm or a bad signature is a failed result, not an exception.
    /// </summary>
    /// <param name="jws">The compact detached JWS.</param>
    /// <param name="payload">The payload it claims to sign.</param>
    /// <param name="key">The expected signer's public key.</param>
    /// <returns>Whether the signature holds, with a reason when it does not.</returns>
    public static SignatureCheck Verify(string? jws, ReadOnlySpan<byte> payload, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!TryParse(jws, out var header, out var encodedHeader, out var signature))
        {
            return SignatureCheck.Fail("the signature is not a compact detached JWS");
        }

        if (header.Alg != Algorithm)
        {
            return SignatureCheck.Fail($"the signature algorithm '{header.Alg}' is not accepted (only {Algorithm})");
        }

        if (signature.Length != 64)
        {
            return SignatureCheck.Fail("the ES256 signature is not 64 bytes");
        }

        var signingInput = SigningInput(encodedHeader, payload);
        return key.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
            ? SignatureCheck.Valid
            : SignatureCheck.Fail("the signature does not verify over the payload");
    }

    /// <summary>
    /// Verifies a compact (attached) JWS held in a buffer, <c>BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)</c>,
    /// without copying the payload out of it (the buffer may be a zeroised clear buffer of the custody boundary).
    /// A malformed JWS, another algorithm or a bad signature is a failed result.
    /// </summary>
    /// <param name="compact">The compact JWS as ASCII bytes.</param>
    /// <param name="key">The expected signer's public key.</param>
    /// <param name="detached">The same JWS in detached form (header and signature only: nothing of the payload), or empty.</param>
    /// <param name="encodedPayload">Where the base64url payload lies in <paramref name="compact"/>.</param>
    public static SignatureCheck VerifyCompact(ReadOnlySpan<byte> compact, ECDsa key, out string detached, out Range encodedPayload)
    {
        ArgumentNullException.ThrowIfNull(key);
        detached = string.Empty;
        encodedPayload = default;
        var first = compact.IndexOf((byte)'.');
        var second = first < 0 ? -1 : compact[(first + 1)..].IndexOf((byte)'.') + first + 1;
        if (first <= 0 || second <= first || compact[(second + 1)..].IndexOf((byte)'.') >= 0 || compact.Length - second > 200)
        {
            return SignatureCheck.Fail("the payload is not a compact JWS");
        }

        var candidate = Encoding.ASCII.GetString(compact[..first]) + ".." + Encoding.ASCII.GetString(compact[(second + 1)..]);
        if (!TryParse(candidate, out var header, out _, out var signature))
        {
            return SignatureCheck.Fail("the payload is not a compact JWS");
        }

        if (header.Alg != Algorithm || signature.Length != 64)
        {
            return SignatureCheck.Fail($"the signature algorithm '{header.Alg}' is not accepted (only {Algorithm})");
        }

        if (!key.VerifyData(compact[..second], signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            return SignatureCheck.Fail("the signature does not verify over the payload");
        }

        detached = candidate;
        encodedPayload = (first + 1)..second;
        return SignatureCheck.Valid;
    }

    /// <summary>
    /// Writes the compact (attached) form of detached JWS <paramref name="detached"/> over <paramref name="payload"/> into a new
    /// pinned buffer, which the caller zeroises after use. Requires a well-formed detached JWS.
    /// </summary>
    /// <param name="detached">The detached JWS.</param>
    /// <param name="payload">The payload it signs.</param>
    public static byte[] Attach(string detached, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(detached);
        var split = detached.IndexOf("..", StringComparison.Ordinal);
        if (split <= 0 || detached.IndexOf('.', split + 2) >= 0)
        {
            throw new ArgumentException("Not a compact detached JWS.", nameof(detached));
        }

        var encodedLength = Base64Url.GetEncodedLength(payload.Length);
        var compact = GC.AllocateArray<byte>(detached.Length + encodedLength, pinned: true);
        var at = Encoding.ASCII.GetBytes(detached.AsSpan(0, split + 1), compact);
        Base64Url.EncodeToUtf8(payload, compact.AsSpan(at, encodedLength));
        Encoding.ASCII.GetBytes(detached.AsSpan(split + 1), compact.AsSpan(at + encodedLength));
        return compact;
    }

    private static byte[] SigningInput(string encodedHeader, ReadOnlySpan<byte> payload)
    {
        var payloadLength = Base64Url.GetEncodedLength(payload.Length);
        var input = new byte[encodedHeader.Length + 1 + payloadLength];
        Encoding.ASCII.GetBytes(encodedHeader, input);
        input[encodedHeader.Length] = (byte)'.';
        Base64Url.EncodeToUtf8(payload, input.AsSpan(encodedHeader.Length + 1));
        return input;
    }

    private static bool TryParse(string? jws, out JwsHeader header, out string encodedHeader, out byte[] signature)
    {
        header = default!;
        encodedHeader = string.Empty;
        signature = [];
        if (string.IsNullOrEmpty(jws) || jws.Length > 4096)
        {
            return false;
        }

        var first = jws.IndexOf('.', StringComparison.Ordinal);
        if (first <= 0 || first + 1 >= jws.Length || jws[first + 1] != '.' || jws.IndexOf('.', first + 2) >= 0)
        {
            return false;
        }

        encodedHeader = jws[..first];
        try
        {
            var headerBytes = Base64Url.DecodeFromChars(encodedHeader);
            header = JsonSerializer.Deserialize(headerBytes, JwsJsonContext.Default.JwsHeader)!;
            signature = Base64Url.DecodeFromChars(jws.AsSpan(first + 2));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return false;
        }

        return header is { Alg: not null, Kid: not null };
    }
}

/// <summary>The result of a signature verification.</summary>
/// <param name="IsValid">True if the signature holds.</param>
/// <param name="Reason">Why it does not, otherwise null.</param>
public readonly record struct SignatureCheck(bool IsValid, string? Reason)
{
    /// <summary>A valid signature.</summary>
    public static SignatureCheck Valid => new(true, null);

    /// <summary>A failed check with its reason.</summary>
    public static SignatureCheck Fail(string reason) => new(false, reason);
}

/// <summary>The protected header of a Konfido JWS.</summary>
/// <param name="Alg">The algorithm (<c>alg</c>).</param>
/// <param name="Kid">The key id (<c>kid</c>).</param>
internal sealed record JwsHeader(
    [property: System.Text.Json.Serialization.JsonPropertyName("alg")] string Alg,
    [property: System.Text.Json.Serialization.JsonPropertyName("kid")] string Kid);

[System.Text.Json.Serialization.JsonSerializable(typeof(JwsHeader))]
internal sealed partial class JwsJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
