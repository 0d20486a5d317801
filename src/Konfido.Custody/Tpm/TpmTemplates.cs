// TPMT_PUBLIC templates (TCG TPM 2.0 Library Part 2 §12.2.4) for the objects this backend creates,
// and parsing of the public parts it reads back (§11.2.5 TPMS_ECC_POINT, §12.2.3 TPMU_PUBLIC_PARMS).
// Storage primaries follow the TCG "TPM v2.0 Provisioning Guidance" SRK templates: ECC NIST P-256
// or RSA-2048, AES-128-CFB inner wrapper, restricted decryption key, noDA.
using System.Security.Cryptography;

namespace Konfido.Custody.Tpm;

/// <summary>The algorithm of the storage primary key that parents every object of the backend.</summary>
public enum TpmStorageKeyAlgorithm
{
    /// <summary>ECC NIST P-256 (fast to create; the default).</summary>
    EccP256 = 0,

    /// <summary>RSA-2048 (slow to create on a software TPM).</summary>
    Rsa2048 = 1,
}

internal static class TpmTemplates
{
    private const TpmObjectAttributes StorageAttributes =
        TpmObjectAttributes.FixedTpm | TpmObjectAttributes.FixedParent | TpmObjectAttributes.SensitiveDataOrigin |
        TpmObjectAttributes.UserWithAuth | TpmObjectAttributes.NoDictionaryAttack | TpmObjectAttributes.Restricted |
        TpmObjectAttributes.Decrypt;

    private const TpmObjectAttributes SealedDataAttributes =
        TpmObjectAttributes.FixedTpm | TpmObjectAttributes.FixedParent | TpmObjectAttributes.UserWithAuth |
        TpmObjectAttributes.NoDictionaryAttack;

    private const TpmObjectAttributes SigningAttributes =
        TpmObjectAttributes.FixedTpm | TpmObjectAttributes.FixedParent | TpmObjectAttributes.SensitiveDataOrigin |
        TpmObjectAttributes.UserWithAuth | TpmObjectAttributes.NoDictionaryAttack | TpmObjectAttributes.Sign;

    public static void StoragePrimary(TpmWriter w, TpmStorageKeyAlgorithm algorithm)
    {
        if (algorithm == TpmStorageKeyAlgorithm.Rsa2048)
        {
            w.U16(TpmAlg.Rsa).U16(TpmAlg.Sha256).U32((uint)StorageAttributes).Sized([]);
            w.U16(TpmAlg.Aes).U16(128).U16(TpmAlg.Cfb); // symmetric
            w.U16(TpmAlg.Null);                          // scheme
            w.U16(2048).U32(0);                          // keyBits, exponent (default 65537)
            w.Sized([]);                                 // unique.rsa
            return;
        }

        w.U16(TpmAlg.Ecc).U16(TpmAlg.Sha256).U32((uint)StorageAttributes).Sized([]);
        w.U16(TpmAlg.Aes).U16(128).U16(TpmAlg.Cfb); // symmetric
        w.U16(TpmAlg.Null);                          // scheme
        w.U16(TpmEccCurve.NistP256);                 // curveID
        w.U16(TpmAlg.Null);                          // kdf
        w.Sized([]).Sized([]);                       // unique.ecc: x, y
    }

    /// <summary>A keyed-hash object holding caller data (at most 128 bytes), usable only by TPM2_Unseal
    /// with the (empty) password.</summary>
    public static void SealedData(TpmWriter w) => SealedData(w, []);

    /// <summary>A keyed-hash object holding caller data; with a non-empty <paramref name="authPolicy"/> it can be
    /// unsealed only through a policy session that reaches that digest (userWithAuth is cleared).</summary>
    public static void SealedData(TpmWriter w, ReadOnlySpan<byte> authPolicy)
    {
        var attributes = authPolicy.IsEmpty ? SealedDataAttributes : SealedDataAttributes & ~TpmObjectAttributes.UserWithAuth;
        w.U16(TpmAlg.KeyedHash).U16(TpmAlg.Sha256).U32((uint)attributes).Sized(authPolicy);
        w.U16(TpmAlg.Null); // scheme
        w.Sized([]);        // unique.keyedHash
    }

    /// <summary>
    /// The policy digest of a single TPM2_PolicyPCR over one SHA-256 PCR that must hold
    /// <paramref name="pcrValue"/> (Part 3 §23.7): H(0³² ‖ TPM_CC_PolicyPCR ‖ TPML_PCR_SELECTION ‖ H(pcrValue)).
    /// </summary>
    public static byte[] PcrPolicyDigest(int pcr, ReadOnlySpan<byte> pcrValue)
    {
        var w = new TpmWriter().Bytes(new byte[32]).U32(TpmCc.PolicyPcr);
        TpmSession.WritePcrSelection(w, pcr);
        w.Bytes(SHA256.HashData(pcrValue));
        return SHA256.HashData(w.AsSpan());
    }

    /// <summary>An ECDSA P-256/SHA-256 signing key; <paramref name="restricted"/> for an attestation key
    /// (the TPM then refuses to sign digests of data that imitates TPM-generated structures).</summary>
    public static void EcdsaSigningKey(TpmWriter w, bool restricted)
    {
        var attributes = SigningAttributes | (restricted ? TpmObjectAttributes.Restricted : TpmObjectAttributes.None);
        w.U16(TpmAlg.Ecc).U16(TpmAlg.Sha256).U32((uint)attributes).Sized([]);
        w.U16(TpmAlg.Null);                          // symmetric
        w.U16(TpmAlg.Ecdsa).U16(TpmAlg.Sha256);      // scheme
        w.U16(TpmEccCurve.NistP256);                 // curveID
        w.U16(TpmAlg.Null);                          // kdf
        w.Sized([]).Sized([]);                       // unique.ecc
    }

    /// <summary>Reads the P-256 public point from a TPMT_PUBLIC of an ECC key and returns it as SubjectPublicKeyInfo DER.</summary>
    public static byte[] EccPublicKeyInfo(ReadOnlySpan<byte> publicArea)
    {
        var r = new TpmReader(publicArea);
        if (r.U16() != TpmAlg.Ecc)
        {
            throw new TpmFormatException("Not an ECC public area.");
        }

        r.U16();   // nameAlg
        r.U32();   // objectAttributes
        r.Sized(); // authPolicy
        SkipSchemeWithDetails(ref r, symmetric: true);
        SkipSchemeWithDetails(ref r, symmetric: false);
        if (r.U16() != TpmEccCurve.NistP256)
        {
            throw new TpmFormatException("The key is not on NIST P-256.");
        }

        SkipSchemeWithDetails(ref r, symmetric: false); // kdf
        var x = r.Sized().ToArray();
        var y = r.Sized().ToArray();
        if (x.Length != 32 || y.Length != 32)
        {
            throw new TpmFormatException("The ECC point is not 32+32 bytes.");
        }

        using var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } });
        return ecdsa.ExportSubjectPublicKeyInfo();
    }

    private static void SkipSchemeWithDetails(ref TpmReader r, bool symmetric)
    {
        var algorithm = r.U16();
        if (algorithm == TpmAlg.Null)
        {
            return;
        }

        if (symmetric)
        {
            r.U16(); // keyBits
            r.U16(); // mode
        }
        else
        {
            r.U16(); // hashAlg
        }
    }
}
