using Konfido.Custody.Attestation;
using Konfido.Custody.Crypto;

namespace Konfido.Custody;

/// <summary>
/// What a backend provides to <see cref="KeyCustody"/>: protection of secret material at rest
/// (bound to a context), optionally keys it holds itself, and optionally hardware quotes.
/// An enclave backend (SGX, SEV-SNP) would implement this too; see README.md.
/// </summary>
internal interface ICustodyBackend : IDisposable
{
    string Name { get; }

    /// <summary>Protects <paramref name="secret"/> so that only this backend can recover it, and only with the same
    /// <paramref name="context"/>; if <paramref name="bindTo"/> is given and the backend can enforce it in hardware,
    /// only while the node runs that measurement (the caller authenticates the binding in the context as well).</summary>
    byte[] Protect(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> context, NodeMeasurement? bindTo = null);

    /// <summary>Recovers protected material into a pinned buffer, or null if the blob does not authenticate here
    /// (or, for a hardware-bound blob, <paramref name="current"/> is not the measurement it is bound to).</summary>
    SecretBuffer? TryUnprotect(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> context, NodeMeasurement? current = null);

    /// <summary>True if keys of <paramref name="kind"/> are generated and used inside the backend itself (never in host memory).</summary>
    bool HoldsKeys(CustodyKeyKind kind);

    /// <summary>Generates a key inside the backend; returns the backend's (safe to store) blob for it.</summary>
    byte[] CreateHeldKey(CustodyKeyKind kind, out byte[] publicKey);

    /// <summary>Signs a SHA-256 digest with a key the backend holds.</summary>
    byte[] SignDigestWithHeldKey(ReadOnlySpan<byte> blob, ReadOnlySpan<byte> sha256Digest);

    /// <summary>A hardware quote over <paramref name="measurement"/>, or null if the backend has no hardware root of trust.</summary>
    AttestationQuote? Quote(ReadOnlySpan<byte> nonce, NodeMeasurement measurement);

    /// <summary>The hardware attestation key (SubjectPublicKeyInfo DER), or null without one.</summary>
    byte[]? HardwareAttestationKey { get; }
}
