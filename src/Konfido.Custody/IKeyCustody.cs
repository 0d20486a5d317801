using Konfido.Custody.Attestation;

namespace Konfido.Custody;

/// <summary>
/// Uses a secret inside the custody boundary. The span is valid only during the call and is
/// zeroised afterwards: copy nothing secret out of it.
/// </summary>
/// <typeparam name="TState">Caller state, passed through.</typeparam>
/// <typeparam name="TResult">What the caller computes.</typeparam>
/// <param name="secret">The clear secret.</param>
/// <param name="state">The caller's state.</param>
public delegate TResult SecretFunc<in TState, out TResult>(ReadOnlySpan<byte> secret, TState state);

/// <summary>Whether sealed data is bound to the node's measurement as well as to the backend.</summary>
public enum SealBinding
{
    /// <summary>Bound to the backend only (machine key or TPM).</summary>
    Backend = 0,

    /// <summary>Bound to the backend and to the node's current <see cref="NodeMeasurement"/>: a node
    /// running another build or configuration gets <see cref="CustodyFailure.WrongMeasurement"/>.</summary>
    BackendAndMeasurement = 1,
}

/// <summary>
/// Key custody: the one place where Konfido's long-term secrets live (TLS and signing keys, ledger
/// and witness keys, HE secret keys, PUF verification records, per-patient data keys). Keys are
/// generated inside, used through this interface and never exported in the clear; data can be
/// sealed to the backend; the node's measurement can be attested.
/// </summary>
/// <remarks>
/// Misuse (an unknown or destroyed key for signing, a key of the wrong kind, a duplicate id) throws.
/// Untrusted input (a sealed blob, a ciphertext) yields a <see cref="CustodyResult{T}"/> failure.
/// Implementations are thread-safe.
/// </remarks>
public interface IKeyCustody : IDisposable
{
    /// <summary>The backend name: <c>software</c> or <c>tpm</c>.</summary>
    string Backend { get; }

    /// <summary>The measurement (build and configuration) of the node this custody serves.</summary>
    NodeMeasurement Measurement { get; }

    /// <summary>Generates a new key of <paramref name="kind"/> inside custody. Requires an unused id
    /// and a kind other than <see cref="CustodyKeyKind.Secret"/> (use <see cref="ImportSecret"/>).</summary>
    /// <param name="id">The new key's name.</param>
    /// <param name="kind">What key to generate.</param>
    /// <returns>The key's public description.</returns>
    CustodyKeyInfo CreateKey(CustodyKeyId id, CustodyKeyKind kind);

    /// <summary>Takes custody of a secret made elsewhere (an HE secret key, a PUF record), of kind
    /// <see cref="CustodyKeyKind.Secret"/>. The caller must zeroise its copy. Requires an unused id and 1..16 MiB.</summary>
    /// <param name="id">The secret's name.</param>
    /// <param name="secret">The secret bytes.</param>
    /// <returns>The secret's public description.</returns>
    CustodyKeyInfo ImportSecret(CustodyKeyId id, ReadOnlySpan<byte> secret);

    /// <summary>The description of key <paramref name="id"/> (also when destroyed), or null if there never was one.</summary>
    /// <param name="id">The key's name.</param>
    CustodyKeyInfo? FindKey(CustodyKeyId id);

    /// <summary>Every key in custody, destroyed ones included, ordered by id.</summary>
    IReadOnlyList<CustodyKeyInfo> ListKeys();

    /// <summary>Destroys key <paramref name="id"/> for good (crypto-shredding, e.g. for a GDPR Art. 17
    /// erasure of a patient's data encrypted under it). Its id can never be used again.</summary>
    /// <param name="id">The key's name.</param>
    /// <returns>True if a live key was destroyed; false if it did not exist or was already destroyed.</returns>
    bool DestroyKey(CustodyKeyId id);

    /// <summary>Signs <paramref name="data"/> (Ed25519: RFC 8032 pure; ECDSA: P-256 over SHA-256, r‖s).
    /// Requires a live signing key.</summary>
    /// <param name="id">The signing key.</param>
    /// <param name="data">The message.</param>
    /// <returns>The 64-byte signature; verify it with <see cref="CustodySignatures.Verify"/>.</returns>
    byte[] Sign(CustodyKeyId id, ReadOnlySpan<byte> data);

    /// <summary>Signs a SHA-256 digest computed by the caller (for APIs that hash first: XML-DSig, JWS, CMS,
    /// <see cref="CustodyECDsa"/>). Requires a live <see cref="CustodyKeyKind.EcdsaP256Signing"/> key and 32 bytes.</summary>
    /// <param name="id">The ECDSA key.</param>
    /// <param name="sha256Digest">SHA-256 of the message.</param>
    /// <returns>The 64-byte r‖s signature.</returns>
    byte[] SignDigest(CustodyKeyId id, ReadOnlySpan<byte> sha256Digest);

    /// <summary>HMAC-SHA-256 of <paramref name="data"/>. Requires a live <see cref="CustodyKeyKind.HmacSha256"/> key.</summary>
    /// <param name="id">The HMAC key.</param>
    /// <param name="data">The message.</param>
    /// <returns>The 32-byte tag.</returns>
    byte[] ComputeHmac(CustodyKeyId id, ReadOnlySpan<byte> data);

    /// <summary>Encrypts with AES-256-GCM under key <paramref name="id"/> and a fresh random nonce.
    /// Requires a live <see cref="CustodyKeyKind.Aes256Gcm"/> key.</summary>
    /// <param name="id">The data key.</param>
    /// <param name="plaintext">The data (for a wrapped data key: the key to wrap).</param>
    /// <param name="associatedData">Authenticated context (e.g. the record id) that decryption must repeat.</param>
    /// <returns>The ciphertext, <see cref="CustodyCiphertext.Overhead"/> bytes longer than the plaintext.</returns>
    byte[] Encrypt(CustodyKeyId id, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData);

    /// <summary>Decrypts what <see cref="Encrypt"/> produced; a failure result if the key is gone or the
    /// ciphertext or associated data was altered. Requires a key of kind <see cref="CustodyKeyKind.Aes256Gcm"/> if it exists.</summary>
    /// <param name="id">The data key.</param>
    /// <param name="ciphertext">The ciphertext.</param>
    /// <param name="associatedData">The associated data given to <see cref="Encrypt"/>.</param>
    CustodyResult<byte[]> Decrypt(CustodyKeyId id, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData);

    /// <summary>Decrypts into a caller buffer (which may be pinned and zeroised by the caller), as
    /// <see cref="Decrypt(CustodyKeyId, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>. Requires
    /// <paramref name="plaintext"/> of at least <c>ciphertext.Length - Overhead</c> bytes.</summary>
    /// <param name="id">The data key.</param>
    /// <param name="ciphertext">The ciphertext.</param>
    /// <param name="associatedData">The associated data.</param>
    /// <param name="plaintext">Receives the clear data.</param>
    /// <returns>The number of bytes written, or why it failed.</returns>
    CustodyResult<int> Decrypt(CustodyKeyId id, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, Span<byte> plaintext);

    /// <summary>Opens a <see cref="PayloadEnvelope"/> addressed to key <paramref name="id"/> into a caller buffer: the key
    /// agreement happens inside custody and only the payload comes out. A failure result if the key is gone or the envelope
    /// is malformed, altered or for another key. Requires a key of kind <see cref="CustodyKeyKind.EcdhP256KeyAgreement"/> if it
    /// exists, and <paramref name="plaintext"/> of at least <see cref="PayloadEnvelope.PlaintextLength"/> bytes.</summary>
    /// <param name="id">The recipient's key-agreement key.</param>
    /// <param name="envelope">The compact JWE.</param>
    /// <param name="plaintext">Receives the payload.</param>
    /// <returns>The number of bytes written, or why it failed.</returns>
    CustodyResult<int> OpenEnvelope(CustodyKeyId id, string envelope, Span<byte> plaintext);

    /// <summary>Runs <paramref name="use"/> over the clear secret (any kind except ECDSA keys held in a
    /// TPM), then zeroises it. Requires a live key.</summary>
    /// <typeparam name="TState">Caller state.</typeparam>
    /// <typeparam name="TResult">The result.</typeparam>
    /// <param name="id">The secret.</param>
    /// <param name="state">Passed to <paramref name="use"/>.</param>
    /// <param name="use">The computation; it must not keep or copy the span.</param>
    TResult UseSecret<TState, TResult>(CustodyKeyId id, TState state, SecretFunc<TState, TResult> use);

    /// <summary>Seals <paramref name="data"/> to this backend (and optionally the node's measurement):
    /// only this machine key or this TPM can unseal it. Requires at most 16 MiB.</summary>
    /// <param name="data">The data.</param>
    /// <param name="binding">What the blob is bound to.</param>
    /// <returns>The sealed blob (safe to store anywhere).</returns>
    byte[] Seal(ReadOnlySpan<byte> data, SealBinding binding = SealBinding.Backend);

    /// <summary>Unseals a blob from <see cref="Seal"/>; <see cref="CustodyFailure.Tampered"/> if it was
    /// altered or sealed elsewhere, <see cref="CustodyFailure.WrongMeasurement"/> if bound to another measurement.</summary>
    /// <param name="sealedBlob">The blob.</param>
    CustodyResult<byte[]> Unseal(ReadOnlySpan<byte> sealedBlob);

    /// <summary>A signed quote of <see cref="Measurement"/> over the verifier's nonce (a TPM quote over the
    /// measurement PCR with a TPM, a software quote otherwise). Requires a nonce of 16..64 bytes.</summary>
    /// <param name="nonce">The verifier's fresh nonce.</param>
    AttestationQuote Attest(ReadOnlySpan<byte> nonce);

    /// <summary>The public key that signs this custody's quotes (SubjectPublicKeyInfo DER, ECDSA P-256):
    /// peers enrol it once and then pass it to <see cref="AttestationVerifier.VerifyAsync"/>.</summary>
    ReadOnlyMemory<byte> AttestationPublicKey { get; }
}

/// <summary>The format of <see cref="IKeyCustody.Encrypt"/> ciphertexts: version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16).</summary>
public static class CustodyCiphertext
{
    /// <summary>Bytes a ciphertext adds to its plaintext.</summary>
    public const int Overhead = 1 + NonceSize + TagSize;

    internal const byte Version = 1;
    internal const int NonceSize = 12;
    internal const int TagSize = 16;
}
