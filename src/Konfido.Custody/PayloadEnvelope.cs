// Payload envelopes: JSON Web Encryption in compact serialisation with direct key agreement.
// References: RFC 7516 (JWE) §3.1 compact serialisation, §5.1 steps; RFC 7518 §4.6 (ECDH-ES, "direct key
// agreement": the derived key is the content-encryption key, the encrypted-key part is empty), §4.6.2 (the
// Concat KDF of NIST SP 800-56A rev. 3 §5.8.2.1 with SHA-256, AlgorithmID = the "enc" value, keydatalen 256),
// §5.3 (A256GCM: 96-bit IV, 128-bit tag, AAD = ASCII(BASE64URL(protected header))); RFC 7518 Appendix C
// (the KDF's test vector); RFC 7515 §4.1.10 ("cty":"JOSE" for a nested compact JWS).
// Sizes: P-256 ephemeral keys (32-byte coordinates), 32-byte shared secret Z, 32-byte content key.
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Konfido.Custody.Crypto;

namespace Konfido.Custody;

/// <summary>
/// End-to-end payload encryption between Konfido parties: a JWE (RFC 7516) in compact form,
/// <c>alg</c> <c>ECDH-ES</c> over P-256 and <c>enc</c> <c>A256GCM</c>. Anyone holding the recipient's
/// public key seals; only the recipient opens: a node inside its custody (<see cref="IKeyCustody.OpenEnvelope"/>,
/// used by <see cref="TrustedTransform"/>), a client with its own key (<see cref="Open(string, ECDiffieHellman)"/>).
/// </summary>
/// <remarks>
/// Every envelope gets a fresh ephemeral key, so two envelopes of the same payload differ. The protected
/// header (key id, content type, ephemeral key) is authenticated but not encrypted: it must not carry
/// anything confidential.
/// </remarks>
public static class PayloadEnvelope
{
    /// <summary>The key-management algorithm: direct ECDH-ES key agreement.</summary>
    public const string Algorithm = "ECDH-ES";

    /// <summary>The content encryption: AES-256-GCM.</summary>
    public const string Encryption = "A256GCM";

    /// <summary>The media type of an envelope on the wire (RFC 7516 §9.2.1).</summary>
    public const string MediaType = "application/jose";

    /// <summary>The <c>cty</c> of an envelope whose payload is a compact JWS (sign, then encrypt).</summary>
    public const string NestedJwsContentType = "JOSE";

    /// <summary>The largest envelope accepted, in characters (16 MiB of payload plus base64url).</summary>
    public const int MaxEnvelopeLength = 23 * 1024 * 1024;

    private const int MaxHeaderLength = 1024;
    private const int CoordinateSize = 32;
    private const int IvSize = 12;
    private const int TagSize = 16;
    private const int KeySize = 32;

    /// <summary>Seals <paramref name="plaintext"/> for the holder of <paramref name="recipientPublicKey"/>.
    /// Requires a P-256 public key (SubjectPublicKeyInfo DER), a non-empty key id and at most <see cref="KeyCustody.MaxPayload"/> bytes.</summary>
    /// <param name="plaintext">The payload.</param>
    /// <param name="recipientPublicKey">The recipient's P-256 public key (SubjectPublicKeyInfo DER).</param>
    /// <param name="keyId">The <c>kid</c> naming the recipient's key (e.g. its country code).</param>
    /// <param name="contentType">The <c>cty</c> header (e.g. <see cref="NestedJwsContentType"/>), or null.</param>
    /// <returns>The compact JWE.</returns>
    public static string Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> recipientPublicKey, string keyId, string? contentType = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(plaintext.Length, KeyCustody.MaxPayload, nameof(plaintext));
        using var recipient = ImportRecipient(recipientPublicKey);
        return Seal(plaintext, recipient, keyId, contentType);
    }

    /// <summary>
    /// Seals <paramref name="plaintext"/> for a recipient key imported once with <see cref="ImportRecipient"/> (kept, for instance,
    /// in a <see cref="PublicKeyPool{T}"/>); otherwise as <see cref="Seal(ReadOnlySpan{byte}, ReadOnlySpan{byte}, string, string?)"/>.
    /// </summary>
    /// <param name="plaintext">What to seal (at most <see cref="KeyCustody.MaxPayload"/> bytes).</param>
    /// <param name="recipient">The recipient's P-256 public key, as <see cref="ImportRecipient"/> returns it.</param>
    /// <param name="keyId">The <c>kid</c> naming the recipient's key.</param>
    /// <param name="contentType">The <c>cty</c> header, or null.</param>
    /// <returns>The compact JWE.</returns>
    public static string Seal(ReadOnlySpan<byte> plaintext, ECDiffieHellman recipient, string keyId, string? contentType = null)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(plaintext.Length, KeyCustody.MaxPayload, nameof(plaintext));
        if (recipient.KeySize != 256)
        {
            throw new ArgumentException("The recipient key must be a P-256 key.", nameof(recipient));
        }

        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var epk = ephemeral.ExportParameters(includePrivateParameters: false);
        var header = Base64Url.EncodeToString(HeaderJson(keyId, contentType, epk.Q));
        using var recipientPublic = recipient.PublicKey;
        var z = ephemeral.DeriveRawSecretAgreement(recipientPublic);
        var key = new SecretBuffer(KeySize);
        try
        {
            ConcatKdf(z, Encryption, KeySize * 8, key.Span);
            var iv = RandomNumberGenerator.GetBytes(IvSize);
            var ciphertext = new byte[plaintext.Length];
            var tag = new byte[TagSize];
            using (var aes = new AesGcm(key.Span, TagSize))
            {
                aes.Encrypt(iv, plaintext, ciphertext, tag, Encoding.ASCII.GetBytes(header));
            }

            return string.Concat(header, "..", Base64Url.EncodeToString(iv), ".", Base64Url.EncodeToString(ciphertext)) + "." + Base64Url.EncodeToString(tag);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(z);
            key.Dispose();
        }
    }

    /// <summary>Opens an envelope with a key the caller holds (a client's own key; nodes open inside custody).</summary>
    /// <param name="envelope">The compact JWE.</param>
    /// <param name="recipientKey">The recipient's P-256 private key.</param>
    /// <returns>The payload, or <see cref="CustodyFailure.Tampered"/> if it is malformed, altered or for another key.</returns>
    public static CustodyResult<byte[]> Open(string envelope, ECDiffieHellman recipientKey)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(recipientKey);
        var parameters = recipientKey.ExportParameters(includePrivateParameters: true);
        if (parameters.D is null || parameters.D.Length != CoordinateSize)
        {
            throw new ArgumentException("The recipient key must be a P-256 private key.", nameof(recipientKey));
        }

        using var material = new SecretBuffer(3 * CoordinateSize);
        try
        {
            parameters.D.CopyTo(material.Span);
            parameters.Q.X.AsSpan().CopyTo(material.Span[CoordinateSize..]);
            parameters.Q.Y.AsSpan().CopyTo(material.Span[(2 * CoordinateSize)..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }

        var length = PlaintextLength(envelope);
        if (length < 0)
        {
            return CustodyResult<byte[]>.Fail(CustodyFailure.Tampered);
        }

        var plaintext = new byte[length];
        var opened = Open(envelope, material.Span, plaintext);
        return opened.Succeeded ? CustodyResult<byte[]>.Success(plaintext) : CustodyResult<byte[]>.Fail(opened.Failure);
    }

    /// <summary>The payload length of a well-formed envelope (to size the buffer for opening it), or -1 if it is malformed.</summary>
    /// <param name="envelope">The compact JWE.</param>
    public static int PlaintextLength(string envelope) =>
        TrySplit(envelope, out var parts) ? Base64Url.GetMaxDecodedLength(parts.Ciphertext.Length) : -1;

    /// <summary>The <c>kid</c> of a well-formed envelope (not authenticated until it is opened), or null.</summary>
    /// <param name="envelope">The compact JWE.</param>
    public static string? ReadKeyId(string envelope) =>
        TrySplit(envelope, out var parts) && TryReadHeader(parts.Header, out var header) ? header.KeyId : null;

    /// <summary>Opens with clear recipient material (d ‖ Qx ‖ Qy) into <paramref name="plaintext"/>; only custody and <see cref="Open(string, ECDiffieHellman)"/> call it.</summary>
    internal static CustodyResult<int> Open(string envelope, ReadOnlySpan<byte> material, Span<byte> plaintext)
    {
        if (!TrySplit(envelope, out var parts) || !TryReadHeader(parts.Header, out var header))
        {
            return CustodyResult<int>.Fail(CustodyFailure.Tampered);
        }

        var iv = new byte[IvSize];
        var tag = new byte[TagSize];
        var ciphertext = new byte[Base64Url.GetMaxDecodedLength(parts.Ciphertext.Length)];
        if (!TryDecode(parts.Iv, iv, exact: true) || !TryDecode(parts.Tag, tag, exact: true)
            || !TryDecodeChars(parts.Ciphertext, ciphertext, out var ciphertextLength)
            || plaintext.Length < ciphertextLength)
        {
            return CustodyResult<int>.Fail(CustodyFailure.Tampered);
        }

        byte[] z;
        try
        {
            z = KeyAlgorithms.AgreeP256(material, header.EphemeralKey);
        }
        catch (CryptographicException)
        {
            return CustodyResult<int>.Fail(CustodyFailure.Tampered); // the ephemeral point is not on the curve
        }

        using var key = new SecretBuffer(KeySize);
        try
        {
            ConcatKdf(z, Encryption, KeySize * 8, key.Span);
            using var aes = new AesGcm(key.Span, TagSize);
            aes.Decrypt(iv, ciphertext.AsSpan(0, ciphertextLength), tag, plaintext[..ciphertextLength], Encoding.ASCII.GetBytes(parts.Header.ToString()));
            return CustodyResult<int>.Success(ciphertextLength);
        }
        catch (AuthenticationTagMismatchException)
        {
            return CustodyResult<int>.Fail(CustodyFailure.Tampered);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(z);
        }
    }

    /// <summary>
    /// The Concat KDF of NIST SP 800-56A §5.8.2.1 as RFC 7518 §4.6.2 instantiates it with SHA-256:
    /// OtherInfo = AlgorithmID ‖ PartyUInfo ‖ PartyVInfo ‖ SuppPubInfo, each of the first three as a 32-bit
    /// big-endian length and the bytes (PartyU/VInfo empty here), SuppPubInfo the key length in bits. Requires
    /// <paramref name="keyBits"/> = 8 × the output length, at most 256 (one hash block).
    /// </summary>
    internal static void ConcatKdf(ReadOnlySpan<byte> z, string algorithmId, int keyBits, Span<byte> output,
        ReadOnlySpan<byte> partyUInfo = default, ReadOnlySpan<byte> partyVInfo = default)
    {
        if (keyBits != output.Length * 8 || keyBits > 256)
        {
            throw new ArgumentException("The Concat KDF here derives one SHA-256 block at most.", nameof(keyBits));
        }

        var algorithm = Encoding.ASCII.GetBytes(algorithmId);
        var input = new byte[4 + z.Length + 4 + algorithm.Length + 4 + partyUInfo.Length + 4 + partyVInfo.Length + 4];
        try
        {
            var at = 0;
            BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(at), 1); // round counter
            at += 4;
            z.CopyTo(input.AsSpan(at));
            at += z.Length;
            at = WriteLengthPrefixed(input, at, algorithm);
            at = WriteLengthPrefixed(input, at, partyUInfo);
            at = WriteLengthPrefixed(input, at, partyVInfo);
            BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(at), (uint)keyBits);
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(input, digest);
            digest[..output.Length].CopyTo(output);
            CryptographicOperations.ZeroMemory(digest);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }
    }

    private static int WriteLengthPrefixed(byte[] buffer, int at, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(at), (uint)value.Length);
        value.CopyTo(buffer.AsSpan(at + 4));
        return at + 4 + value.Length;
    }

    /// <summary>Imports an envelope recipient's public key: a P-256 SubjectPublicKeyInfo (DER), the point checked; an
    /// <see cref="ArgumentException"/> for anything else. The caller disposes the key.</summary>
    /// <param name="subjectPublicKeyInfo">The key.</param>
    public static ECDiffieHellman ImportRecipient(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var recipient = ECDiffieHellman.Create();
        try
        {
            recipient.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out var read);
            var curve = recipient.ExportParameters(false).Curve;
            if (read != subjectPublicKeyInfo.Length || recipient.KeySize != 256 || curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new ArgumentException("The recipient key must be a P-256 public key (SubjectPublicKeyInfo DER).", nameof(subjectPublicKeyInfo));
            }

            return recipient;
        }
        catch (CryptographicException ex)
        {
            recipient.Dispose();
            throw new ArgumentException("The recipient key must be a P-256 public key (SubjectPublicKeyInfo DER).", nameof(subjectPublicKeyInfo), ex);
        }
        catch
        {
            recipient.Dispose();
            throw;
        }
    }

    private static byte[] HeaderJson(string keyId, string? contentType, ECPoint epk)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("alg", Algorithm);
            json.WriteString("enc", Encryption);
            json.WriteString("kid", keyId);
            if (contentType is not null)
            {
                json.WriteString("cty", contentType);
            }

            json.WriteStartObject("epk");
            json.WriteString("kty", "EC");
            json.WriteString("crv", "P-256");
            json.WriteString("x", Base64Url.EncodeToString(epk.X));
            json.WriteString("y", Base64Url.EncodeToString(epk.Y));
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private readonly ref struct Parts(ReadOnlySpan<char> header, ReadOnlySpan<char> iv, ReadOnlySpan<char> ciphertext, ReadOnlySpan<char> tag)
    {
        public ReadOnlySpan<char> Header { get; } = header;

        public ReadOnlySpan<char> Iv { get; } = iv;

        public ReadOnlySpan<char> Ciphertext { get; } = ciphertext;

        public ReadOnlySpan<char> Tag { get; } = tag;
    }

    private static bool TrySplit(string? envelope, out Parts parts)
    {
        parts = default;
        if (envelope is null || envelope.Length > MaxEnvelopeLength)
        {
            return false;
        }

        Span<Range> ranges = stackalloc Range[6];
        var span = envelope.AsSpan();
        if (span.Split(ranges, '.') != 5 || !span[ranges[1]].IsEmpty || span[ranges[0]].Length is 0 or > MaxHeaderLength)
        {
            return false; // five parts, and an empty encrypted key (direct key agreement)
        }

        parts = new Parts(span[ranges[0]], span[ranges[2]], span[ranges[3]], span[ranges[4]]);
        return true;
    }

    private readonly record struct Header(string KeyId, ECParameters EphemeralKey);

    private static bool TryReadHeader(ReadOnlySpan<char> encoded, out Header header)
    {
        header = default;
        var bytes = new byte[Base64Url.GetMaxDecodedLength(encoded.Length)];
        if (!TryDecodeChars(encoded, bytes, out var length))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(bytes.AsMemory(0, length), new JsonDocumentOptions { MaxDepth = 4 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || Text(root, "alg") != Algorithm || Text(root, "enc") != Encryption || Text(root, "kid") is not { Length: > 0 } kid
                || !root.TryGetProperty("epk", out var epk) || epk.ValueKind != JsonValueKind.Object
                || Text(epk, "kty") != "EC" || Text(epk, "crv") != "P-256"
                || root.TryGetProperty("crit", out _) || root.TryGetProperty("zip", out _))
            {
                return false;
            }

            var x = new byte[CoordinateSize];
            var y = new byte[CoordinateSize];
            if (!TryDecode(Text(epk, "x"), x, exact: true) || !TryDecode(Text(epk, "y"), y, exact: true))
            {
                return false;
            }

            header = new Header(kid, new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } });
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return false; // malformed JSON, or strings that are not valid UTF-8
        }
    }

    /// <summary>Base64url decoding that reports bad input as false (the platform's TryDecodeFromChars throws on illegal characters).</summary>
    private static bool TryDecodeChars(ReadOnlySpan<char> encoded, Span<byte> destination, out int written)
    {
        try
        {
            return Base64Url.TryDecodeFromChars(encoded, destination, out written);
        }
        catch (FormatException)
        {
            written = 0;
            return false;
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool TryDecode(ReadOnlySpan<char> encoded, Span<byte> destination, bool exact) =>
        Base64Url.GetMaxDecodedLength(encoded.Length) <= destination.Length + 2
        && TryDecodeChars(encoded, destination, out var written)
        && (!exact || written == destination.Length);
}
