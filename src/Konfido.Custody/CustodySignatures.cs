using System.Security.Cryptography;
using BcEd25519 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Konfido.Custody;

/// <summary>Verification of signatures made by <see cref="IKeyCustody.Sign"/>: needs only the public key.</summary>
public static class CustodySignatures
{
    /// <summary>True if <paramref name="signature"/> is a valid signature of <paramref name="data"/> under
    /// <paramref name="publicKey"/> (as in <see cref="CustodyKeyInfo.PublicKey"/>); false for any invalid or malformed input.
    /// Requires a signing kind.</summary>
    /// <param name="kind">The key kind (<see cref="CustodyKeyKind.Ed25519Signing"/> or <see cref="CustodyKeyKind.EcdsaP256Signing"/>).</param>
    /// <param name="publicKey">The public key.</param>
    /// <param name="data">The message.</param>
    /// <param name="signature">The signature.</param>
    public static bool Verify(CustodyKeyKind kind, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        switch (kind)
        {
            case CustodyKeyKind.Ed25519Signing:
                if (publicKey.Length != BcEd25519.PublicKeySize || signature.Length != BcEd25519.SignatureSize)
                {
                    return false;
                }

                var message = data.ToArray();
                return BcEd25519.Verify(signature.ToArray(), 0, publicKey.ToArray(), 0, message, 0, message.Length);

            case CustodyKeyKind.EcdsaP256Signing:
                if (signature.Length != 64)
                {
                    return false;
                }

                try
                {
                    using var ecdsa = ECDsa.Create();
                    ecdsa.ImportSubjectPublicKeyInfo(publicKey, out var read);
                    if (read != publicKey.Length || ecdsa.KeySize != 256)
                    {
                        return false;
                    }

                    return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                }
                catch (CryptographicException)
                {
                    return false;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a signing key kind.");
        }
    }
}
