namespace Konfido.Custody;

/// <summary>The public description of a custody key: never any secret material.</summary>
/// <param name="Id">The key's name.</param>
/// <param name="Kind">What the key is.</param>
/// <param name="PublicKey">For signing keys the public key (Ed25519: 32 raw bytes, RFC 8032;
/// ECDSA P-256: SubjectPublicKeyInfo DER); empty otherwise.</param>
/// <param name="CreatedAt">When the key was generated or imported.</param>
/// <param name="DestroyedAt">When the key was destroyed (crypto-shredded), or null while it is usable.</param>
public sealed record CustodyKeyInfo(
    CustodyKeyId Id,
    CustodyKeyKind Kind,
    ReadOnlyMemory<byte> PublicKey,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DestroyedAt)
{
    /// <summary>True once the key has been destroyed.</summary>
    public bool IsDestroyed => DestroyedAt is not null;
}
