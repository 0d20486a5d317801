// Key algorithms used on clear key material inside the custody boundary.
// References: RFC 8032 §5.1 (Ed25519, 32-byte seeds, 64-byte signatures, BouncyCastle's Rfc8032
// implementation); FIPS 186-5 / SEC 1 (ECDSA P-256 with SHA-256, IEEE P1363 r‖s encoding);
// RFC 2104 (HMAC-SHA-256, 32-byte keys); NIST SP 800-38D (AES-256-GCM, 96-bit nonces, 128-bit tags).
using System.Security.Cryptography;
using BcEd25519 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Konfido.Custody.Crypto;

/// <summary>Generation and use of clear key material; every buffer with a secret is zeroised after use.</summary>
internal static class KeyAlgorithms
{
    public const int Ed25519SeedSize = 32;
    public const int Ed25519PublicKeySize = 32;
    public const int SymmetricKeySize = 32;
    public const int P256ScalarSize = 32;

    /// <summary>Generates the clear material of a new key and its public key (empty for symmetric keys).</summary>
    public static SecretBuffer Generate(CustodyKeyKind kind, out byte[] publicKey)
    {
        switch (kind)
        {
            case CustodyKeyKind.Ed25519Signing:
                {
                    var seed = SecretBuffer.Random(Ed25519SeedSize);
                    publicKey = new byte[Ed25519PublicKeySize];
                    BcEd25519.GeneratePublicKey(seed.Array, 0, publicKey, 0);
                    return seed;
                }

            case CustodyKeyKind.EcdsaP256Signing:
            case CustodyKeyKind.EcdhP256KeyAgreement:
                {
                    // The same P-256 key pair serves ECDSA or ECDH; the kind decides which operations custody allows.
                    using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                    var parameters = ecdsa.ExportParameters(includePrivateParameters: true);
                    try
                    {
                        // Stored form: d ‖ Qx ‖ Qy (96 bytes).
                        var material = new SecretBuffer(3 * P256ScalarSize);
                        parameters.D.AsSpan().CopyTo(material.Span);
                        parameters.Q.X.AsSpan().CopyTo(material.Span[P256ScalarSize..]);
                        parameters.Q.Y.AsSpan().CopyTo(material.Span[(2 * P256ScalarSize)..]);
                        publicKey = ecdsa.ExportSubjectPublicKeyInfo();
                        return material;
                    }
                    finally
                    {
                        CryptographicOperations.ZeroMemory(parameters.D);
                    }
                }

            case CustodyKeyKind.Aes256Gcm:
            case CustodyKeyKind.HmacSha256:
                publicKey = [];
                return SecretBuffer.Random(SymmetricKeySize);

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "This kind of key cannot be generated.");
        }
    }

    /// <summary>Signs with clear material of a signing key (Ed25519 or ECDSA P-256).</summary>
    public static byte[] Sign(CustodyKeyKind kind, SecretBuffer material, ReadOnlySpan<byte> data)
    {
        switch (kind)
        {
            case CustodyKeyKind.Ed25519Signing:
                {
                    var message = data.ToArray();
                    var signature = new byte[BcEd25519.SignatureSize];
                    BcEd25519.Sign(material.Array, 0, message, 0, message.Length, signature, 0);
                    return signature;
                }

            case CustodyKeyKind.EcdsaP256Signing:
                {
                    var parameters = P256Parameters(material);
                    try
                    {
                        using var ecdsa = ECDsa.Create(parameters);
                        return ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                    }
                    finally
                    {
                        CryptographicOperations.ZeroMemory(parameters.D);
                    }
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a signing key.");
        }
    }

    /// <summary>ECDSA P-256 signature of a SHA-256 digest with clear material (d ‖ Qx ‖ Qy), r‖s.</summary>
    public static byte[] SignDigestP256(SecretBuffer material, ReadOnlySpan<byte> sha256Digest)
    {
        var parameters = P256Parameters(material);
        try
        {
            using var ecdsa = ECDsa.Create(parameters);
            return ecdsa.SignHash(sha256Digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    /// <summary>The raw ECDH shared secret Z (the x-coordinate, 32 bytes) of clear material (d ‖ Qx ‖ Qy) and a peer's public point.
    /// The caller zeroises the result.</summary>
    public static byte[] AgreeP256(ReadOnlySpan<byte> material, ECParameters peerPublic)
    {
        var parameters = new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = material[..P256ScalarSize].ToArray() };
        try
        {
            using var mine = ECDiffieHellman.Create(parameters);
            using var peer = ECDiffieHellman.Create(peerPublic); // the platform refuses points off the curve
            using var peerKey = peer.PublicKey;
            return mine.DeriveRawSecretAgreement(peerKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    // Only d is imported: the platform derives Q from it, which costs less than checking a given Q against d
    // (about 76 µs instead of 120 µs per use on this machine); the stored Q is the same point by construction.
    private static ECParameters P256Parameters(SecretBuffer material) => new()
    {
        Curve = ECCurve.NamedCurves.nistP256,
        D = material.Span[..P256ScalarSize].ToArray(),
    };

    /// <summary>AES-256-GCM encryption into the <see cref="CustodyCiphertext"/> format.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var output = new byte[plaintext.Length + CustodyCiphertext.Overhead];
        output[0] = CustodyCiphertext.Version;
        var nonce = output.AsSpan(1, CustodyCiphertext.NonceSize);
        RandomNumberGenerator.Fill(nonce);
        var ciphertext = output.AsSpan(1 + CustodyCiphertext.NonceSize, plaintext.Length);
        var tag = output.AsSpan(1 + CustodyCiphertext.NonceSize + plaintext.Length, CustodyCiphertext.TagSize);
        using var aes = new AesGcm(key, CustodyCiphertext.TagSize);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
        return output;
    }

    /// <summary>AES-256-GCM decryption of the <see cref="CustodyCiphertext"/> format; false if it does not authenticate.</summary>
    public static bool TryDecrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input, ReadOnlySpan<byte> associatedData, Span<byte> plaintext, out int written)
    {
        written = 0;
        if (input.Length < CustodyCiphertext.Overhead || input[0] != CustodyCiphertext.Version)
        {
            return false;
        }

        var length = input.Length - CustodyCiphertext.Overhead;
        if (plaintext.Length < length)
        {
            throw new ArgumentException("The plaintext buffer is too small.", nameof(plaintext));
        }

        var nonce = input.Slice(1, CustodyCiphertext.NonceSize);
        var ciphertext = input.Slice(1 + CustodyCiphertext.NonceSize, length);
        var tag = input.Slice(1 + CustodyCiphertext.NonceSize + length, CustodyCiphertext.TagSize);
        using var aes = new AesGcm(key, CustodyCiphertext.TagSize);
        try
        {
            aes.Decrypt(nonce, ciphertext, tag, plaintext[..length], associatedData);
        }
        catch (AuthenticationTagMismatchException)
        {
            return false; // AesGcm has already zeroed the output.
        }

        written = length;
        return true;
    }
}
