using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Konfido.Exchange;

/// <summary>
/// One country of the federation as the trust list describes it: where its national contact point
/// listens for federation calls, the SHA-256 fingerprint of its TLS certificate (pinned for mutual
/// TLS in both directions), and its payload-signing public key.
/// </summary>
/// <param name="Country">ISO 3166-1 alpha-2 code.</param>
/// <param name="Name">A display name (e.g. "Denmark NCP").</param>
/// <param name="Endpoint">The base URL of the node's federation API (HTTPS).</param>
/// <param name="TlsCertificateSha256">Lower-case hex SHA-256 of the DER TLS certificate.</param>
/// <param name="SigningKey">Base64 DER SubjectPublicKeyInfo of the node's P-256 signing key.</param>
/// <param name="LedgerKey">The C2SP signed-note verifier key of the node's audit log (its name is the log origin), or null.</param>
/// <param name="WitnessKey">The C2SP cosignature verifier key of the node's witness, or null.</param>
public sealed record FederationMember(
    [property: JsonPropertyName("country")] string Country,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("endpoint")] Uri Endpoint,
    [property: JsonPropertyName("tlsCertificateSha256")] string TlsCertificateSha256,
    [property: JsonPropertyName("signingKey")] string SigningKey,
    [property: JsonPropertyName("ledgerKey")] string? LedgerKey = null,
    [property: JsonPropertyName("witnessKey")] string? WitnessKey = null)
{
    /// <summary>
    /// The certificate (base64 DER) whose key signs this country's cross-border SAML assertions (HCP
    /// identity, TRC), or null if the country issues none.
    /// </summary>
    [JsonPropertyName("assertionCertificate")]
    public string? AssertionCertificate { get; init; }

    /// <summary>
    /// The protocol the node speaks for clinical transactions: null (Konfido's FHIR REST), <c>ihe</c> (the
    /// IHE SOAP profiles on Konfido's paths: a Konfido node in OpenNCP mode) or <c>openncp</c> (the IHE SOAP
    /// profiles on OpenNCP's service paths: an OpenNCP node).
    /// </summary>
    [JsonPropertyName("protocol")]
    public string? Protocol { get; init; }

    /// <summary>The public key (base64 SubjectPublicKeyInfo DER) that signs this node's attestation quotes, or null.</summary>
    [JsonPropertyName("attestationKey")]
    public string? AttestationKey { get; init; }

    /// <summary>The measurements (lower-case hex SHA-256) of the builds and configurations this node may run.</summary>
    [JsonPropertyName("measurements")]
    public IReadOnlyList<string>? Measurements { get; init; }

    /// <summary>
    /// The node's payload key (base64 SubjectPublicKeyInfo DER, ECDH P-256, held in its key custody), or null: clinical
    /// answers to this node are sealed end to end for this key (<see cref="SealedPayloads"/>), so only the custody boundary
    /// of the node opens them.
    /// </summary>
    [JsonPropertyName("payloadKey")]
    public string? PayloadKey { get; init; }

    /// <summary>
    /// The certificate (base64 DER) of the CA key that issues this node's short-lived TLS certificates, or null. When set,
    /// <see cref="TlsCertificateSha256"/> pins this issuer (its SHA-256), whose key lives in the node's custody, and the node
    /// presents TLS certificates it issued, valid at most <see cref="Core.IssuedCertificates.MaxLifetime"/>; when null, it pins the node's one
    /// TLS certificate.
    /// </summary>
    [JsonPropertyName("tlsIssuer")]
    public string? TlsIssuer { get; init; }

    /// <summary>
    /// True if <paramref name="presented"/> is this member's TLS certificate at <paramref name="now"/>: the pinned certificate
    /// itself, or (with <see cref="TlsIssuer"/>) a certificate the pinned issuer signed, valid now, and short-lived.
    /// </summary>
    /// <param name="presented">The certificate the peer presented.</param>
    /// <param name="now">The current time.</param>
    public bool AcceptsTlsCertificate(X509Certificate2? presented, DateTimeOffset now)
    {
        if (presented is null || now < presented.NotBefore.ToUniversalTime() || now > presented.NotAfter.ToUniversalTime())
        {
            return false;
        }

        if (TlsIssuer is null)
        {
            return CertificateFingerprint.Equal(CertificateFingerprint.Sha256(presented), TlsCertificateSha256);
        }

        try
        {
            using var issuer = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(TlsIssuer));
            return CertificateFingerprint.Equal(CertificateFingerprint.Sha256(issuer), TlsCertificateSha256)
                && Core.IssuedCertificates.IsIssuedBy(presented, issuer, now);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return false;
        }
    }

    /// <summary>Imports <see cref="SigningKey"/> as a P-256 public key (the caller disposes it).</summary>
    public ECDsa ImportSigningKey()
    {
        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(SigningKey), out _);
        return key;
    }
}

/// <summary>
/// The federation trust list (what the eHealth DSI calls the TSL): which countries take part, where
/// their nodes are, and which certificates and keys are theirs. Issued and signed by the federation
/// operator; a node accepts a peer only if the peer is on the list with that certificate.
/// </summary>
/// <param name="Federation">The federation's name.</param>
/// <param name="Sequence">A number that grows with every issued list (replay/rollback protection).</param>
/// <param name="IssuedAt">When the list was issued.</param>
/// <param name="NextUpdate">After this instant the list is stale and refused.</param>
/// <param name="Members">The member countries.</param>
public sealed record TrustList(
    [property: JsonPropertyName("federation")] string Federation,
    [property: JsonPropertyName("sequence")] long Sequence,
    [property: JsonPropertyName("issuedAt")] DateTimeOffset IssuedAt,
    [property: JsonPropertyName("nextUpdate")] DateTimeOffset NextUpdate,
    [property: JsonPropertyName("members")] IReadOnlyList<FederationMember> Members)
{
    /// <summary>The member with country code <paramref name="country"/> (case-insensitive), or null.</summary>
    public FederationMember? Find(string country) =>
        Members.FirstOrDefault(m => string.Equals(m.Country, country, StringComparison.OrdinalIgnoreCase));

    /// <summary>The member whose TLS certificate <paramref name="certificate"/> is now (<see cref="FederationMember.AcceptsTlsCertificate"/>), or null.</summary>
    public FederationMember? FindByCertificate(X509Certificate2? certificate)
    {
        var now = DateTimeOffset.UtcNow;
        return certificate is null ? null : Members.FirstOrDefault(m => m.AcceptsTlsCertificate(certificate, now));
    }
}

/// <summary>SHA-256 certificate fingerprints, compared in constant time.</summary>
public static class CertificateFingerprint
{
    /// <summary>Lower-case hex SHA-256 of the certificate's DER encoding.</summary>
    public static string Sha256(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    /// <summary>True if two hex fingerprints are equal (case-insensitive, constant time over equal lengths).</summary>
    public static bool Equal(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Length != b.Length)
        {
            return false;
        }

        var diff = 0;
        for (var i = 0; i < a.Length; i++)
        {
            diff |= char.ToLowerInvariant(a[i]) ^ char.ToLowerInvariant(b[i]);
        }

        return diff == 0;
    }
}

/// <summary>
/// A trust list signed by the federation operator, serialised as a JWS in the flattened JSON form
/// (RFC 7515 §7.2.2: <c>{"protected","payload","signature"}</c>), ES256.
/// </summary>
public static class SignedTrustList
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };

    /// <summary>Signs <paramref name="trustList"/> with the operator's P-256 key and returns the JWS JSON.</summary>
    public static string Sign(TrustList trustList, ECDsa operatorKey)
    {
        ArgumentNullException.ThrowIfNull(trustList);
        ArgumentNullException.ThrowIfNull(operatorKey);
        var payload = JsonSerializer.SerializeToUtf8Bytes(trustList, JsonOptions);
        var compact = DetachedJws.Sign(payload, operatorKey, "federation-operator");
        var encodedHeader = compact[..compact.IndexOf('.', StringComparison.Ordinal)];
        var signature = compact[(compact.LastIndexOf('.') + 1)..];
        var document = new FlattenedJws(encodedHeader, Base64Url.EncodeToString(payload), signature);
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// Verifies a signed trust list with the operator's public key and checks that it is current at
    /// <paramref name="now"/>. Malformed input, a bad signature or a stale list is a failed result.
    /// </summary>
    public static TrustListCheck Verify(string json, ECDsa operatorPublicKey, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(operatorPublicKey);
        if (string.IsNullOrWhiteSpace(json))
        {
            return TrustListCheck.Fail("the trust list is empty");
        }

        FlattenedJws? document;
        byte[] payload;
        try
        {
            document = JsonSerializer.Deserialize<FlattenedJws>(json);
            if (document is null || document.Protected is null || document.Payload is null || document.Signature is null)
            {
                return TrustListCheck.Fail("the trust list is not a flattened JWS (protected, payload, signature)");
            }

            payload = Base64Url.DecodeFromChars(document.Payload);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return TrustListCheck.Fail($"the trust list is malformed: {ex.Message}");
        }

        var check = DetachedJws.Verify($"{document.Protected}..{document.Signature}", payload, operatorPublicKey);
        if (!check.IsValid)
        {
            return TrustListCheck.Fail($"the trust list signature is invalid: {check.Reason}");
        }

        TrustList? list;
        try
        {
            list = JsonSerializer.Deserialize<TrustList>(payload, JsonOptions);
        }
        catch (JsonException ex)
        {
            return TrustListCheck.Fail($"the signed trust list content is malformed: {ex.Message}");
        }

        if (list is null || list.Members is null || list.Members.Count == 0)
        {
            return TrustListCheck.Fail("the trust list has no members");
        }

        if (now > list.NextUpdate)
        {
            return TrustListCheck.Fail($"the trust list is stale (nextUpdate {list.NextUpdate:O} has passed)");
        }

        return new TrustListCheck(list, null);
    }

    private sealed record FlattenedJws(
        [property: JsonPropertyName("protected")] string Protected,
        [property: JsonPropertyName("payload")] string Payload,
        [property: JsonPropertyName("signature")] string Signature);
}

/// <summary>The result of verifying a signed trust list.</summary>
/// <param name="TrustList">The verified list, or null on failure.</param>
/// <param name="Reason">Why verification failed, or null.</param>
public sealed record TrustListCheck(TrustList? TrustList, string? Reason)
{
    /// <summary>True if the list verified.</summary>
    public bool IsValid => TrustList is not null;

    /// <summary>A failed check.</summary>
    public static TrustListCheck Fail(string reason) => new(null, reason);
}
