namespace Konfido.Custody;

/// <summary>What a custody key is and therefore which operations it allows.</summary>
public enum CustodyKeyKind
{
    /// <summary>An Ed25519 signing key (RFC 8032): <see cref="IKeyCustody.Sign"/>, 64-byte signatures.</summary>
    Ed25519Signing = 1,

    /// <summary>An ECDSA P-256 / SHA-256 signing key (FIPS 186-5): <see cref="IKeyCustody.Sign"/>, 64-byte r‖s signatures.
    /// The TPM backend keeps these inside the TPM.</summary>
    EcdsaP256Signing = 2,

    /// <summary>An AES-256-GCM data key (per-patient data keys, key-encryption keys):
    /// <see cref="IKeyCustody.Encrypt"/> and <see cref="IKeyCustody.Decrypt(CustodyKeyId, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.</summary>
    Aes256Gcm = 3,

    /// <summary>An HMAC-SHA-256 key (RFC 2104), 32 bytes: <see cref="IKeyCustody.ComputeHmac"/>.</summary>
    HmacSha256 = 4,

    /// <summary>An opaque secret (an HE secret key, a PUF verification record, a TLS private key):
    /// usable only inside <see cref="IKeyCustody.UseSecret{TState, TResult}"/>.</summary>
    Secret = 5,

    /// <summary>An ECDH P-256 key-agreement key (NIST SP 800-56A): payload envelopes addressed to it are opened
    /// only inside custody, by <see cref="IKeyCustody.OpenEnvelope"/> (see <see cref="PayloadEnvelope"/>).</summary>
    EcdhP256KeyAgreement = 6,
}

/// <summary>Names of <see cref="CustodyKeyKind"/> values as they appear in files and JSON.</summary>
public static class CustodyKeyKinds
{
    /// <summary>The stable lowercase name of <paramref name="kind"/> (e.g. <c>ed25519</c>).</summary>
    /// <param name="kind">The kind.</param>
    public static string Name(CustodyKeyKind kind) => kind switch
    {
        CustodyKeyKind.Ed25519Signing => "ed25519",
        CustodyKeyKind.EcdsaP256Signing => "ecdsa-p256",
        CustodyKeyKind.Aes256Gcm => "aes-256-gcm",
        CustodyKeyKind.HmacSha256 => "hmac-sha256",
        CustodyKeyKind.Secret => "secret",
        CustodyKeyKind.EcdhP256KeyAgreement => "ecdh-p256",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown key kind."),
    };

    /// <summary>True for the two signing kinds.</summary>
    /// <param name="kind">The kind.</param>
    public static bool IsSigning(CustodyKeyKind kind) => kind is CustodyKeyKind.Ed25519Signing or CustodyKeyKind.EcdsaP256Signing;
}
